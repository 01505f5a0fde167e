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
# # Feature store
# Define the features once, in Feast: an entity on the id column, feature views over the
# feature tables (with a time-to-live), and a feature service that names the set a model is
# trained on. Training reads them point in time; serving reads them online.

# %% tags=["parameters"]
upstream = ["features"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
products = None  # products folder (the store lives in products/feast)
feature_store = None  # feature_store.yaml: registry, online and offline stores
feature_ttl_days = None  # how old a feature value may be and still be served

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("feature_store", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.features.store import (
    apply_definitions,
    definitions,
    definitions_fingerprint,
    open_store,
    service_name,
)
from mlcycle.io import write_json

config = load_dataset_config(dataset)
tables = {name: upstream["features"][name] for name in ("profile", "activity")}
objects = definitions(config, tables, feature_ttl_days)
store = open_store(products, feature_store)
apply_definitions(store, objects)
summary = {
    "project": store.project,
    "feature_service": service_name(config),
    "fingerprint": definitions_fingerprint(objects),
    "views": {v.name: [f.name for f in v.features] for v in store.list_feature_views()},
    "ttl_days": feature_ttl_days,
}
write_json(summary, product["definitions"])

# %%
display(
    Markdown(
        f"Feature service **`{summary['feature_service']}`** "
        f"(definitions fingerprint `{summary['fingerprint']}`), time-to-live "
        f"{feature_ttl_days} days, in Feast project `{store.project}`"
    )
)
pd.DataFrame(
    [{"view": v, "features": len(f), "names": ", ".join(f)} for v, f in summary["views"].items()]
).set_index("view")

# %%
provenance("feature_store", inputs_digest)
