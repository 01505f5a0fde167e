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
# # Validate
# Check the collected data against the dataset config: schema, types, nulls, ranges, target
# values and duplicate ids. Bad data stops the build here, with the column, the problem and
# example rows; nothing downstream runs on it. Fixes made by documented policy are listed.

# %% tags=["parameters"]
upstream = ["collect"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("validate", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.data.profile import column_profile
from mlcycle.data.validation import validate, validate_events
from mlcycle.io import write_parquet
from mlcycle.records import Validation, write_record

config = load_dataset_config(dataset)
raw = pd.read_parquet(upstream["collect"]["entities"])
events = pd.read_parquet(upstream["collect"]["events"])
validated, report = validate(raw, config, source=str(config.source.path or "generator"))
report.problems += validate_events(events, config.id)
write_record(Validation(**report.to_dict()), product["summary"])

# %%
verdict = "PASSED" if report.passed else "FAILED"
fixes = "".join(f"\n- {f}" for f in report.fixes) or "\n- none"
problems = "".join(f"\n- {p}" for p in report.problems) or "\n- none"
notes = "".join(f"\n- {n}" for n in report.notes)
display(
    Markdown(f"""
## Validation {verdict}: {report.rows:,} rows

**Problems**{problems}

**Fixed by policy**{fixes}
{notes}
""")
)

# %%
# stop the build on bad data: the message names column, problem and example rows
report.raise_if_failed()
write_parquet(validated, product["entities"])
write_parquet(events, product["events"])
column_profile(validated, config)

# %%
provenance("validate", inputs_digest)
