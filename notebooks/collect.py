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
# # Collect
# Bring the raw data in: the built-in customer generator by default, or the table named in the
# dataset config, as it was known at `as_of` (rows and events after it are not seen) and within
# the training window. Nothing is cleaned here: this is exactly what the source held.

# %% tags=["parameters"]
# Left as None, a parameter takes its value from env.yaml (interactive runs) or the build.
upstream = None
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
as_of = None  # what the build knows: rows up to this time ('' = the data's newest)
train_window_days = None  # how far back before as_of (None = all history)
n_customers = None  # generator: number of customers
weekly_customers = None  # generator: new customers each week after the snapshot date
drift_from_week = None  # generator: the drift knobs apply from this week on (0 = all)
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
from mlcycle.fingerprint import data_fingerprint
from mlcycle.io import write_parquet
from mlcycle.records import Collection, write_record
from mlcycle.reporting.display import shown_path

config = load_dataset_config(dataset)
collected = collect(
    config,
    n_customers=n_customers,
    snapshot_date=snapshot_date,
    seed=seed,
    drift=Drift(drift_shift, drift_new_category, drift_relationship),
    max_rows=max_rows,
    as_of=as_of,
    train_window_days=train_window_days,
    weekly_customers=weekly_customers,
    drift_from_week=drift_from_week,
)
write_parquet(collected.entities, product["entities"])
write_parquet(collected.events, product["events"])
window = collected.window
write_record(
    Collection(
        source=collected.source,
        as_of=window.as_of,
        as_of_setting=str(as_of or ""),
        window_start=window.window_start,
        train_window_days=window.train_window_days,
        rows=len(collected.entities),
        events=len(collected.events),
        rows_after_as_of=window.rows_after_as_of,
        rows_before_window=window.rows_before_window,
        data_fingerprint=data_fingerprint(collected.entities, config),
        notes=list(collected.notes),
    ),
    product["summary"],
)

# %%
entities, events = collected.entities, collected.events
notes = "".join(f"\n- {n}" for n in collected.notes)
display(
    Markdown(f"""
**Dataset** `{config.name}` from {shown_path(collected.source)}

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
