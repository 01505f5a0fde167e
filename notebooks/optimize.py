# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9. Optimize
# Export the registered version to ONNX for the service's fast path, and prove it predicts the
# same as scikit-learn on the test set. ONNX Runtime computes in float32, so tree probabilities
# can move by a few hundredths: only a version that passes the parity check is served through
# ONNX Runtime; otherwise the service falls back to scikit-learn. (ONNX Runtime's quantization
# covers matrix-multiply and convolution operators, not tree ensembles: nothing to quantize
# here for forests.)

# %% tags=["parameters"]
upstream = ["register", "train"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
onnx_max_diff = None  # largest |p_onnx - p_sklearn| allowed on the test set
onnx_min_agreement = None  # smallest share of identical 0/1 predictions allowed

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("optimize", globals())

# %%
import mlflow
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.io import read_json, write_json
from mlcycle.optimize.onnx_export import export
from mlcycle.optimize.registry import record_export
from mlcycle.tracking import connect
from mlcycle.training.train import features_and_target

config = load_dataset_config(dataset)
run = read_json(upstream["train"]["run"])
registry = read_json(upstream["register"]["registry"])
client = connect(run["tracking_uri"])
pipeline = mlflow.sklearn.load_model(f"models:/{registry['model_name']}/{registry['version']}")
X = features_and_target(pd.read_parquet(upstream["train"]["test"]), config).X
result = export(
    pipeline, X, config, max_allowed_diff=onnx_max_diff, min_agreement=onnx_min_agreement
)
summary = record_export(
    client,
    registry["model_name"],
    registry["version"],
    run["run_id"],
    result,
)
write_json(summary, product["summary"])

# %%
display(Markdown(f"### Version {registry['version']}: {result.reason}"))
pd.DataFrame([summary]).T.rename(columns={0: "ONNX export"})

# %%
provenance("optimize", inputs_digest)
