"""A real registry with two versions of the churn model, shared by the service's tests."""

import mlflow
import pytest

from mlcycle.features.table import build_model_table
from mlcycle.training.train import features_and_target, fit, log_probability_model


@pytest.fixture(scope="module")
def registry(tmp_path_factory, churn_config, tiny_data):
    """customer_churn v1 (random forest, champion) and v2 (logistic, challenger)."""
    folder = tmp_path_factory.mktemp("serving")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    client.create_registered_model("customer_churn")
    for alias, family, params in (
        ("champion", "random_forest", {"n_estimators": 10}),
        ("challenger", "logistic_regression", {}),
    ):
        model = fit(table, churn_config, family, params)
        with mlflow.start_run() as run:
            info = log_probability_model(model, features_and_target(table, churn_config).X)
        version = client.create_model_version("customer_churn", info.model_uri, run.info.run_id)
        client.set_registered_model_alias("customer_churn", alias, version.version)
    rows = features_and_target(table, churn_config).X
    # the service must find its registry from its settings, not from what this test set
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'elsewhere.db'}")
    mlflow.set_registry_uri(f"sqlite:///{folder / 'elsewhere.db'}")
    return folder, uri, rows
