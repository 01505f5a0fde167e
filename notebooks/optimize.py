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
# # Optimize
# Export the registered version (and the champion, if it has no export yet) to ONNX for the
# service's fast path, and prove it predicts the same as scikit-learn on the test set. ONNX
# Runtime computes in float32, so an output can move a little (a probability by hundredths):
# only a version that passes the parity check is served through ONNX Runtime; otherwise the
# service falls back to scikit-learn. Then: what the fast path buys in size and latency, and what
# int8 quantization does to a small neural network.

# %% tags=["parameters"]
upstream = ["register", "select"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
onnx_max_diff = None  # largest |p_onnx - p_sklearn| allowed (regression: |Δ| / std)
onnx_min_agreement = None  # smallest share of identical labels (regression: rows within)
quantize_mlp = None  # also train a small MLP and quantize its ONNX export to int8

# %%
from mlcycle.orchestration.notebook import flag, provenance, resolve_stage

resolve_stage("optimize", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.optimize.latency import compare_runtimes
from mlcycle.optimize.onnx_artifact import TAG_PARITY, record_export
from mlcycle.optimize.onnx_export import export
from mlcycle.records import OnnxExports, Registration, TrainingRun, read_record, write_record
from mlcycle.registry.aliases import CHAMPION, alias_version
from mlcycle.registry.trusted import load_trusted
from mlcycle.tracking import connect
from mlcycle.training.train import features_and_target

config = load_dataset_config(dataset)
run = read_record(upstream["select"]["run"], TrainingRun).model_dump()
registry = read_record(upstream["register"]["registry"], Registration).model_dump()
client = connect(run["tracking_uri"])
name = registry["model_name"]
task = run["task"]
test = features_and_target(pd.read_parquet(upstream["select"]["test"]), config, task)
limits = {"max_allowed_diff": onnx_max_diff, "min_agreement": onnx_min_agreement}

# this build's version, and the champion when it never went through this stage
versions = [str(registry["version"])]
champion = client.get_model_version(name, alias_version(client, name, CHAMPION))
if str(champion.version) not in versions and TAG_PARITY not in champion.tags:
    versions.append(str(champion.version))
summaries, pipelines, results = {}, {}, {}
for version in versions:
    pipelines[version] = load_trusted(f"models:/{name}/{version}")
    results[version] = export(pipelines[version], test.X, config, task, **limits)
    run_id = client.get_model_version(name, version).run_id
    summaries[version] = record_export(client, name, version, run_id, results[version])

# %%
version = str(registry["version"])
result = results[version]
display(Markdown(f"### Version {version}: {result.reason}"))
pd.DataFrame(summaries).rename(columns=lambda v: f"version {v}")

# %% [markdown]
# ## Size and latency: scikit-learn against ONNX Runtime
# The same pipeline on the same test rows, one thread each: the median time for one row
# (what the service pays per request) and for a batch of 1,000 rows.

# %%
comparison = None
if result.onnx is not None:
    comparison = compare_runtimes(pipelines[version], result.onnx, test.X, config, task=task)
    sk, ort_ = comparison.loc["scikit-learn"], comparison.loc["ONNX Runtime"]
    client.log_metric(run["run_id"], "sklearn_single_row_ms", sk["single_row_ms"])
    client.log_metric(run["run_id"], "onnx_single_row_ms", ort_["single_row_ms"])
    display(
        Markdown(
            f"One row: **{sk['single_row_ms'] / ort_['single_row_ms']:.0f}x faster** through ONNX "
            f"Runtime; a 1,000-row batch: {sk['batch_1000_ms'] / ort_['batch_1000_ms']:.1f}x."
        )
    )
    display(comparison.round(3))
else:
    display(Markdown("No ONNX export (conversion impossible): nothing to compare."))

# %% [markdown]
# ## Quantization
# ONNX Runtime's dynamic quantization turns matrix multiplications into int8 arithmetic. **It
# does not quantize tree ensembles**: a random forest or gradient boosting model has no matrix
# multiplications to rewrite (its TreeEnsemble nodes stay float), so quantizing the served
# forest would change nothing. To show what quantization does where it applies, a small
# neural network (scikit-learn's `MLPClassifier`, the `mlp` model family) is trained on the
# same data, exported, and quantized; its size and test accuracy before and after are below,
# and logged to MLflow as their own run.

# %%
study = None
if flag(quantize_mlp) and task == "binary":  # the study's small network is a classifier
    from mlcycle.optimize.quantize import log_study, quantization_study

    train = pd.read_parquet(upstream["select"]["train"])
    study = quantization_study(train, test.X, test.y, config)
    study_run = log_study(study, run["experiment_id"], name, version)
    display(
        Markdown(
            f"int8 model: **{study.size_ratio:.0%}** of the float32 size; test accuracy "
            f"{study.table['accuracy'].iloc[1]:.4f} before, "
            f"{study.table['accuracy'].iloc[2]:.4f} after (MLflow run `{study_run}`)."
        )
    )
    display(study.table.round(4))
else:
    display(Markdown("Quantization study off (`quantize_mlp: false`, or not a binary model)."))

# %%
write_record(
    OnnxExports(
        exports=summaries,
        runtimes=None if comparison is None else comparison.reset_index().to_dict("records"),
        quantization=None if study is None else study.table.reset_index().to_dict("records"),
    ),
    product["summary"],
)

# %%
provenance("optimize", inputs_digest)
