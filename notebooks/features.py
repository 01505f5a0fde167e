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
# # 3. Features
# Derive behavioural features from the event log as of each row's timestamp (point in time:
# no event after a row's timestamp can reach it), then split train / validation / test,
# stratified on the target.

# %% tags=["parameters"]
upstream = ["validate"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
test_size = None  # fraction of all rows held out for the final test
valid_size = None  # fraction of all rows for validation (model selection)
seed = None

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("features", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.data.profile import column_profile
from mlcycle.features.table import build_model_table, split_table
from mlcycle.io import write_parquet

config = load_dataset_config(dataset)
entities = pd.read_parquet(upstream["validate"]["entities"])
events = pd.read_parquet(upstream["validate"]["events"])
table = build_model_table(entities, events, config)
splits = split_table(table, config.target.column, test_size, valid_size, seed)
for name, frame in splits.items():
    write_parquet(frame, product[name])

# %%
target = config.target.column
summary = pd.DataFrame(
    {
        "rows": {name: len(f) for name, f in splits.items()},
        "positive rate": {name: round(f[target].mean(), 4) for name, f in splits.items()},
    }
)
display(
    Markdown(
        f"**{len(config.feature_names)} features** "
        f"({len(config.event_features)} derived from events) for target `{target}`"
    )
)
summary

# %%
column_profile(table, config)

# %%
provenance("features", inputs_digest)
