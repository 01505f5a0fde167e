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
# # Batch predictions
# Score the scoring set with the model behind the `champion` alias, the way `make batch`
# scores any file: streamed batch by batch, rows that cannot be scored set aside with the
# reason, the output file appearing only when complete. The built-in dataset's scoring set is
# new customers from the generator (none was trained on); a user's dataset scores its test split.

# %% tags=["parameters"]
upstream = ["register", "select"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
n_scoring = None  # rows in the built-in scoring set
snapshot_date = None  # as-of date of the scoring set
seed = None  # the scoring set's seed is seed + 1: other customers than training's
batch_alias = None  # registry alias to score with
batch_size = None  # rows per streamed batch
scoring_drift = None  # [shift, new_category, relationship] of the built-in scoring set

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("batch_predict", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.batch.figures import SHOWN, predictions_figure, top_rows
from mlcycle.batch.score import load_registered, score_file
from mlcycle.batch.scoring_set import scoring_set
from mlcycle.config import load_dataset_config
from mlcycle.io import write_parquet
from mlcycle.records import TrainingRun, read_record
from mlcycle.reporting.display import show_figure, shown_path

config = load_dataset_config(dataset)
run = read_record(upstream["select"]["run"], TrainingRun).model_dump()
task = run["task"]
rows = scoring_set(
    config,
    int(n_scoring),
    snapshot_date,
    int(seed) + 1,
    fallback=pd.read_parquet(upstream["select"]["test"]),
    drift=tuple(float(x) for x in scoring_drift),
)
write_parquet(rows, product["scoring_set"])
model = load_registered(run["tracking_uri"], config.model_name, batch_alias)
summary = score_file(
    str(product["scoring_set"]),
    str(product["predictions"]),
    model,
    config,
    rejects_path=str(product["rejects"]),
    summary_path=str(product["summary"]),
    batch_size=int(batch_size),
)

# %%
rejected = f"{summary.rows_rejected:,} rows rejected"
if summary.reasons:
    rejected += " (reasons below; the rows are in the rejects file)"
display(
    Markdown(f"""
### {summary.rows_scored:,} of {summary.rows_read:,} rows scored by `{model.name}` v{model.version}

Alias `{batch_alias}`. {rejected}. Predictions: `{shown_path(product["predictions"])}`.
""")
)
if summary.reasons:
    display(pd.Series(summary.reasons, name="rejected rows").to_frame())

# %% [markdown]
# ## What is predicted

# %%
display(Markdown(SHOWN[task]))
predictions = pd.read_parquet(product["predictions"])
show_figure(predictions_figure(predictions, config, task))

# %%
top_rows(predictions, config, task).merge(rows, on=config.id).round(3)

# %%
provenance("batch_predict", inputs_digest)
