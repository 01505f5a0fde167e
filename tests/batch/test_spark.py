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


def test_a_model_of_another_task_is_refused_before_spark_starts(registry, task_tables, tmp_path):
    """The Spark scorer writes binary probabilities: a regressor is refused with the way out
    (the local scorer writes every task), not scored as if it were a classifier."""
    from mlcycle.batch.spark import UnsupportedTaskError
    from tests.conftest import register_regressor

    _, uri, _ = registry
    config, _ = task_tables["regression"]
    register_regressor(uri, task_tables, "spend_on_spark")
    refused = "writes binary probabilities only so far; score it on this machine"
    with pytest.raises(
        UnsupportedTaskError, match=f"is a regression model: the Spark scorer {refused}"
    ):
        score_file_spark(str(tmp_path / "in.parquet"), str(tmp_path / "out"), uri,
                         "spend_on_spark", "champion", config, spark=object())  # fmt: skip
