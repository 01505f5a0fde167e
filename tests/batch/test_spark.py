"""The Spark engine in local mode against the single-machine path, row for row."""

import json

import numpy as np
import pandas as pd
import pytest

from mlcycle.batch.reader import InputSchemaError
from mlcycle.batch.score import load_registered, score_file
from mlcycle.batch.spark import score_file_spark, spark_session
from mlcycle.cli.batch import main
from tests.conftest import CHURN_CONFIG

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def messy_csv(registry, tmp_path_factory):
    """A CSV with good rows and planted bad ones (text in a number, out of range, no id,
    a missing category, which is allowed and scored)."""
    _, _, rows = registry
    data = rows.head(120).reset_index(drop=True).astype({"age": object})
    data.insert(0, "customer_id", [f"C{i:04d}" for i in range(len(data))])
    data.loc[3, "age"] = "abc"
    data.loc[7, "income"] = -5
    data.loc[11, "customer_id"] = None
    data.loc[15, "contract"] = None
    path = tmp_path_factory.mktemp("spark") / "in.csv"
    data.to_csv(path, index=False)
    return path


def test_spark_output_equals_the_single_machine_path_row_for_row(
    spark, registry, messy_csv, churn_config, tmp_path
):
    _, uri, _ = registry
    local = score_file(
        str(messy_csv), str(tmp_path / "local.parquet"),
        load_registered(uri, "customer_churn", "champion"), churn_config,
    )  # fmt: skip
    distributed = score_file_spark(
        str(messy_csv), str(tmp_path / "spark.parquet"), uri, "customer_churn", "champion",
        churn_config, spark=spark,
    )  # fmt: skip
    a = pd.read_parquet(tmp_path / "local.parquet")
    b = pd.read_parquet(tmp_path / "spark.parquet")  # a directory of part files
    assert len(a) == len(b) == 117
    for column in ("customer_id", "prediction", "model_name", "model_version"):
        assert a[column].tolist() == b[column].tolist(), column
    # same model, same rows; the forest's threads may sum trees in another order
    np.testing.assert_allclose(a["probability"], b["probability"], rtol=0, atol=1e-12)
    assert str(b["scored_at"].dtype) == str(a["scored_at"].dtype)
    rejects_a = pd.read_parquet(tmp_path / "local.rejects.parquet")
    rejects_b = pd.read_parquet(tmp_path / "spark.rejects.parquet")
    pd.testing.assert_frame_equal(rejects_a, rejects_b)
    assert rejects_b["row"].tolist() == [3, 7, 11]
    assert distributed.reasons == local.reasons and distributed.engine == "spark"
    assert (distributed.rows_read, distributed.rows_scored, distributed.rows_rejected) == (
        120, 117, 3,
    )  # fmt: skip
    assert json.loads((tmp_path / "spark.summary.json").read_text())["rows_scored"] == 117
    assert not list(tmp_path.glob(".*.tmp")), "temporary directories left behind"


def test_spark_missing_column_fails_fast(spark, registry, churn_config, tmp_path):
    _, uri, rows = registry
    rows.drop(columns=["income"]).assign(customer_id="c").to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InputSchemaError, match="lacks column\\(s\\) 'income'"):
        score_file_spark(str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), uri,
                         "customer_churn", "champion", churn_config, spark=spark)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_command_line_engine_spark(spark, registry, messy_csv, tmp_path, capsys):
    _, uri, _ = registry
    code = main([str(messy_csv), str(tmp_path / "out.parquet"), "--engine", "spark",
                 "--tracking-uri", uri, "--dataset", str(CHURN_CONFIG)])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "scored 117 of 120 rows" in out and "rejected 3 rows" in out


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_every_task_is_written_as_the_single_machine_path_writes_it(
    spark, registry, task_tables, tmp_path, task
):
    """A regressor's number (and its interval), a multiclass model's label, its probability
    and every class's: the same columns and values as the local scorer, row for row."""
    import mlflow

    from tests.conftest import register_task_model

    _, uri, _ = registry
    config, table = task_tables[task]
    name = f"{task}_on_spark"
    version = register_task_model(uri, task_tables, name, task)
    if task == "regression":  # as the evaluate stage logs it
        from mlcycle.task import INTERVAL_METRIC

        client = mlflow.MlflowClient(uri)
        client.log_metric(client.get_model_version(name, version).run_id, INTERVAL_METRIC, 40.0)
    source = tmp_path / "rows.parquet"
    table.iloc[300:][[config.id, *config.feature_names]].to_parquet(source)
    score_file(str(source), str(tmp_path / "local.parquet"),
               load_registered(uri, name, "champion"), config)  # fmt: skip
    score_file_spark(str(source), str(tmp_path / "spark.parquet"), uri, name, "champion",
                     config, spark=spark)  # fmt: skip
    a = pd.read_parquet(tmp_path / "local.parquet")
    b = pd.read_parquet(tmp_path / "spark.parquet")
    assert list(a.columns) == list(b.columns) and len(a) == len(b) == 100
    numbers = [c for c in a.columns if c.startswith(("probability", "interval")) or
               (c == "prediction" and task == "regression")]  # fmt: skip
    for column in a.columns.drop([*numbers, "scored_at"]):
        assert a[column].tolist() == b[column].tolist(), column
    np.testing.assert_allclose(a[numbers], b[numbers], rtol=0, atol=1e-9)
    if task == "regression":
        assert {"interval_low", "interval_high"} <= set(b.columns)
