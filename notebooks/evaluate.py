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
gate_metric = None  # metric the gate checks (accuracy, roc_auc, f1, log_loss, ...)
gate_threshold = None  # minimum (maximum for log_loss) value to pass

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
from mlcycle.tracking import connect
from mlcycle.training.gate import enforce_gate, evaluate_gate
from mlcycle.training.metrics import (
    calibration_figure,
    classification_metrics,
    confusion,
    confusion_figure,
    gain_figure,
    group_metrics,
    largest_gaps,
    ranking,
    roc_figure,
)
from mlcycle.training.train import features_and_target

config = load_dataset_config(dataset)
run = read_record(upstream["select"]["run"], TrainingRun).model_dump()
connect(run["tracking_uri"])
test = pd.read_parquet(upstream["select"]["test"])
xy = features_and_target(test, config)
model = load_trusted(run["model_uri"])
proba = model.predict_proba(xy.X)[:, 1]

metrics = classification_metrics(xy.y, proba)
counts = confusion(xy.y, proba)
gate = evaluate_gate(metrics, gate_metric, gate_threshold)
# per group of each sensitive feature the dataset config names: the model card shows these
groups = group_metrics(xy.X, xy.y, proba, config.card.sensitive_features)
figures = {
    "roc": roc_figure(xy.y, proba),
    "calibration": calibration_figure(xy.y, proba),
    "confusion_matrix": confusion_figure(counts, config.target.labels),
    "cumulative_gain": gain_figure(xy.y, proba, config.target.labels[1]),
}
ranked = ranking(xy.y, proba)  # the model card's view for a model used to rank

with mlflow.start_run(run_id=run["run_id"]):
    mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items()})
    for name, fig in figures.items():
        mlflow.log_figure(fig, f"plots/{name}.png")
    mlflow.log_dict({"groups": groups}, "evaluation/groups.json")
    mlflow.log_dict({"ranking": ranked}, "evaluation/ranking.json")
    mlflow.set_tags(
        {
            "gate.metric": gate_metric,
            "gate.threshold": str(gate_threshold),
            "gate.passed": str(gate.passed).lower(),
        }
    )
write_record(
    Evaluation(
        run_id=run["run_id"],
        test_rows=len(test),
        metrics=metrics,
        confusion=counts,
        groups=groups,
        gate=Gate(
            metric=gate.metric, value=gate.value, threshold=gate.threshold, passed=gate.passed
        ),
    ),
    product["metrics"],
)

# %%
display(Markdown(f"### {gate.describe()}\n\nTest set: {len(test):,} rows"))
pd.Series(metrics, name="test").round(4).to_frame()

# %% [markdown]
# Metrics per group of the sensitive features named in the dataset config (`card:`): a large
# gap between groups is for a fairness review before the scores are used.

# %%
if groups:
    gaps = [f"largest accuracy gap in `{k}`: {v:.3f}" for k, v in largest_gaps(groups).items()]
    display(Markdown("; ".join(gaps)))
    display(pd.DataFrame(groups).set_index(["feature", "group"]).round(3))
else:
    display(Markdown("No sensitive features named in the dataset config."))

# %%
show_figure(figures["roc"])

# %%
show_figure(figures["calibration"])

# %%
show_figure(figures["confusion_matrix"])

# %% [markdown]
# Ranking: contacting the highest-scored rows first, what share of all positives is found
# (cumulative gain), the precision there and the lift over a random order.

# %%
display(show_figure(figures["cumulative_gain"]))
pd.DataFrame(ranked).set_index("top_share").round(3)

# %%
# stop the build when the model misses the bar
enforce_gate(gate)

# %%
provenance("evaluate", inputs_digest)
