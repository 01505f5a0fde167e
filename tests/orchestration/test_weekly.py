"""The weekly loop's parts that need no build: the week's rows, the loop's clock, the verdicts."""

import mlflow
import pandas as pd

from mlcycle.orchestration.weekly import (
    describe_registration,
    last_week_end,
    new_rows_window,
    week_end,
)
from mlcycle.records import Registration
from mlcycle.settings import load_settings
from tests.conftest import PROJECT


def test_the_week_is_seven_days_after_where_it_starts():
    assert week_end("2026-06-30 00:00:00") == "2026-07-07 00:00:00"


def test_the_weeks_rows_are_the_ones_no_build_has_seen(tmp_path):
    settings = load_settings(PROJECT, environ={}, overrides={
        "n_customers": "300", "weekly_customers": "40", "products": str(tmp_path),
    })  # fmt: skip
    path = tmp_path / "week.parquet"
    assert new_rows_window(settings, "2026-06-30", "2026-07-14", path) == 80
    window = pd.read_parquet(path)
    assert window["customer_id"].str[:4].value_counts().to_dict() == {"W001": 40, "W002": 40}
    assert set(settings_features(settings)) <= set(window.columns)  # features computed
    assert new_rows_window(settings, "2026-07-14", "2026-07-20", tmp_path / "none.parquet") == 0
    assert not (tmp_path / "none.parquet").exists()


def settings_features(settings):
    from mlcycle.config import load_dataset_config

    return load_dataset_config(str(settings.dataset)).feature_names


def test_the_loops_clock_is_the_newest_weekly_run(mlflow_store, tmp_path):
    client = mlflow.MlflowClient()
    settings = load_settings(PROJECT, environ={})
    assert last_week_end(client, "m", settings) is None
    experiment = client.create_experiment("m-monitoring", (tmp_path / "m").as_uri())
    for end in ("2026-07-07 00:00:00", "2026-07-21 00:00:00", "2026-07-14 00:00:00"):
        run = client.create_run(experiment, tags={"kind": "weekly", "week_end": end})
        client.set_terminated(run.info.run_id)
    client.create_run(experiment, tags={"kind": "monitoring", "week_end": "2027-01-01"})
    assert last_week_end(client, "m", settings) == "2026-07-21 00:00:00"


def test_what_a_retrain_registered_in_words():
    base = dict(model_name="m", version="2", champion_before="1", metric="roc_auc",
                challenger_score=0.9, champion_score=0.8)  # fmt: skip
    unchanged = describe_registration(Registration(
        **base, champion_after="1", promoted=False, reason="r", registered=False,
    ))  # fmt: skip
    assert unchanged.startswith("nothing new registered")
    assert unchanged.endswith("add them with their outcomes to the dataset's source and run again")
    assert describe_registration(Registration(
        **base, champion_after="1", promoted=False, reason="wins", beats_champion=True,
        rollout="m-v2-x",
    )).startswith("version 2 rolled out")  # fmt: skip
    assert describe_registration(Registration(
        **base, champion_after="2", promoted=True, reason="first",
    )).startswith("version 2 is the champion")  # fmt: skip


def test_weekly_without_a_build_says_what_to_do(tmp_path, capsys):
    from mlcycle.cli.main import main

    assert main(["weekly", "--env--products", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "no build to start the week from" in err and "make run" in err
    assert "Traceback" not in err


def test_a_bad_week_end_is_one_line(tmp_path, capsys):
    from mlcycle.cli.main import main
    from mlcycle.records import Collection, write_record

    record = Collection(source="s", as_of="2026-06-30 00:00:00", window_start=None,
                        train_window_days=None, rows=1, events=0, rows_after_as_of=0,
                        rows_before_window=0, data_fingerprint="f")  # fmt: skip
    write_record(record, tmp_path / "data" / "raw" / "collection.json")
    args = ["weekly", "--env--products", str(tmp_path)]
    assert main([*args, "--until", "next tuesday"]) == 2
    assert "'next tuesday' is not a date" in capsys.readouterr().err
    assert main([*args, "--until", "2026-06-01"]) == 2
    err = capsys.readouterr().err
    assert "must end after 2026-06-30 00:00:00" in err and "Traceback" not in err
