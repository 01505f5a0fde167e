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
# # Train a candidate
# One point of the model grid (`model_grid` in env.yaml): one model family and its parameters.
# Build the training sets from the feature store (point in time, ttl-bounded: each label sees
# only features known at its timestamp), fit the scikit-learn pipeline built from the dataset
# config and track everything in MLflow, one run per candidate:
# params, validation metrics, dataset inputs, the model (skops, with a signature saying what
# its task returns), a feature-importance plot and lineage tags. The train stage keeps the best.

# %% tags=["parameters"]
upstream = ["collect", "validate", "features", "feature_store"]
product = None
inputs_digest = None  # set by the build: reruns this stage when the lib/ code it imports changes
dataset = None  # dataset config YAML
products = None  # products folder (holds the default SQLite tracking store)
experiment = None  # MLflow experiment name ("" = the dataset's name)
tracking_uri = None  # '' = $MLFLOW_TRACKING_URI, else SQLite under products
feature_store = None  # feature_store.yaml
model_family = (
    None  # the task's family (training/model.py): random_forest, hist_gradient_boosting, mlp, …
)
model_params = None  # overrides of the family's defaults
production_log = None  # the prediction log whose labelled rows also train ('' = none)

# %%
from mlcycle.orchestration.notebook import provenance, resolve_stage

resolve_stage("candidate", globals())

# %%
# %matplotlib inline
import mlflow
import pandas as pd
from IPython.display import Markdown, display

from mlcycle.config import load_dataset_config
from mlcycle.features.store import ENTITY_TS, open_store, training_frame
from mlcycle.features.table import split_kind
from mlcycle.io import read_json, write_parquet
from mlcycle.monitoring.labelled_traffic import training_split
from mlcycle.records import CandidateRun, Collection, Validation, read_record, write_record
from mlcycle.reporting.display import show_figure
from mlcycle.tracking import configure_tracking
from mlcycle.training.run import estimator_params, lineage_tags, log_dataset_inputs, run_name
from mlcycle.training.train import (
    classes_of,
    fit_and_validate,
    importance_figure,
    log_probability_model,
    permutation_importances,
)

config = load_dataset_config(dataset)
store = open_store(products, feature_store)
definitions = read_json(upstream["feature_store"]["definitions"])
labels = pd.read_parquet(upstream["features"]["labels"])
collection = read_record(upstream["collect"]["summary"], Collection)
task = read_record(upstream["validate"]["summary"], Validation).task  # binary, multiclass, …
frame = training_frame(store, labels, config)
splits = {name: part.drop(columns="split") for name, part in frame.groupby("split")}
# outcomes from the log (production_labels) join the training split only
splits["train"], sources = training_split(
    splits["train"], production_log, config, collection.as_of_setting
)
for name, part in splits.items():
    write_parquet(part, product[name])
train, valid = splits["train"], splits["valid"]
experiment_name = experiment or config.name
experiment_id = configure_tracking(products, experiment_name, tracking_uri)

# %%
# a failure inside this block marks the MLflow run FAILED
name = run_name(model_family, model_params, config.name)
with mlflow.start_run(experiment_id=experiment_id, run_name=name) as run:
    mlflow.set_tags(
        {
            **lineage_tags(config, train, collection, split_kind(labels, ENTITY_TS), sources),
            "lineage.inputs_digest": str(inputs_digest),
            "lineage.feature_service": definitions["feature_service"],
            "lineage.feature_definitions": definitions["fingerprint"],
        }
    )
    mlflow.log_params(
        {
            "model_family": model_family,
            "dataset": config.name,
            "target": config.target.column,
            "task": task,
            "n_features": len(config.feature_names),
            "train_rows": len(train),
            "valid_rows": len(valid),
            **{f"model.{k}": v for k, v in (model_params or {}).items()},
        }
    )
    splits_logged = {"train": (train, product["train"]), "valid": (valid, product["valid"])}
    log_dataset_inputs(config, splits_logged)
    model, xy, valid_metrics = fit_and_validate(
        train, valid, config, model_family, model_params, task
    )
    mlflow.log_params(estimator_params(model))  # every effective hyperparameter
    mlflow.log_metrics({f"valid_{k}": v for k, v in valid_metrics.items()})
    fig = importance_figure(permutation_importances(model, xy.X, xy.y, task=task), task=task)
    mlflow.log_figure(fig, "plots/feature_importance.png")
    info = log_probability_model(model, xy.X)

write_record(
    CandidateRun(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=mlflow.get_tracking_uri(),
        model_uri=info.model_uri,
        model_name=config.model_name,
        model_family=model_family,
        model_params=dict(model_params or {}),
        valid_metrics=valid_metrics,
        sources=sources,
        task=task,
        classes=classes_of(model),
    ),
    product["run"],
)

# %%
by_source = ", ".join(f"{source} {n:,}" for source, n in sources.items())
display(Markdown(f"**MLflow run** `{run.info.run_id}` in experiment `{experiment_name}`; "
                 f"model `{info.model_uri}`. Training rows by source: {by_source}"))  # fmt: skip
pd.Series(valid_metrics, name="validation").round(4).to_frame()

# %%
show_figure(fig)

# %%
provenance("candidate", inputs_digest)
