import mlflow
import pytest

from mlcycle.features.table import build_model_table
from mlcycle.registry.aliases import CHALLENGER, CHAMPION, alias_version
from mlcycle.registry.register import register_and_promote
from mlcycle.training.metrics import classification_metrics
from mlcycle.training.train import features_and_target, fit, log_probability_model


@pytest.fixture(scope="module")
def data(churn_config, tiny_data):
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    return table.iloc[:300], features_and_target(table.iloc[300:], churn_config)


def logged(config, train, params):
    model = fit(train, config, "random_forest", params)
    with mlflow.start_run() as run:
        info = log_probability_model(model, features_and_target(train, config).X)
    return info.model_uri, run.info.run_id


def register(client, config, uri, run_id, test, gate_passed=True, promotion="direct", tags=None):
    return register_and_promote(
        client,
        uri,
        "churn",
        run_id,
        test.X,
        test.y,
        metric_fn=lambda y, p: classification_metrics(y, p)["roc_auc"],
        metric="roc_auc",
        gate_passed=gate_passed,
        tags=tags or {"lineage.x": "1"},
        promotion=promotion,
        first_share=10.0,
    )


def test_first_promoted_then_worse_refused_then_better_promoted(churn_config, data, mlflow_store):
    train, test = data
    client = mlflow.MlflowClient()
    good_uri, good_run = logged(churn_config, train, {"n_estimators": 30})
    first = register(client, churn_config, good_uri, good_run, test)
    assert first.promoted and first.version == "1" and first.champion_after == "1"

    weak_uri, weak_run = logged(churn_config, train, {"n_estimators": 1, "max_depth": 1})
    second = register(client, churn_config, weak_uri, weak_run, test)
    assert not second.promoted
    assert second.challenger_score < second.champion_score
    assert alias_version(client, "churn", CHAMPION) == "1"
    assert alias_version(client, "churn", CHALLENGER) == "2"
    tags = client.get_model_version("churn", "2").tags
    assert tags["promotion.decision"] == "not promoted" and tags["lineage.x"] == "1"

    # the champion answers by alias with probabilities
    proba = mlflow.pyfunc.load_model("models:/churn@champion").predict(test.X.head(3))
    assert proba.shape == (3, 2)

    # registering the same model again reuses its version instead of duplicating it
    again = register(client, churn_config, good_uri, good_run, test)
    assert again.version == "1" and "already the champion" in again.reason
    assert len(client.search_model_versions("name = 'churn'")) == 2


def test_gate_failure_registers_but_never_promotes(churn_config, data, mlflow_store):
    train, test = data
    client = mlflow.MlflowClient()
    uri, run = logged(churn_config, train, {"n_estimators": 5})
    result = register(client, churn_config, uri, run, test, gate_passed=False)
    assert not result.promoted and alias_version(client, "churn", CHAMPION) is None


def test_without_auto_promotion_only_the_first_model_becomes_champion(
    churn_config, data, mlflow_store
):
    train, test = data
    client = mlflow.MlflowClient()
    weak_uri, weak_run = logged(churn_config, train, {"n_estimators": 1, "max_depth": 1})
    first = register(client, churn_config, weak_uri, weak_run, test, promotion="review")
    assert first.promoted  # nothing in production to protect yet
    good_uri, good_run = logged(churn_config, train, {"n_estimators": 30})
    better = register(client, churn_config, good_uri, good_run, test, promotion="review")
    assert better.challenger_score > better.champion_score  # it would win...
    assert not better.promoted  # ...but waits for a reviewed promotion
    assert "automatic promotion is off" in better.reason and "VERSION=2" in better.reason
    assert alias_version(client, "churn", CHAMPION) == "1"
    assert alias_version(client, "churn", CHALLENGER) == "2"


def test_rollout_mode_starts_a_rollout_instead_of_promoting(churn_config, data, mlflow_store):
    from mlcycle.registry.rollout import RUNNING, read_rollout

    train, test = data
    client = mlflow.MlflowClient()
    weak_uri, weak_run = logged(churn_config, train, {"n_estimators": 1, "max_depth": 1})
    assert register(client, churn_config, weak_uri, weak_run, test, promotion="rollout").promoted
    good_uri, good_run = logged(churn_config, train, {"n_estimators": 30})
    better = register(client, churn_config, good_uri, good_run, test, promotion="rollout")
    assert better.beats_champion and not better.promoted
    assert alias_version(client, "churn", CHAMPION) == "1"
    rollout = read_rollout(client, "churn")
    assert rollout.status == RUNNING and rollout.version == "2" and rollout.share == 10.0
    assert better.rollout == rollout.key and "rollout starts at 10%" in better.reason
    # a rerun of the stage does not start it again
    again = register(client, churn_config, good_uri, good_run, test, promotion="rollout")
    assert again.rollout == rollout.key and read_rollout(client, "churn") == rollout
    # a third winner over the (weak) champion waits while the second's rollout runs
    best_uri, best_run = logged(churn_config, train, {"n_estimators": 60})
    waiting = register(client, churn_config, best_uri, best_run, test, promotion="rollout")
    assert waiting.beats_champion and not waiting.promoted and waiting.rollout is None
    assert "rollout of version 2 runs" in waiting.reason
    assert read_rollout(client, "churn").version == "2"


def test_the_champions_own_training_again_is_not_registered(churn_config, data, mlflow_store):
    train, test = data
    client = mlflow.MlflowClient()
    same = {"lineage.data_fingerprint": "abc", "model_family": "rf", "model_params": "{}"}
    uri, run = logged(churn_config, train, {"n_estimators": 10})
    assert register(client, churn_config, uri, run, test, tags=same).version == "1"
    uri2, run2 = logged(churn_config, train, {"n_estimators": 10})  # trained again: a new run
    again = register(client, churn_config, uri2, run2, test, tags=same)
    assert not again.registered and not again.promoted and again.version == "1"
    assert "same data as the champion" in again.reason
    assert len(client.search_model_versions("name = 'churn'")) == 1
    # new data is a new model
    newer = register(client, churn_config, uri2, run2, test,
                     tags=same | {"lineage.data_fingerprint": "def"})  # fmt: skip
    assert newer.registered and newer.version == "2"


def test_the_comparison_is_on_rows_the_champion_never_saw(churn_config, data, mlflow_store):
    import pandas as pd

    from mlcycle.registry.register import MIN_UNSEEN_ROWS, unseen_by_champion

    train, _ = data
    client = mlflow.MlflowClient()
    test = pd.DataFrame({"snapshot_ts": pd.to_datetime(["2026-06-30"] * 300 + ["2026-07-07"]
                                                       * MIN_UNSEEN_ROWS)})  # fmt: skip
    assert unseen_by_champion(client, "churn", test, "snapshot_ts")[0] is test  # no champion
    uri, run = logged(churn_config, train, {"n_estimators": 5})
    register(client, churn_config, uri, run, data[1],
             tags={"lineage.as_of": "2026-06-30 00:00:00"})  # fmt: skip
    rows, said = unseen_by_champion(client, "churn", test, "snapshot_ts")
    assert len(rows) == MIN_UNSEEN_ROWS and "rows it never saw" in said
    too_few = test.head(300 + MIN_UNSEEN_ROWS - 1)
    rows, said = unseen_by_champion(client, "churn", too_few, "snapshot_ts")
    assert rows is too_few and "too few to judge on" in said
