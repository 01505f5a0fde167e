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
# # Materialize
# Load the latest feature values into the online store, where serving reads them by id. The
# first load covers the data's whole time range; later builds load incrementally.

# %% tags=["parameters"]
upstream = ["features", "feature_store"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
products = None  # products folder (the store lives in products/feast)
feature_store = None  # feature_store.yaml

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("materialize", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.features.store import materialize, online_features, open_store
from mlcycle.io import write_json

config = load_dataset_config(dataset)
tables = {name: pd.read_parquet(upstream["features"][name]) for name in ("profile", "activity")}
store = open_store(products, feature_store)
loads = materialize(store, tables, config.timestamp_column)
example_id = str(tables["profile"][config.id].iloc[0])
example = online_features(store, config, example_id)
write_json({"loads": loads, "example_id": example_id}, product["summary"])

# %%
display(
    Markdown("**Online store loads**\n\n" + "\n".join(f"- `{v}`: {w}" for v, w in loads.items()))
)
display(Markdown(f"The model-ready row the online store serves for `{config.id}={example_id}`:"))
example.T.rename(columns={0: example_id})

# %%
provenance("materialize", inputs_digest)
