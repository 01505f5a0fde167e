"""The loop for real, four tiny weeks: the generator's world advancing, the real DAG, the
service as a process following the registry, feedback, monitoring, a retrain, a rollout.

orchestration.simulation drives it exactly as `make simulate` does (outcomes the same week
here, and a two-step ramp, so four weeks see the whole rollout).
"""

import json

import mlflow
import pandas as pd
import pytest
import yaml

from mlcycle.orchestration.simulation import simulate, timeline
from mlcycle.serving.prediction_log import PredictionLog
from mlcycle.settings import load_settings
from tests.conftest import PROJECT

pytestmark = pytest.mark.dag
NAME = "customer_churn"


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    env = folder / "env.loop.yaml"
    env.write_text(yaml.safe_dump({
        "products": str(folder / "products"),
        "n_customers": 1500, "weekly_customers": 500, "drift_from_week": 2,
        "drift_shift": 0.6, "drift_new_category": 0.1, "drift_relationship": 1.0,
        "train_window_days": 14,
        "model_grid": [{"model_family": ["random_forest"], "model_params": [{"n_estimators": 30}]}],
        "gate_threshold": 0.6, "n_scoring": 400, "batch_size": 128,
        "ab_ramp": [50, 100], "ab_min_labelled": 50, "ab_min_effect": 0.1,
    }))  # fmt: skip
    settings = load_settings(PROJECT, env, environ={})
    collected = settings.products / "data" / "raw" / "entities.parquet"
    trained = settings.products / "model" / "run.json"  # the select stage's record
    stamps = {}

    def on_week(week, _):
        stamps[week] = (collected.stat().st_mtime_ns, trained.stat().st_mtime_ns)

    weeks = simulate(settings, str(env), {}, weeks=4, outcome_delay_weeks=0, on_week=on_week)
    client = mlflow.MlflowClient(settings.tracking_uri, registry_uri=settings.tracking_uri)
    return settings, weeks, stamps, client, timeline(client, NAME)


def test_a_stable_week_reruns_only_the_monitoring_stages(loop):
    _, weeks, stamps, _, frame = loop
    assert not frame.loc[1, "dataset_drift"] and not frame.loc[1, "retrain"]
    assert stamps[1] == stamps[0]  # neither collect nor training ran in week 1
    assert "no trigger fired" in frame.loc[1, "decision"]
    # nor in week 3 (a retrain waits for the rollout), although the log grew each week
    assert stamps[3] == stamps[2]


def test_drift_is_caught_and_the_retrain_learns_from_the_new_weeks(loop):
    settings, _, stamps, client, frame = loop
    assert frame["drifted_traffic"].tolist() == [False, True, True, True]
    assert frame.loc[2, "dataset_drift"] and frame.loc[2, "retrain"]
    assert stamps[2][0] != stamps[1][0]  # week 2 collected again, as of the week's end
    # only the retrain registered a version: monitoring weeks add none
    versions = client.search_model_versions(f"name = '{NAME}'")
    assert {str(mv.version) for mv in versions} == {"1", "2"}
    v1, v2 = (client.get_model_version(NAME, v).tags for v in ("1", "2"))
    assert v1["lineage.data_fingerprint"] != v2["lineage.data_fingerprint"]
    assert v2["lineage.as_of"] == "2026-07-14 00:00:00" and v2["lineage.split"] == "time"
    assert v2["lineage.window_start"] == "2026-06-30 00:00:00"  # 14 days: weeks 1 and 2 only
    assert "rolled out" in frame.loc[2, "promotion"]
    # the drifted traffic made the first champion worse on its own outcomes
    assert frame.loc[2, "champion_accuracy"] < frame.loc[1, "champion_accuracy"]


def test_the_running_service_follows_the_rollout_and_logs_its_experiment(loop):
    settings, _, _, client, frame = loop
    log = PredictionLog(settings.prediction_log).frame()
    assert len(log) == 4 * 500 and log["outcome"].notna().all()
    runs = client.search_runs(
        [client.get_experiment_by_name(f"{NAME}-monitoring").experiment_id],
        "tags.kind = 'rollout'",
    )
    moves = sorted((r.info.start_time, r.data.tags["rollout.action"]) for r in runs)
    assert [action for _, action in moves] == ["start", "advance", "complete"]
    key = runs[0].data.tags["rollout.key"]
    week3 = log.iloc[1000:1500]  # served after the rollout started, by the same process
    assert set(week3["experiment"]) == {key} and set(week3["assignment"]) == {"randomised"}
    assert set(week3["split"]) == {"champion=50,challenger=50"}
    assert set(week3["arm"]) == {"champion", "challenger"}
    assert set(log.iloc[1500:]["split"]) == {"champion=0,challenger=100"}
    assert set(log.iloc[:1000]["experiment"]) == {""}  # before it: no experiment
    # the rollout advanced and completed: the champion alias moved to the retrained version
    assert frame["challenger_share"].tolist() == [0, 50, 100, 0]
    assert frame["champion_version"].tolist() == ["1", "1", "1", "2"]
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "2"


def test_the_ab_analysis_counts_only_its_experiments_randomised_rows(loop):
    settings, _, _, _, _ = loop
    analysis = json.loads((settings.products / "monitoring" / "ab_analysis.json").read_text())
    log = PredictionLog(settings.prediction_log).frame()
    ours = log[(log["experiment"] == analysis["experiment"]) & (log["assignment"] == "randomised")]
    assert analysis["experiment"] and analysis["rows_analysed"] == len(ours) == 1000
    assert analysis["rows_in_log"] == len(log) > analysis["rows_analysed"]
    assert sum(a["served"] for a in analysis["arms"]) == len(ours)


def test_every_week_is_an_mlflow_run_and_the_timeline_renders(loop, tmp_path):
    from mlcycle.monitoring.timeline import render_timeline
    from mlcycle.reporting.site import TIMELINE, week_drift_page

    settings, _, _, _, frame = loop
    assert frame.index.tolist() == [1, 2, 3, 4]
    assert (frame["served"] == 500).all() and (frame["labelled"] == 500).all()
    page = render_timeline(frame, tmp_path / "t.html", "t", "intro",
                           links={w: f"drift/week-{w:02d}.html" for w in frame.index})  # fmt: skip
    text = page.read_text()
    assert text.count("<tr>") == 5 and 'href="drift/week-02.html"' in text
    # the weeks' drift pages sit in the reports folder, beside the timeline the hub links
    week_page = settings.products / "reports" / TIMELINE
    assert (week_page.parent / week_drift_page(2)).stat().st_size > 10_000
    assert isinstance(frame.loc[2, "decision"], list) and pd.notna(frame.loc[2, "drift_share"])


def test_a_prediction_traces_back_to_its_model_data_and_experiment(loop, capsys):
    from mlcycle.cli.main import main

    settings, _, _, client, _ = loop
    log = PredictionLog(settings.prediction_log).frame()
    row = log.iloc[1000:1500].query("arm == 'challenger'").iloc[0]
    env = settings.products.parent / "env.loop.yaml"
    assert main(["trace", row["request_id"], "--env-file", str(env)]) == 0
    out = capsys.readouterr().out
    for expected in (row["request_id"], "why this arm", "randomised", row["experiment"],
                     "rollout start", "customer_churn version 2", "data as of",
                     "2026-07-14 00:00:00", "training window from", "training rows: table",
                     "git commit", "feature service", "report hub"):  # fmt: skip
        assert expected in out, expected
    assert main(["trace", "no-such-request", "--env-file", str(env)]) == 2
    assert "no prediction with request_id 'no-such-request'" in capsys.readouterr().err
