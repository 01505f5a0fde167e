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
# # 1. Collect
# Bring the raw data in: the built-in customer generator by default, or the table named in the
# dataset config. Nothing is cleaned here: this is exactly what the source held.

# %% tags=["parameters"]
# Left as None, a parameter takes its value from env.yaml (interactive runs) or the build.
upstream = None
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
n_customers = None  # generator: number of customers
snapshot_date = None  # generator: as-of date of the snapshot
seed = None  # generator and sampling seed
drift_shift = None  # generator drift knobs, 0..1
drift_new_category = None
drift_relationship = None
max_rows = None  # sample a user's table down to this many rows

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("collect", globals())

# %%
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.data.collect import collect
from mlcycle.data.generator import Drift
from mlcycle.io import write_parquet

config = load_dataset_config(dataset)
collected = collect(
    config,
    n_customers=n_customers,
    snapshot_date=snapshot_date,
    seed=seed,
    drift=Drift(drift_shift, drift_new_category, drift_relationship),
    max_rows=max_rows,
)
write_parquet(collected.entities, product["entities"])
write_parquet(collected.events, product["events"])

# %%
entities, events = collected.entities, collected.events
notes = "".join(f"\n- {n}" for n in collected.notes)
display(
    Markdown(f"""
**Dataset** `{config.name}` from {collected.source}

- {len(entities):,} rows and {entities.shape[1]} columns in the entity table
- {len(events):,} events in the event log{notes}
""")
)
entities.head()

# %%
if len(events):
    display(events["event_type"].value_counts().rename("events").to_frame())

# %%
provenance("collect", inputs_digest)
