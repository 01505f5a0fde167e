"""MLflow set-up shared by the training, evaluation and registry stages.

The tracking store is SQLite under the products folder unless MLFLOW_TRACKING_URI says
otherwise (a shared server, PostgreSQL); never the file store, never the current directory.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from mlcycle.environment import apply_quiet_defaults


def resolve_tracking_uri(products: str | Path, tracking_uri: str | None = None) -> str:
    """MLFLOW_TRACKING_URI wins, then the explicit parameter, then SQLite under `products`."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    if tracking_uri:
        return tracking_uri
    return f"sqlite:///{Path(products).resolve() / 'mlflow.db'}"


def configure_tracking(
    products: str | Path, experiment: str, tracking_uri: str | None = None
) -> str:
    """Point MLflow at the store and make sure the experiment exists; returns its id."""
    apply_quiet_defaults()
    for name in ("mlflow.store.db.utils", "alembic"):  # store creation chatter, not news
        logging.getLogger(name).setLevel(logging.WARNING)
    # MLflow's SQL store uses an option SQLAlchemy 2.1 deprecates: theirs to fix, not news here
    warnings.filterwarnings("ignore", message=r"The ``noload`` loader strategy is deprecated")
    uri = resolve_tracking_uri(products, tracking_uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    artifact_location = None
    if uri.startswith("sqlite:"):  # local store: keep artifacts under products/, not the cwd
        artifact_location = (Path(products).resolve() / "mlartifacts").as_uri()
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(experiment, artifact_location=artifact_location)
    except MlflowException as exc:  # a parallel task created it first (the model grid)
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return client.get_experiment_by_name(experiment).experiment_id


def connect(tracking_uri: str) -> MlflowClient:
    """Use this store for the whole process and return a client bound to it.

    `models:/` URIs resolve through MLflow's process-wide registry URI, and a client made with
    only a tracking URI silently follows that global registry: set both, name both.
    """
    apply_quiet_defaults()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri, registry_uri=tracking_uri)
