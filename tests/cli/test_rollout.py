"""mlcycle rollout against a real registry (conftest.registry: v1 champion, v2 challenger) and a
real prediction log whose outcomes are planted per arm."""

import mlflow
import numpy as np
import pytest

from mlcycle.cli.main import main
from mlcycle.registry import rollout as state
from mlcycle.serving.prediction_log import Prediction, PredictionLog
from tests.conftest import CHURN_CONFIG

NAME = "customer_churn"


@pytest.fixture
def setup(registry, tmp_path, monkeypatch):
    _, uri, _ = registry
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the settings name the store
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    log = tmp_path / "predictions.db"
    args = ["--env--tracking_uri", uri, "--env--prediction_log", str(log),
            "--env--dataset", str(CHURN_CONFIG), "--env--products", str(tmp_path),
            "--env--ab_ramp", "[10, 50, 100]", "--env--ab_min_labelled", "100"]  # fmt: skip
    yield client, log, args
    for key in client.get_registered_model(NAME).tags:
        if key.startswith(state.PREFIX):
            client.delete_registered_model_tag(NAME, key)
    client.set_registered_model_alias(NAME, "champion", "1")


def plant(log_path, experiment, accuracy, n=400, share=50, seed=0):
    """n randomised predictions of the experiment, labelled, right with each arm's accuracy."""
    rng = np.random.default_rng(seed)
    log = PredictionLog(log_path)
    arms = rng.choice(["champion", "challenger"], n)
    split = f"champion={100 - share},challenger={share}"
    records = [
        Prediction(f"{experiment}-{seed}-{i}", f"u{i}", arm, NAME,
                   "1" if arm == "champion" else "2", {}, 1, 0.9, experiment, "randomised", split)
        for i, arm in enumerate(arms)
    ]  # fmt: skip
    log.record(records)
    for i, arm in enumerate(arms):
        log.record_feedback(records[i].request_id, int(rng.random() < accuracy[arm]))
    log.close()


def test_a_rollout_is_started_advanced_and_completed(setup, capsys):
    client, log, args = setup
    assert main(["rollout", "status", *args]) == 0
    assert "no rollout" in capsys.readouterr().out
    assert main(["rollout", "start", *args]) == 0
    started = state.read_rollout(client, NAME)
    assert started.status == state.RUNNING and started.share == 10 and started.version == "2"

    assert main(["rollout", "advance", *args]) == 0  # no outcomes yet: hold
    assert "rollout hold" in capsys.readouterr().out
    assert state.read_rollout(client, NAME).share == 10

    plant(log, started.key, {"champion": 0.80, "challenger": 0.85})
    plant(log, "another-experiment", {"champion": 0.99, "challenger": 0.01}, seed=1)  # ignored
    assert main(["rollout", "advance", *args]) == 0
    assert state.read_rollout(client, NAME).share == 50
    assert main(["rollout", "advance", *args]) == 0
    assert state.read_rollout(client, NAME).share == 100
    assert main(["rollout", "advance", *args]) == 0
    done = state.read_rollout(client, NAME)
    assert done.status == state.COMPLETE and "complete" in capsys.readouterr().out
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "2"
    runs = client.search_runs(
        [client.get_experiment_by_name(f"{NAME}-monitoring").experiment_id],
        "tags.kind = 'rollout'",
    )
    assert {r.data.tags["rollout.action"] for r in runs} == {"start", "hold", "advance", "complete"}


def test_a_worse_challenger_is_rolled_back(setup, capsys):
    client, log, args = setup
    main(["rollout", "start", *args])
    key = state.read_rollout(client, NAME).key
    plant(log, key, {"champion": 0.85, "challenger": 0.70})
    assert main(["rollout", "advance", *args]) == 0
    rolled = state.read_rollout(client, NAME)
    assert rolled.status == state.ROLLED_BACK and rolled.share == 0 and not rolled.active
    assert "challenger worse" in rolled.reason
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"


def test_hold_resume_and_mistakes_are_one_line(setup, capsys):
    client, _, args = setup
    assert main(["rollout", "advance", *args]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("mlcycle rollout: no rollout: nothing to advance") and "Traceback" not in err
    )
    main(["rollout", "start", *args])
    assert main(["rollout", "start", *args]) == 2
    assert "complete or roll it back first" in capsys.readouterr().err
    assert main(["rollout", "hold", *args, "--reason", "a holiday week"]) == 0
    assert state.read_rollout(client, NAME).status == state.HELD
    assert main(["rollout", "advance", *args]) == 2  # held: advance waits for resume
    assert main(["rollout", "resume", *args]) == 0
    assert state.read_rollout(client, NAME).status == state.RUNNING
    assert main(["rollout", "rollback", *args]) == 0
    assert state.read_rollout(client, NAME).status == state.ROLLED_BACK


def test_a_broken_ramp_setting_is_one_line(setup, capsys):
    _, _, args = setup
    assert main(["rollout", "start", *args, "--env--ab_ramp", "[50, 10]"]) == 2
    err = capsys.readouterr().err
    assert "the setting ab_ramp" in err and "ending at 100" in err and "Traceback" not in err
