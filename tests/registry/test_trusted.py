"""Only trusted formats load: a pickle payload in the registry never runs, in any loader."""

import os
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from mlcycle.registry.trusted import TRUSTED_TYPES, UntrustedModelError, load_trusted
from mlcycle.training.model import FAMILIES, build_pipeline
from tests.conftest import fresh_sqlite_store

# stated, as the project's own logging does: else MLflow infers them by loading the model in a
# new Python process (seconds a model)
REQUIREMENTS = ["scikit-learn"]


class Payload:
    """Unpickling this creates `path`: proof that the artifact's code ran."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def log_pickle(tmp_path: Path, marker: Path) -> str:
    """A real, fitted pipeline logged as pickle, carrying a payload."""
    model = make_pipeline(LogisticRegression()).fit(np.eye(4), [0, 1, 0, 1])
    model.payload = Payload(marker)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format="pickle", pip_requirements=REQUIREMENTS
        )
    marker.unlink(missing_ok=True)  # logging copies the model, which runs the payload once
    return info.model_uri, run.info.run_id


def registry_with_a_pickle(uri: str, tmp_path: Path, name: str) -> Path:
    """`name` v1: customer_churn v1 (skops, champion); v2: a pickle payload. Returns the file
    the payload creates if it ever runs."""
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    mlflow.set_tracking_uri(uri)
    try:
        good = client.get_model_version("customer_churn", "1")
        client.create_registered_model(name)
        client.create_model_version(name, good.source, good.run_id)
        client.set_registered_model_alias(name, "champion", "1")
        marker = tmp_path / "payload-ran"
        model_uri, run_id = log_pickle(tmp_path, marker)
        client.create_model_version(name, model_uri, run_id)
    finally:
        mlflow.set_tracking_uri("")
    return marker


@pytest.fixture
def store(tmp_path):
    uri = fresh_sqlite_store(tmp_path)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri
    mlflow.set_tracking_uri("")
    mlflow.set_registry_uri("")


def test_every_family_needs_only_trusted_types(churn_config, tiny_data):
    from mlcycle.features.table import build_model_table
    from mlcycle.training.train import features_and_target

    xy = features_and_target(
        build_model_table(tiny_data.customers, tiny_data.events, churn_config), churn_config
    )
    for family in FAMILIES:
        params = {"max_iter": 20} if family in ("mlp", "hist_gradient_boosting") else None
        model = build_pipeline(churn_config, family, params).fit(xy.X, xy.y)
        untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
        assert set(untrusted) <= set(TRUSTED_TYPES), (family, untrusted)


def test_a_pickle_payload_is_refused_and_never_runs(store, tmp_path):
    marker = tmp_path / "ran"
    model_uri, _ = log_pickle(tmp_path, marker)
    with pytest.raises(UntrustedModelError, match="stored as pickle"):
        load_trusted(model_uri, "the test's model")
    assert not marker.exists()
    mlflow.sklearn.load_model(model_uri)  # what the loaders did before: the payload runs
    assert marker.exists()


def test_skops_with_a_type_the_artifact_trusts_but_the_project_does_not(store):
    model = make_pipeline(FunctionTransformer(func=os.getcwd), LogisticRegression())
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format="skops",
            skops_trusted_types=["posix.getcwd"],  # the artifact vouches for itself
            pip_requirements=REQUIREMENTS,
        )  # fmt: skip
    with pytest.raises(UntrustedModelError, match="posix.getcwd"):
        load_trusted(info.model_uri)


def test_a_trusted_skops_model_loads_and_predicts(registry):
    _, uri, rows = registry
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        model = load_trusted("models:/customer_churn@champion")
    finally:
        mlflow.set_tracking_uri("")
        mlflow.set_registry_uri("")
    proba = model.predict_proba(pd.DataFrame(rows.head(3)))[:, 1]
    assert proba.shape == (3,) and ((proba >= 0) & (proba <= 1)).all()
