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
from mlcycle.settings import artifacts_under, local_store_uri, sandboxed_store


def resolve_tracking_uri(products: str | Path, tracking_uri: str | None = None) -> str:
    """MLFLOW_TRACKING_URI wins, then the explicit parameter (the settings layer's resolved
    `tracking_uri`), then the embedded store under `products`."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or tracking_uri or local_store_uri(products)
    return sandboxed_store(uri)


def _quiet_store() -> None:
    """No chatter from opening a store: whichever call opens it first (configure_tracking or
    connect) in a process whose imports may already have been made (a forked stage kernel)."""
    apply_quiet_defaults()
    for name in ("mlflow.store.db.utils", "alembic"):  # store creation chatter, not news
        logging.getLogger(name).setLevel(logging.WARNING)
    # MLflow's SQL store uses an option SQLAlchemy 2.1 deprecates: theirs to fix, not news here
    warnings.filterwarnings("ignore", message=r"The ``noload`` loader strategy is deprecated")


def configure_tracking(
    products: str | Path, experiment: str, tracking_uri: str | None = None
) -> str:
    """Point MLflow at the store and make sure the experiment exists; returns its id."""
    _quiet_store()
    uri = resolve_tracking_uri(products, tracking_uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return ensure_experiment(MlflowClient(uri), experiment, products)


def ensure_experiment(client: MlflowClient, name: str, products: str | Path | None) -> str:
    """The experiment's id, created if needed. In a local store its artifacts go under the
    products folder (settings.artifacts_under), never the working directory; a tracking
    server keeps its own artifact root."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    artifact_location = None
    if products is not None and client.tracking_uri.startswith("sqlite:"):
        artifact_location = artifacts_under(products).as_uri()
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(name, artifact_location=artifact_location)
    except MlflowException as exc:  # a parallel task created it first (the model grid)
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return client.get_experiment_by_name(name).experiment_id


def connect(tracking_uri: str) -> MlflowClient:
    """Use this store for the whole process and return a client bound to it.

    `models:/` URIs resolve through MLflow's process-wide registry URI, and a client made with
    only a tracking URI silently follows that global registry: set both, name both.
    """
    _quiet_store()
    tracking_uri = sandboxed_store(tracking_uri)  # a stage run by hand: the sandbox's copy
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri, registry_uri=tracking_uri)
