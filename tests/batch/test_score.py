"""Batch scoring end to end on a real registry (tiny data, temporary folders)."""

import json
from dataclasses import replace

import fsspec
import mlflow
import numpy as np
import pandas as pd
import pytest

from mlcycle.batch.reader import InputSchemaError
from mlcycle.batch.score import load_registered, score_file
from mlcycle.cli.batch import main
from tests.conftest import CHURN_CONFIG


@pytest.fixture(scope="module")
def scoring_set(registry):
    _, _, rows = registry
    return rows.assign(customer_id=[f"C{i:05d}" for i in range(len(rows))]).reset_index(drop=True)


@pytest.fixture
def champion(registry):
    _, uri, _ = registry
    return load_registered(uri, "customer_churn", "champion", n_jobs=1)


def test_scores_a_file_exactly_as_predict_proba_in_memory(tmp_path, scoring_set, champion,
                                                         churn_config):  # fmt: skip
    scoring_set.to_parquet(tmp_path / "in.parquet")
    summary = score_file(
        str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), champion, churn_config,
        batch_size=64,
    )  # fmt: skip
    out = pd.read_parquet(tmp_path / "out.parquet")
    X = scoring_set[churn_config.feature_names]
    assert list(out.columns) == [
        "customer_id", "prediction", "probability", "model_name", "model_version", "scored_at",
    ]  # fmt: skip
    assert out["customer_id"].tolist() == scoring_set["customer_id"].tolist()
    np.testing.assert_array_equal(out["probability"], champion.pipeline.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(out["prediction"], champion.pipeline.predict(X))
    assert set(out["model_version"]) == {"1"} and set(out["model_name"]) == {"customer_churn"}
    assert summary.rows_read == summary.rows_scored == len(scoring_set) and not summary.reasons
    assert json.loads((tmp_path / "out.summary.json").read_text())["rows_scored"] == len(out)
    assert pd.read_parquet(tmp_path / "out.rejects.parquet").empty
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_bad_rows_go_to_rejects_with_reasons_and_the_rest_is_scored(
    tmp_path, scoring_set, champion, churn_config
):
    data = scoring_set.head(50).astype({"age": object})
    data.loc[3, "age"] = "abc"
    data.loc[7, "age"] = 500
    data.loc[9, "customer_id"] = None
    data.to_csv(tmp_path / "in.csv", index=False)
    summary = score_file(
        str(tmp_path / "in.csv"), str(tmp_path / "out.parquet"), champion, churn_config,
        rejects_path=str(tmp_path / "bad.parquet"),
    )  # fmt: skip
    rejects = pd.read_parquet(tmp_path / "bad.parquet")
    assert dict(zip(rejects["row"], rejects["reason"], strict=True)) == {
        3: "age: not a number ('abc')",
        7: "age: above 100 ('500')",
        9: "customer_id: missing",
    }
    assert summary.rows_scored == 47 and summary.rows_rejected == 3
    assert summary.rows_read == summary.rows_scored + summary.rows_rejected  # nothing vanished
    assert summary.reasons == {
        "age: not a number": 1, "age: above 100": 1, "customer_id: missing": 1,
    }  # fmt: skip
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 47


def test_batches_are_scored_in_growing_groups_and_each_row_keeps_its_own_probability(
    tmp_path, scoring_set, champion, churn_config, monkeypatch
):
    data = scoring_set.head(100).copy()
    data.loc[8:15, "age"] = 500  # the second batch: no scorable row at all
    data.loc[[20, 41], "age"] = 500
    data.to_parquet(tmp_path / "in.parquet")
    classifier = champion.pipeline.steps[-1][1]
    real, calls = classifier.predict_proba, []
    monkeypatch.setattr(classifier, "predict_proba", lambda X: calls.append(len(X)) or real(X))
    summary = score_file(
        str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), champion, churn_config,
        batch_size=8, score_rows=32,
    )  # fmt: skip
    # 13 batches of 8 (the last of 4) in groups of 1, 2, 4, 4 and the 2 left, a call each:
    # the second batch has no row to score, rows 20 and 41 are rejected
    assert calls == [8, 8 - 1, 32 - 1, 32, 8 + 4]
    out = pd.read_parquet(tmp_path / "out.parquet")
    good = data.drop(index=[*range(8, 16), 20, 41])
    assert out["customer_id"].tolist() == good["customer_id"].tolist()
    X = good[churn_config.feature_names]
    np.testing.assert_array_equal(
        out["probability"], real(champion.pipeline[:-1].transform(X))[:, 1]
    )
    assert summary.rows_rejected == 10 and summary.rows_read == 100


def test_a_missing_column_fails_fast_and_writes_nothing(tmp_path, scoring_set, champion,
                                                        churn_config):  # fmt: skip
    scoring_set.drop(columns=["income"]).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InputSchemaError, match="lacks column\\(s\\) 'income'"):
        score_file(str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), champion,
                   churn_config)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_a_failure_mid_run_leaves_no_partial_output(tmp_path, scoring_set, champion,
                                                    churn_config, monkeypatch):  # fmt: skip
    scoring_set.to_parquet(tmp_path / "in.parquet")
    (tmp_path / "out.parquet").write_bytes(b"yesterday's complete predictions")
    classifier = champion.pipeline.steps[-1][1]
    real = classifier.predict_proba
    calls = []

    def failing_on_third_batch(X):
        calls.append(len(X))
        if len(calls) == 3:
            raise MemoryError("injected failure in batch 3")
        return real(X)

    monkeypatch.setattr(classifier, "predict_proba", failing_on_third_batch)
    with pytest.raises(MemoryError, match="injected"):
        score_file(str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), champion,
                   churn_config, batch_size=32)  # fmt: skip
    assert len(calls) == 3
    assert (tmp_path / "out.parquet").read_bytes() == b"yesterday's complete predictions"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "out.parquet"]


def test_fsspec_input_and_output(scoring_set, champion, churn_config):
    with fsspec.open("memory://batch/in.parquet", "wb") as f:
        scoring_set.head(20).to_parquet(f)
    score_file("memory://batch/in.parquet", "memory://batch/out/p.parquet", champion, churn_config)
    with fsspec.open("memory://batch/out/p.parquet", "rb") as f:
        assert len(pd.read_parquet(f)) == 20


def test_command_line(tmp_path, registry, scoring_set, capsys):
    _, uri, _ = registry
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "--alias" in capsys.readouterr().out
    scoring_set.head(30).to_parquet(tmp_path / "in.parquet")
    args = [str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"),
            "--tracking-uri", uri, "--dataset", str(CHURN_CONFIG)]  # fmt: skip
    assert main([*args, "--alias", "challenger"]) == 0
    assert "scored 30 of 30 rows with customer_churn v2 (challenger)" in capsys.readouterr().out
    assert set(pd.read_parquet(tmp_path / "out.parquet")["model_version"]) == {"2"}
    assert main([*args, "--alias", "nope"]) == 2
    assert "no model 'customer_churn' with alias 'nope'" in capsys.readouterr().err


def test_the_alias_resolves_to_an_exact_version(registry):
    _, uri, _ = registry
    mlflow.set_registry_uri("sqlite:///nowhere.db")  # the model comes from the given registry
    model = load_registered(uri, "customer_churn", "challenger")
    assert model.version == "2" and model.uri == "models:/customer_churn/2"


def test_a_pickled_version_is_refused_by_batch_scoring(tmp_path, registry, scoring_set, capsys):
    from tests.registry.test_trusted import registry_with_a_pickle

    _, uri, _ = registry
    marker = registry_with_a_pickle(uri, tmp_path, "untrusted_batch")
    mlflow.MlflowClient(uri, registry_uri=uri).set_registered_model_alias(
        "untrusted_batch", "champion", "2"
    )
    scoring_set.head(5).to_parquet(tmp_path / "in.parquet")
    args = [str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), "--tracking-uri", uri,
            "--dataset", str(CHURN_CONFIG), "--model-name", "untrusted_batch"]  # fmt: skip
    assert main(args) == 2
    assert "version 2 of 'untrusted_batch' is stored as pickle" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "out.parquet").exists()


def test_a_killed_run_leaves_a_temporary_that_the_next_run_removes(tmp_path, scoring_set, champion,
                                                                   churn_config):  # fmt: skip
    """kill -9 in the middle of writing: the output never appears, and the temporary it
    left is gone after the next run; a live run's temporary is left alone."""
    import os
    import signal
    import subprocess
    import sys

    from mlcycle.batch.output import _HOST
    from tests.conftest import PROJECT

    out = tmp_path / "out.parquet"
    writer = (
        "import sys, time, pyarrow as pa\n"
        "from mlcycle.batch.output import atomic_parquet\n"
        "schema = pa.schema([('x', pa.int64())])\n"
        "with atomic_parquet(sys.argv[1], schema) as sink:\n"
        "    sink.write(pa.table({'x': list(range(1000))}))\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", writer, str(out)], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(PROJECT / "lib")})  # fmt: skip
    assert proc.stdout.readline().strip() == b"writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    [left] = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not out.exists() and left.startswith(".out.parquet.")
    live = tmp_path / f".out.parquet.{_HOST}-{os.getpid()}-0123abcd.tmp"  # this process
    live.write_bytes(b"another run, still writing")
    scoring_set.head(10).to_parquet(tmp_path / "in.parquet")
    score_file(str(tmp_path / "in.parquet"), str(out), champion, churn_config)
    assert len(pd.read_parquet(out)) == 10
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == [live.name]


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_each_task_writes_its_own_columns_equal_to_the_model_in_memory(tmp_path, task_tables,
                                                                     task):  # fmt: skip
    """A regressor's file holds the number; a classifier's the label, its probability and
    every class's probability, equal to predict / predict_proba row for row."""
    from mlcycle.batch.score import RegisteredModel, probability_column
    from mlcycle.training.train import features_and_target, fit

    config, table = task_tables[task]
    pipeline = fit(table.iloc[:300], config, "random_forest", {"n_estimators": 10}, task)
    source = tmp_path / "rows.parquet"
    table.iloc[300:][[config.id, *config.feature_names]].to_parquet(source)
    model = RegisteredModel(config.model_name, "1", "champion", "models:/x/1", pipeline)
    out = tmp_path / "out.parquet"
    summary = score_file(str(source), str(out), model, config, batch_size=32)
    assert summary.rows_scored == 100 and summary.rows_rejected == 0
    got = pd.read_parquet(out)
    X = features_and_target(table.iloc[300:], config, task).X
    if task == "regression":
        assert list(got.columns) == [config.id, "prediction", "model_name", "model_version",
                                     "scored_at"]  # fmt: skip
        np.testing.assert_allclose(got["prediction"], pipeline.predict(X))
        # with the interval its evaluation measured: prediction ± the half-width, per row
        known = replace(model, interval=12.5)
        score_file(str(source), str(out), known, config, batch_size=32)
        bounds = pd.read_parquet(out)
        assert list(bounds.columns[1:4]) == ["prediction", "interval_low", "interval_high"]
        np.testing.assert_allclose(bounds["interval_low"], bounds["prediction"] - 12.5)
        np.testing.assert_allclose(bounds["interval_high"], bounds["prediction"] + 12.5)
    else:
        classes = list(pipeline.classes_)
        assert list(got.columns[:3]) == [config.id, "prediction", "probability"]
        assert [probability_column(c) for c in classes] == list(got.columns[3 : 3 + len(classes)])
        assert got["prediction"].tolist() == pipeline.predict(X).tolist()
        proba = pipeline.predict_proba(X)
        np.testing.assert_allclose(got[[probability_column(c) for c in classes]], proba)
        np.testing.assert_allclose(got["probability"], proba.max(axis=1))
