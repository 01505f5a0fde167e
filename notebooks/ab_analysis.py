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
# # A/B test analysis
# Should the challenger replace the champion? From the service's prediction log and the
# outcomes that came back, for the current experiment only (the registry's rollout, or the
# split pinned by `ab_arms`) and only its randomised requests: how many each arm served and how
# well (accuracy, or a regressor's mean absolute error); whether the split matches the
# configured weights (a sample-ratio mismatch voids the test); the task's test (a z-test, a
# chi-square on right and wrong, or Welch's t on errors) and a bootstrap interval on the
# difference, judged at a fixed horizon computed up front; a recommendation in plain words.

# %% tags=["parameters"]
upstream = ["monitor"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML (names the registered model)
tracking_uri = None  # the registry that holds the rollout
model_name = None  # registered model ('' = the dataset's name)
prediction_log = None  # the service's prediction log (a SQLite file or a PostgreSQL URL)
ab_arms = None  # '' = the registry's rollout; else the split pinned for the service
ab_key = None  # the experiment key of a pinned split
ab_alpha = None  # significance level of the z-test (and 1 - confidence of the interval)
ab_min_labelled = None  # labelled predictions per arm before any verdict
ab_min_effect = None  # smallest accuracy difference (a regressor: relative error change) to detect
ab_power = None  # chance of detecting it when it is there
seed = None  # for the bootstrap

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("ab_analysis", globals())

# %%

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.io import read_json, write_json
from mlcycle.monitoring.ab_analysis import analyse, fixed_horizon, scope
from mlcycle.monitoring.experiment import current_experiment
from mlcycle.serving.log_database import log_exists, redacted
from mlcycle.task import metric_name
from mlcycle.tracking import connect

name = model_name or load_dataset_config(dataset).model_name
experiment = current_experiment(connect(tracking_uri), name, ab_arms, ab_key)
horizon = fixed_horizon(experiment.baseline, float(ab_min_effect), float(ab_alpha),
                        float(ab_power), experiment.task)  # fmt: skip
monitoring = read_json(upstream["monitor"]["decision"])
if log_exists(prediction_log):
    from mlcycle.serving.prediction_log import PredictionLog

    log = PredictionLog(prediction_log).frame(model_name=name)
else:
    log = pd.DataFrame(columns=["arm", "prediction", "outcome", "experiment", "assignment"])
rows = scope(log, experiment.key)
result = analyse(rows, experiment.weights, alpha=float(ab_alpha), min_labelled=int(ab_min_labelled),
                 seed=int(seed), horizon=horizon, task=experiment.task)  # fmt: skip
metric = metric_name(result.metric)
effect = (f"a {float(ab_min_effect):.0%} change of the mean absolute error"
          if result.metric == "mae" else f"an accuracy difference of {float(ab_min_effect):g} "
          f"from the champion's {experiment.baseline:.3f}")  # fmt: skip
write_json(
    result.to_dict()
    | {
        "prediction_log": redacted(prediction_log or ""),
        "experiment": experiment.key,
        "experiment_source": experiment.source,
        "started": experiment.started,
        "rows_in_log": len(log),
        "rows_analysed": len(rows),
        "horizon": horizon,
    },
    product["analysis"],
)

# %%
display(
    Markdown(f"""
## Recommendation: **{result.recommendation}**

{result.why[0].upper() + result.why[1:]}.

Experiment `{experiment.key or "none"}`, from {experiment.source}{
        f", started {experiment.started}" if experiment.started else ""
    }: {len(rows):,} of the
log's {len(log):,} predictions were randomised into its arms (the rest: other experiments,
requests without a user id, fallbacks). This week's monitoring:
{"retrain" if monitoring["retrain"] else "no retraining"} ({monitoring["reasons"][0]}).

**Fixed horizon**: each arm needs {horizon:,} labelled predictions to detect {effect} with
power {float(ab_power):g} at alpha {ab_alpha}; the verdict waits for it, because looking
every week and stopping at the first significant result would inflate false positives.
""")
)
result.arms.round(4)

# %% [markdown]
# ## The evidence
# The split check first: if the arms did not get their configured shares (users lost,
# duplicated or routed by something other than the hash), nothing below can be trusted.

# %%
pd.Series(
    {
        "sample ratio mismatch (chi-square p)": f"{result.srm_p_value:.3g}"
        + (" — MISMATCH" if result.srm else " — split as configured"),
        f"{metric} difference (challenger − champion)": f"{result.difference:+.4f}",
        result.test: f"{result.z:.3f}",
        "p-value": f"{result.p_value:.3g} (alpha {result.alpha})",
        f"{1 - result.alpha:.0%} bootstrap interval": (
            f"{result.ci_low:+.4f} to {result.ci_high:+.4f}"
        ),
    },
    name="",
).to_frame()

# %%
if result.arms["labelled"].sum():
    fig, ax = plt.subplots(figsize=(6, 2.5))
    arms = result.arms.dropna(subset=[result.metric])
    ax.barh(arms.index, arms[result.metric], color=["#4c72b0", "#55a868"][: len(arms)])
    for i, (value, n) in enumerate(zip(arms[result.metric], arms["labelled"], strict=True)):
        ax.text(value, i, f" {value:.3f} (n={n:,})", va="center")
    ax.set_xlim(0, 1.15 if result.metric == "accuracy" else 1.15 * arms[result.metric].max())
    ax.set_xlabel(f"{metric} on labelled predictions")
    plt.show()

# %%
provenance("ab_analysis", inputs_digest)
