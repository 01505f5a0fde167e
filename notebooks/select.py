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
# # Select: keep the best candidate
# Each point of the model grid trained one candidate (its own MLflow run) on the same training
# split. The candidate with the best `selection_metric` on the validation split goes on to
# evaluation, the quality gate and the registry; every candidate's run is tagged with its rank.

# %% tags=["parameters"]
upstream = ["candidate-*"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
selection_metric = None  # validation metric that picks the candidate; auto = the task's

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("select", globals())

# %%
import shutil

import pandas as pd
from IPython.display import Markdown, display

from mlcycle.project import grid_order
from mlcycle.records import CandidateRun, TrainingRun, read_record, write_record
from mlcycle.task import metric_for
from mlcycle.tracking import connect
from mlcycle.training.selection import rank_candidates, tag_ranks

grid = upstream["candidate-*"]
candidates = {
    name: read_record(grid[name]["run"], CandidateRun).model_dump()
    for name in sorted(grid, key=grid_order)
}
task = next(iter(candidates.values()))["task"]  # one dataset, one task
selection_metric = metric_for(task, selection_metric, "selection")
ranked = rank_candidates(candidates, selection_metric)
best_name, best = ranked[0]
tag_ranks(connect(best["tracking_uri"]), ranked, selection_metric)
# the chosen candidate's splits and run are this stage's products: what follows reads them
for split in ("train", "valid", "test"):
    shutil.copyfile(grid[best_name][split], product[split])
write_record(
    TrainingRun(
        **best,
        selected_from=best_name,
        selection_metric=selection_metric,
        candidates=[
            {"task": name, "run_id": run["run_id"], "model_family": run["model_family"],
             "model_params": run.get("model_params", {}),
             selection_metric: run["valid_metrics"][selection_metric]}
            for name, run in ranked
        ],
    ),
    product["run"],
)  # fmt: skip

# %%
display(
    Markdown(
        f"### {best_name} ({best['model_family']}) is kept: best validation "
        f"`{selection_metric}` of {len(ranked)} candidate(s)\n\nMLflow run `{best['run_id']}`"
    )
)
table = pd.DataFrame(
    [
        {"candidate": name, "family": run["model_family"], "params": run.get("model_params", {}),
         **{f"valid {k}": v for k, v in run["valid_metrics"].items()}, "run": run["run_id"]}
        for name, run in ranked
    ]
).set_index("candidate")  # fmt: skip
table.round(4)

# %%
provenance("select", inputs_digest)
