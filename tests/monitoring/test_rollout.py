import pytest

from mlcycle.monitoring.rollout import Ramp, next_move
from mlcycle.serving.ab import assign_arm, parse_arms


def test_the_ramp_climbs_only_while_the_challenger_is_not_worse():
    ramp = Ramp()
    move = next_move(ramp, 0, 0.80, 0.81, labelled=500)
    assert (move.step, move.action) == (1, "advance") and "50% next" in move.reason
    assert next_move(ramp, 1, 0.80, 0.80, labelled=500).step == 2
    assert next_move(ramp, 2, 0.80, 0.82, labelled=500).action == "complete"
    assert next_move(ramp, 1, 0.80, 0.75, labelled=500).action == "roll back"
    held = next_move(ramp, 1, 0.80, 0.95, labelled=20)
    assert (held.step, held.action) == (1, "hold")


def test_ramp_steps_become_service_arms_and_users_stay_on_the_challenger():
    ramp = Ramp.parse("10,50,100")
    assert [ramp.arms(i) for i in range(3)] == [
        "champion=90,challenger=10", "champion=50,challenger=50", "champion=0,challenger=100",
    ]  # fmt: skip
    users = [f"user-{i}" for i in range(2000)]
    on_challenger = [
        {u for u in users if assign_arm(u, parse_arms(ramp.arms(i)), "exp") == "challenger"}
        for i in range(3)
    ]
    assert on_challenger[0] <= on_challenger[1] <= on_challenger[2] == set(users)
    assert 0.07 < len(on_challenger[0]) / 2000 < 0.13


@pytest.mark.parametrize("spec", ["50,10,100", "10,50", "0,100", "ten"])
def test_bad_ramps_are_refused(spec):
    with pytest.raises(ValueError, match="ramp"):
        Ramp.parse(spec)


def test_a_regressors_rollout_reads_a_larger_error_as_worse():
    ramp = Ramp((10.0, 50.0, 100.0))
    assert next_move(ramp, 0, 12.0, 11.0, labelled=500, metric="mae").action == "advance"
    back = next_move(ramp, 1, 12.0, 13.0, labelled=500, metric="mae")
    assert (
        back.action == "roll back" and "mae: challenger 13.0000 vs champion 12.0000" in back.reason
    )
    assert next_move(ramp, 1, 12.0, 12.5, labelled=500, tolerance=1.0, metric="mae").step == 2


def test_live_performance_is_the_tasks_own():
    import pandas as pd

    from mlcycle.monitoring.rollout import live_performance

    log = pd.DataFrame({"arm": ["champion", "challenger", "challenger"], "experiment": "e",
                        "assignment": "randomised", "prediction": [10.0, 20.0, 30.0],
                        "outcome": [12.0, 20.0, 33.0], "task": "regression"})  # fmt: skip
    metric, figures = live_performance(log, "e")
    assert metric == "mae" and figures == {"champion": (2.0, 1), "challenger": (1.5, 2)}
