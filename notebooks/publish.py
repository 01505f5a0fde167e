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
# # Publish
# The report hub for people who read results, not code: `index.html` links every stage's
# report with the key figures at a glance, and the model card describes the model in production
# (intended use, data, features, metrics per group, limitations, ethical considerations,
# lineage). Static files only: the reports folder can be published as it is.

# %% tags=["parameters"]
upstream = [
    "collect",
    "validate",
    "features",
    "feature_store",
    "materialize",
    "candidate-*",
    "select",
    "evaluate",
    "register",
    "optimize",
    "batch_predict",
    "monitor",
    "ab_analysis",
]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML (its `card:` section holds the model card's words)

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("publish", globals())

# %%
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.reporting.publish import flatten_upstream, publish

stages = flatten_upstream(upstream)  # a grid's tasks (candidate-*) as stages of their own
summary = publish(stages, dataset, product["hub"], product["model_card"], product["summary"])

# %%
display(Markdown(f"Report hub: `{summary['hub']}`  \nModel card: `{summary['model_card']}`"))
pd.DataFrame(summary["cards"]).set_index("key")

# %%
pd.DataFrame(summary["stages"])[["name", "state", "figures"]].set_index("name")

# %%
provenance("publish", inputs_digest)
