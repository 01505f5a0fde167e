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
# Is production still like training? The current window (by default the scoring set just
# scored) is compared with the training data column by column (Evidently), then what the model
# predicts and what happens; the champion's metric comes from the prediction log's outcomes.
# The retraining policy then decides and says why, recorded in MLflow; `make weekly` acts on it.

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
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.batch.reader import open_input
from mlcycle.config import load_dataset_config
from mlcycle.io import write_json
from mlcycle.monitoring import performance as production
from mlcycle.monitoring.drift import detect_drift
from mlcycle.monitoring.drift_plots import distributions_figure, drift_scores_figure, top_drifted
from mlcycle.monitoring.output_drift import outputs_of_window
from mlcycle.monitoring.policy import RetrainPolicy, decide
from mlcycle.monitoring.record import champion_age_days, champion_test_metric, record_decision
from mlcycle.records import MonitoringDecision, TrainingRun, read_record, write_record
from mlcycle.registry.aliases import CHAMPION, alias_version
from mlcycle.reporting.display import show_figure, shown_path
from mlcycle.reporting.site import href
from mlcycle.settings import monitoring_experiment
from mlcycle.task import MULTICLASS
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
# The task's metrics per week and model version, from predictions whose outcome arrived.

# %%
run = read_record(upstream["select"]["run"], TrainingRun).model_dump()
client, task = connect(run["tracking_uri"]), run["task"]
champion = alias_version(client, config.model_name, CHAMPION)  # None: nothing served yet
log = production.read_log(prediction_log, config.model_name)
performance = production.weekly_performance(log)
write_json(performance.to_dict("records"), product["performance"])
policy = RetrainPolicy.from_dict(dict(retrain_policy))
value, labelled = production.latest(performance, champion, policy.watched(task))
current_week, previous_week = production.last_two_weeks(log, champion)
production.performance_report(current_week, previous_week, product["performance_report"], task)
if performance.empty:
    display(Markdown(f"No outcomes in `{shown_path(prediction_log)}` yet: performance not judged."))
else:
    display(show_figure(production.performance_figure(performance, production.WEEKLY[task][0])))
    display(performance.round(4))
    if task == MULTICLASS and len(current_week):
        display(production.class_accuracy(current_week).round(4))  # share right, by class
    link = href(product["performance_report"], product["report"])
    display(Markdown(f"[Evidently's performance report]({link})."))

# %% [markdown]
# ## Drift of the prediction and of the target
# The model's answers on the window against its answers on the training rows; what happened
# (the window's own target, else the outcomes fed back) against the training target.

# %%
outputs = outputs_of_window(
    window, pd.read_parquet(upstream["batch_predict"]["predictions"]), reference, config, task,
    (current_week["outcome"], f"outcomes of v{champion}'s newest labelled week"),
    rescore=bool(monitor_window), max_rows=int(max_drift_rows), seed=int(seed),
)  # fmt: skip
write_json(outputs.summary, product["output_drift"])
display(outputs.table.round(4))
display(show_figure(outputs.figure()))

# %% [markdown]
# ## The retraining decision

# %%
test_value = champion_test_metric(client, config.model_name, champion, policy.watched(task))
decision = decide(policy, drift.dataset_drift, drift.drift_share, value, labelled,
                  champion_age_days(client, config.model_name), task, test_value)  # fmt: skip
write_record(MonitoringDecision(**decision.to_dict(), window=window, champion=champion),
             product["decision"])  # fmt: skip
run_id = record_decision(client, monitoring_experiment(config.model_name), window, drift.summary,
                         decision, champion, {"output_drift.json": {"outputs": outputs.summary}},
                         products=products)  # fmt: skip
display(Markdown(
    f"### {'Retrain' if decision.retrain else 'No retraining needed'}\n\n"
    + "\n".join(f"- {r}" for r in decision.reasons)
    + f"\n\nPolicy: {policy.describe(task)}. Recorded as MLflow run `{run_id}`."
))  # fmt: skip

# %%
provenance("monitor", inputs_digest)
