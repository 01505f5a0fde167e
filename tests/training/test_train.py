import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
import yaml

from mlcycle.features.table import build_model_table
from mlcycle.training.train import (
    features_and_target,
    fit,
    importance_figure,
    log_probability_model,
    permutation_importances,
)


@pytest.fixture(scope="module")
def table(churn_config, tiny_data):
    return build_model_table(tiny_data.customers, tiny_data.events, churn_config)


def test_features_and_target_follow_the_config(churn_config, table):
    xy = features_and_target(table, churn_config)
    assert list(xy.X.columns) == churn_config.feature_names
    assert all(xy.X[c].dtype == float for c in churn_config.numeric_names)
    assert set(xy.y.unique()) == {0, 1}


def test_permutation_importance_covers_every_column(churn_config, table):
    model = fit(table, churn_config, "logistic_regression")
    xy = features_and_target(table, churn_config)
    imp = permutation_importances(model, xy.X, xy.y, max_rows=200)
    assert set(imp.index) == set(churn_config.feature_names)
    assert imp.iloc[0] > 0  # something matters
    assert len(importance_figure(imp).axes[0].patches) == len(imp)


def test_logged_model_is_skops_with_probability_signature(
    churn_config, table, mlflow_store, tmp_path
):
    model = fit(table, churn_config, "random_forest", {"n_estimators": 5})
    xy = features_and_target(table, churn_config)
    with mlflow.start_run():
        info = log_probability_model(model, xy.X)
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    proba = np.asarray(loaded.predict(xy.X.head(7)))
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba, model.predict_proba(xy.X.head(7)))
    # signature: every feature in, two probability columns out
    sig = info.signature
    assert sig.inputs.input_names() == churn_config.feature_names
    assert json.loads(sig.outputs.to_json())[0]["tensor-spec"]["shape"] == [-1, 2]
    # serialised with skops, not pickle; explicit requirements
    local = mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path))
    mlmodel = yaml.safe_load(Path(local, "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    reqs = Path(local, "requirements.txt").read_text()
    assert "scikit-learn==" in reqs and "skops==" in reqs


def test_each_task_trains_its_own_families_and_says_what_it_predicts(task_tables, churn_config,
                                                                    tiny_data):  # fmt: skip
    from mlcycle.features.table import build_model_table
    from mlcycle.task import task_of
    from mlcycle.training.model import REGRESSORS, build_pipeline
    from mlcycle.training.train import model_output

    config, table = task_tables["regression"]
    for family in REGRESSORS:
        model = fit(table.iloc[:200], config, family, {"max_iter": 50} if family in (
            "hist_gradient_boosting", "mlp") else {}, "regression")  # fmt: skip
        assert task_of(model) == "regression"
        out = model_output(model, table.iloc[200:210], "regression")
        assert out.shape == (10,) and np.isfinite(out).all()
    with pytest.raises(ValueError, match="unknown model family 'logistic_regression' for a "
                       "regression target; choose one of"):  # fmt: skip
        build_pipeline(config, "logistic_regression", task="regression")

    config, table = task_tables["multiclass"]
    model = fit(table.iloc[:300], config, "logistic_regression", {}, "multiclass")
    assert task_of(model) == "multiclass"
    proba = model_output(model, table.iloc[300:], "multiclass")
    assert list(proba.columns) == sorted(table["next_plan"].unique())
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    binary = fit(build_model_table(tiny_data.customers, tiny_data.events, churn_config),
                 churn_config, "logistic_regression")  # fmt: skip
    assert task_of(binary) == "binary"
