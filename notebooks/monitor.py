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
# # Monitor
# Is production still like training? The current window (this week's rows; by default the
# scoring set just scored) is compared with the training data column by column (Evidently's
# data drift preset), and the champion's accuracy is read from the prediction log joined with
# the outcomes that came back. The retraining policy then decides, and says why; the decision
# is recorded in MLflow. To act on it: `make weekly` (see the README's Monitoring section).

# %% tags=["parameters"]
upstream = ["batch_predict", "select"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
products = None  # the build's products folder (MLflow artifacts of a local store go under it)
monitor_window = None  # Parquet/CSV of the current production window; '' = the scoring set
prediction_log = None  # the service's log (a file or a PostgreSQL URL); none = no outcomes yet
drift_share_threshold = None  # dataset drift when this share of feature columns drifted
max_drift_rows = None  # larger windows are sampled
retrain_policy = None  # triggers: dataset drift, metric below a threshold, champion age
seed = None  # for sampling

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("monitor", globals())

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.batch.reader import open_input
from mlcycle.config import load_dataset_config
from mlcycle.io import write_json
from mlcycle.monitoring.drift import detect_drift
from mlcycle.monitoring.drift_plots import distributions_figure, drift_scores_figure, top_drifted
from mlcycle.monitoring.performance import (
    classification_report,
    last_two_weeks,
    latest,
    read_log,
    weekly_performance,
)
from mlcycle.monitoring.policy import RetrainPolicy, decide
from mlcycle.monitoring.record import champion_age_days, record_decision
from mlcycle.records import MonitoringDecision, TrainingRun, read_record, write_record
from mlcycle.registry.aliases import CHAMPION, alias_version
from mlcycle.reporting.display import show_figure, shown_path
from mlcycle.reporting.site import href
from mlcycle.settings import monitoring_experiment
from mlcycle.tracking import connect

config = load_dataset_config(dataset)
window = monitor_window or str(upstream["batch_predict"]["scoring_set"])
with open_input(window, config.feature_names) as source:
    current = pd.concat(batch.to_pandas() for batch in source.batches)
reference = pd.read_parquet(upstream["select"]["train"])
drift = detect_drift(
    reference, current, config, max_rows=int(max_drift_rows),
    drift_share=float(drift_share_threshold), seed=int(seed),
)  # fmt: skip
drift.save(product["drift_report"], product["drift"])

# %%
verdict = "**dataset drift**" if drift.dataset_drift else "no dataset drift"
sampled = f" Sampled: {drift.sampled}." if drift.sampled else ""
display(
    Markdown(f"""
### {verdict}: {drift.drifted_columns} of {len(drift.columns)} columns ({drift.drift_share:.0%})

Current window: `{shown_path(window)}` ({len(current):,} rows) against the training data
({len(reference):,} rows); dataset drift at {float(drift_share_threshold):.0%} of columns.{sampled}
[The full Evidently drift report]({href(product["drift_report"], product["report"])}).
""")
)
display(show_figure(drift_scores_figure(drift.columns)))
moved = top_drifted(drift.columns)
display(show_figure(distributions_figure(reference, current, moved, set(config.numeric_names))))
table = drift.columns.assign(drifted=drift.columns["drifted"].map({True: "drifted", False: "-"}))
table.sort_values("score").round(4)

# %% [markdown]
# ## Performance in production
# Accuracy and ROC AUC per week and model version, from predictions whose outcome arrived
# (`POST /feedback` on the service).

# %%
run = read_record(upstream["select"]["run"], TrainingRun).model_dump()
client = connect(run["tracking_uri"])
champion = alias_version(client, config.model_name, CHAMPION)  # None: nothing served yet
log = read_log(prediction_log)
performance = weekly_performance(log)
write_json(performance.to_dict("records"), product["performance"])
accuracy, labelled = latest(performance, champion)
current_week, previous_week = last_two_weeks(log, champion)
classification_report(current_week, previous_week, product["performance_report"])
if performance.empty:
    display(Markdown(f"No labelled predictions in `{shown_path(prediction_log)}` yet: "
                     "accuracy not judged."))  # fmt: skip
else:
    fig, ax = plt.subplots(figsize=(7, 2.8))
    for version, part in performance.groupby("model_version"):
        ax.plot(part["week"], part["accuracy"], "-o", label=f"version {version}")
    ax.set(ylabel="accuracy", xlabel="week", title="Accuracy per week and model version")
    ax.legend()
    plt.close(fig)
    display(show_figure(fig))
    display(performance.round(4))
    link = href(product["performance_report"], product["report"])
    display(Markdown(f"[Evidently's classification report]({link})."))

# %% [markdown]
# ## The retraining decision

# %%
policy = RetrainPolicy.from_dict(dict(retrain_policy))
decision = decide(policy, drift.dataset_drift, drift.drift_share, accuracy, labelled,
                  champion_age_days(client, config.model_name))  # fmt: skip
write_record(MonitoringDecision(**decision.to_dict(), window=window, champion=champion),
             product["decision"])  # fmt: skip
run_id = record_decision(client, monitoring_experiment(config.model_name), window, drift.summary,
                         decision, champion, products=products)  # fmt: skip
display(Markdown(
    f"### {'Retrain' if decision.retrain else 'No retraining needed'}\n\n"
    + "\n".join(f"- {r}" for r in decision.reasons)
    + f"\n\nPolicy: {policy.describe()}. Recorded as MLflow run `{run_id}`."
))  # fmt: skip

# %%
provenance("monitor", inputs_digest)
