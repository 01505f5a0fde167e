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
# # Features
# Compute the timestamped feature tables the feature store serves: the profile as of each row's
# timestamp, and behavioural features from the event log as of those times (point in time: no
# event after a timestamp can reach it). Then assign each label to train / validation / test:
# by time when the rows come from more than one time (the newest rows are the test set, so the
# model is judged on the future relative to what it learnt from), else stratified on the target.

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
from mlcycle.features.store import ENTITY_TS, feature_tables, label_frame
from mlcycle.features.table import assign_splits, split_kind, split_summary
from mlcycle.io import write_parquet

config = load_dataset_config(dataset)
entities = pd.read_parquet(upstream["validate"]["entities"])
events = pd.read_parquet(upstream["validate"]["events"])
tables = feature_tables(entities, events, config)
labels = label_frame(entities, config)
time_column = ENTITY_TS  # the label time
labels["split"] = assign_splits(
    labels, config.target.column, test_size, valid_size, seed, time_column=time_column
)
for name, table in tables.items():
    write_parquet(table, product[name])
write_parquet(labels, product["labels"])

# %%
target = config.target.column
summary = split_summary(labels, target)
display(
    Markdown(
        f"**{len(config.feature_names)} features** in {len(tables)} tables "
        f"({len(config.event_features)} derived from events) for target `{target}`; "
        f"**{split_kind(labels, time_column)} split**"
    )
)
times = labels.groupby("split")[time_column].agg(["min", "max"])
summary.join(times).loc[["train", "valid", "test"]]

# %%
keys = [config.id, config.timestamp_column]
column_profile(tables["profile"].merge(tables["activity"], on=keys), config)

# %%
provenance("features", inputs_digest)
