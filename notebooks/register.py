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
# # Register
# Register the model as a new version with the `challenger` alias. It may replace the
# champion only if it passed the gate and beats the current champion on the same test data:
# the champion is re-scored on this build's test split (with timestamps, the newest rows). A
# winner is then rolled out (a share of live traffic that grows while it is not worse,
# `promotion: rollout`), promoted at once (`direct`) or left for review (`review`). The first
# model becomes champion; a model trained on the champion's own data, the same way, is not
# registered again. Aliases, not the deprecated stages.

# %% tags=["parameters"]
upstream = ["select", "evaluate"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
promotion_metric = None  # metric the challenger must beat the champion on; auto = the task's
min_improvement = None  # margin the challenger must win by
promotion = None  # a winner: rollout (a share of traffic), direct (champion now) or review
ab_ramp = None  # a rollout's shares of traffic, step by step (the first is where it starts)

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("register", globals())

# %%
import json

import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.monitoring.rollout import Ramp
from mlcycle.records import Evaluation, TrainingRun, read_record, write_record
from mlcycle.registry.aliases import CHAMPION
from mlcycle.registry.register import describe_model, register_and_promote, unseen_by_champion
from mlcycle.registry.trusted import load_trusted
from mlcycle.task import metric_for
from mlcycle.tracking import connect
from mlcycle.training.metrics import task_metrics
from mlcycle.training.train import features_and_target, model_output

config = load_dataset_config(dataset)
run = read_record(upstream["select"]["run"], TrainingRun).model_dump()
task = run["task"]
promotion_metric = metric_for(task, promotion_metric, "promotion")
evaluation = read_record(upstream["evaluate"]["metrics"], Evaluation).model_dump()
client = connect(run["tracking_uri"])
test = pd.read_parquet(upstream["select"]["test"])
# judged on rows the champion never saw: the newest ones, after the as_of it learnt from
compared, compared_on = unseen_by_champion(client, config.model_name, test,
                                           config.timestamp_column)  # fmt: skip
xy = features_and_target(compared, config, task)
run_tags = client.get_run(run["run_id"]).data.tags

result = register_and_promote(
    client,
    run["model_uri"],
    config.model_name,
    run["run_id"],
    xy.X,
    xy.y,
    metric_fn=lambda y, out: task_metrics(task, y, out)[promotion_metric],
    metric=promotion_metric,
    gate_passed=evaluation["gate"]["passed"],
    min_improvement=min_improvement,
    promotion=promotion,
    first_share=Ramp.parse(ab_ramp).steps[0],
    description=describe_model(config),
    task=task,
    tags={
        "task": task,
        "run_id": run["run_id"],
        "model_family": run["model_family"],
        "model_params": json.dumps(run["model_params"], sort_keys=True),
        **{k: v for k, v in run_tags.items() if k.startswith("lineage.")},
        **{f"test_{k}": f"{v:.6f}" for k, v in evaluation["metrics"].items()},
    },
)
result = result.model_copy(update={"compared_on": compared_on})
write_record(result, product["registry"])

# %%
verdict = f"**{result.verdict}**" + (f" (experiment `{result.rollout}`)" if result.rollout else "")
display(
    Markdown(f"""
### `{result.model_name}` version {result.version}: {verdict}

{result.reason}. Champion before: {result.champion_before or "none"};
champion now: version {result.champion_after or "none"}. Compared on {result.compared_on}.
""")
)

# %%
# the champion answers through the registry alias: probabilities, or numbers for regression
champion = load_trusted(f"models:/{config.model_name}@{CHAMPION}")
pd.DataFrame(model_output(champion, xy.X.head(5), task)).round(3)

# %%
provenance("register", inputs_digest)
