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
# # Evaluate
# Score the held-out test set, log the metrics and plots to the training run, and apply the
# quality gate: below the threshold the build stops and nothing is registered.

# %% tags=["parameters"]
upstream = ["select"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
gate_metric = None  # metric the gate checks; auto = the task's (accuracy, r2, …)
gate_threshold = None  # minimum (maximum for an error) to pass; None = the task's own

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("evaluate", globals())

# %%
# %matplotlib inline
import mlflow
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.records import Evaluation, Gate, TrainingRun, read_record, write_record
from mlcycle.registry.trusted import load_trusted
from mlcycle.reporting.display import show_figure
from mlcycle.task import INTERVAL_METRIC, gate_for
from mlcycle.tracking import connect
from mlcycle.training.evaluation import GROUP_METRIC, SHOWN, evaluate_on_test
from mlcycle.training.gate import enforce_gate, evaluate_gate
from mlcycle.training.metrics import largest_gaps
from mlcycle.training.train import features_and_target, model_output

config = load_dataset_config(dataset)
run = read_record(upstream["select"]["run"], TrainingRun)
connect(run.tracking_uri)
test = pd.read_parquet(upstream["select"]["test"])
xy = features_and_target(test, config, run.task)
model = load_trusted(run.model_uri)
result = evaluate_on_test(
    run.task, model_output(model, xy.X, run.task), xy.y, xy.X, config, run.classes
)
metrics = result.metrics
gate = evaluate_gate(metrics, *gate_for(run.task, gate_metric, gate_threshold))

with mlflow.start_run(run_id=run.run_id):
    mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items()})
    if result.interval is not None:  # a regressor's: the service and batch give ± it
        mlflow.log_metric(INTERVAL_METRIC, result.interval)
    for name, fig in result.figures.items():
        mlflow.log_figure(fig, f"plots/{name}.png")
    mlflow.log_dict({"groups": result.groups}, "evaluation/groups.json")
    for name, rows in result.tables.items():
        mlflow.log_dict({name: rows}, f"evaluation/{name}.json")
    mlflow.set_tags(
        {
            "gate.metric": gate.metric,
            "gate.threshold": str(gate.threshold),
            "gate.passed": str(gate.passed).lower(),
        }
    )
write_record(
    Evaluation(
        run_id=run.run_id,
        test_rows=len(test),
        metrics=metrics,
        confusion=result.confusion,
        groups=result.groups,
        gate=Gate(
            metric=gate.metric, value=gate.value, threshold=gate.threshold, passed=gate.passed
        ),
        task=run.task,
        tables=result.tables,
    ),
    product["metrics"],
)

# %%
display(Markdown(f"### {gate.describe()}\n\nTest set: {len(test):,} rows, task {run.task}"))
pd.Series(metrics, name="test").round(4).to_frame()

# %% [markdown]
# Metrics per group of the sensitive features named in the dataset config (`card:`): a large
# gap between groups is for a fairness review before the scores are used.

# %%
if result.groups:
    measure = GROUP_METRIC[run.task]
    gaps = largest_gaps(result.groups, measure)
    display(
        Markdown("; ".join(f"largest {measure} gap in `{k}`: {v:.3f}" for k, v in gaps.items()))
    )
    display(pd.DataFrame(result.groups).set_index(["feature", "group"]).round(3))
else:
    display(Markdown("No sensitive features named in the dataset config."))

# %% [markdown]
# The task's plots and tables (what each shows: `SHOWN` in training/evaluation.py).

# %%
display(Markdown(SHOWN[run.task]))
for fig in result.figures.values():
    display(show_figure(fig))
for name, rows in result.tables.items():
    display(Markdown(f"**{name.replace('_', ' ')}**"), pd.DataFrame(rows).round(3))

# %%
# stop the build when the model misses the bar
enforce_gate(gate)

# %%
provenance("evaluate", inputs_digest)
