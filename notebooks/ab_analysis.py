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
# # 12. A/B test analysis
# Should the challenger replace the champion? From the service's prediction log and the
# outcomes that came back: how many requests each arm served and how accurate it was; whether
# the split matches the configured weights (a sample-ratio mismatch voids the test); a
# two-proportion z-test and a bootstrap confidence interval on the accuracy difference; and a
# recommendation in plain words.

# %% tags=["parameters"]
upstream = ["monitor"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
prediction_log = None  # the service's prediction log (SQLite)
ab_arms = None  # the weights the test ran with, as the service's MLCYCLE_AB_ARMS
ab_alpha = None  # significance level of the z-test (and 1 - confidence of the interval)
ab_min_labelled = None  # labelled predictions per arm before any verdict
seed = None  # for the bootstrap

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("ab_analysis", globals())

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.io import read_json, write_json
from mlcycle.monitoring.ab_analysis import analyse
from mlcycle.serving.ab import parse_arms

weights = {arm.name: arm.weight for arm in parse_arms(ab_arms)}
monitoring = read_json(upstream["monitor"]["decision"])
log_path = Path(prediction_log) if prediction_log else None
if log_path is not None and log_path.is_file():
    from mlcycle.serving.prediction_log import PredictionLog

    log = PredictionLog(log_path).frame()
else:
    log = pd.DataFrame(columns=["arm", "prediction", "outcome"])
result = analyse(log, weights, alpha=float(ab_alpha), min_labelled=int(ab_min_labelled),
                 seed=int(seed))  # fmt: skip
write_json(result.to_dict() | {"prediction_log": str(log_path)}, product["analysis"])

# %%
display(
    Markdown(f"""
## Recommendation: **{result.recommendation}**

{result.why[0].upper() + result.why[1:]}.

Log: `{log_path}` ({len(log):,} predictions). Configured split: {ab_arms}. This week's
monitoring: {"retrain" if monitoring["retrain"] else "no retraining"} ({monitoring["reasons"][0]}).
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
        "accuracy difference (challenger − champion)": f"{result.difference:+.4f}",
        "two-proportion z": f"{result.z:.3f}",
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
    arms = result.arms.dropna(subset=["accuracy"])
    ax.barh(arms.index, arms["accuracy"], color=["#4c72b0", "#55a868"][: len(arms)])
    for i, (acc, n) in enumerate(zip(arms["accuracy"], arms["labelled"], strict=True)):
        ax.text(acc, i, f" {acc:.3f} (n={n:,})", va="center")
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("accuracy on labelled predictions")
    plt.show()

# %%
provenance("ab_analysis", inputs_digest)
