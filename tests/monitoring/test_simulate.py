"""The loop for real, three tiny weeks: a real registry, the service app, Evidently."""

import json

import mlflow
import pytest

from mlcycle.monitoring.policy import RetrainPolicy
from mlcycle.monitoring.rollout import Ramp
from mlcycle.monitoring.simulate import (
    Loop,
    SimulationSettings,
    settings_from_env,
    timeline_frame,
)
from mlcycle.monitoring.timeline import render_timeline


@pytest.fixture(scope="module")
def loop(churn_config, tmp_path_factory):
    settings = SimulationSettings(
        weeks=3, customers_per_week=500, initial_customers=1500, drift_from_week=2,
        model_params={"n_estimators": 30}, policy=RetrainPolicy(min_metric=0.8),
        ramp=Ramp((100.0,)),  # promote at once: three weeks leave no time for a ramp
    )  # fmt: skip
    loop = Loop(settings, churn_config, tmp_path_factory.mktemp("simulation"))
    loop.run()
    return loop


def test_drifted_weeks_are_caught_and_the_stable_one_is_not(loop):
    frame = timeline_frame(loop.timeline)
    assert frame["drifted_traffic"].tolist() == [False, True, True]
    assert frame["dataset_drift"].tolist() == [False, True, True]
    assert frame.loc[1, "drift_share"] < 0.5 <= frame.loc[2, "drift_share"]


def test_a_retrain_beats_the_champion_and_is_promoted(loop):
    frame = timeline_frame(loop.timeline)
    assert frame["retrain"].any()
    promoted = frame[frame["promotion"].str.contains("promoted to champion")]
    assert len(promoted) >= 1, frame["promotion"].tolist()
    week = promoted.index[0]
    assert frame.loc[week, "champion_version"] == promoted.loc[week, "challenger_version"] != "1"
    assert loop.alias("champion") == frame["champion_version"].iloc[-1]
    # the drifted traffic made the first champion worse on its own outcomes
    assert frame.loc[3, "champion_accuracy"] < frame.loc[2, "champion_accuracy"]


def test_every_week_is_an_mlflow_run_with_its_decision(loop):
    client = mlflow.MlflowClient(loop.uri)
    runs = client.search_runs([loop.experiment_id], "tags.kind = 'weekly monitoring'")
    by_week = {r.info.run_name: r for r in runs}
    assert set(by_week) == {"week-1", "week-2", "week-3"}
    week2 = by_week["week-2"]
    assert week2.data.tags["decision.retrain"] == "true"
    assert "dataset drift" in week2.data.tags["decision.reasons"]
    assert week2.data.metrics["drift_share"] >= 0.5
    drift = json.loads(
        open(client.download_artifacts(week2.info.run_id, "drift.json")).read()  # noqa: SIM115
    )
    assert drift["dataset_drift"] is True and len(drift["columns"]) == 15


def test_feedback_went_through_the_service_into_the_log(loop):
    from mlcycle.serving.prediction_log import PredictionLog

    log = PredictionLog(loop.log_path).frame()
    assert len(log) == 3 * 500
    # outcomes of weeks 1 and 2 arrived (a week late); week 3's are still pending
    assert log["outcome"].notna().sum() == 2 * 500


def test_the_timeline_page_renders_with_links_to_drift_reports(loop, tmp_path):
    frame = timeline_frame(loop.timeline)
    page = render_timeline(frame, tmp_path / "t.html", "t", "intro",
                           links={w: f"drift/week-{w:02d}.html" for w in frame.index})  # fmt: skip
    text = page.read_text()
    assert text.count("<tr>") == 4 and 'href="drift/week-02.html"' in text
    assert "data:image/png;base64," in text
    assert (loop.workdir / "drift" / "week-02.html").stat().st_size > 10_000


def test_settings_come_from_env_yaml():
    from mlcycle.orchestration.dag import load_env
    from tests.conftest import PROJECT

    settings = settings_from_env(load_env(PROJECT), weeks=5, customers_per_week=None)
    assert settings.weeks == 5 and settings.customers_per_week == 2000  # None keeps the default
    assert settings.ramp.steps == (10.0, 50.0, 100.0)
    assert settings.policy.min_metric == 0.8 and settings.policy.on_dataset_drift
    assert settings.model_family == "random_forest" and settings.drift_share == 0.5
