import fsspec
import pandas as pd
import pytest

from mlcycle.config import LOAD_TIME_COLUMN, parse_dataset_config
from mlcycle.data.collect import SourceError, collect, read_table


def user_config(tmp_path, path, **source):
    raw = {
        "name": "shop",
        "source": {"path": str(path), **source},
        "id": "cid",
        "target": {"column": "left", "positive": "yes"},
        "features": {"numeric": ["age"], "categorical": ["plan"]},
    }
    return parse_dataset_config(raw, tmp_path / "shop.yaml")


FRAME = pd.DataFrame(
    {
        "cid": ["a", "b", "c"],
        "age": [30, 40, 50],
        "plan": ["x", "y", "x"],
        "left": ["yes", "no", "no"],
    }
)


def test_generator_source(churn_config):
    got = collect(churn_config, n_customers=50, seed=1)
    assert len(got.entities) == 50
    assert {"customer_id", "snapshot_ts", "churned"} <= set(got.entities.columns)
    assert len(got.events) > 0
    assert "built-in generator" in got.source


def test_csv_source_static_table_gets_the_load_time(tmp_path):
    path = tmp_path / "shop.csv"
    FRAME.to_csv(path, index=False)
    got = collect(user_config(tmp_path, path))
    assert list(got.entities["cid"]) == ["a", "b", "c"]
    assert got.entities[LOAD_TIME_COLUMN].notna().all()
    assert any("load time" in n for n in got.notes)
    assert got.events.empty and "cid" in got.events.columns


def test_parquet_and_fsspec_uri(tmp_path):
    with fsspec.open("memory://bucket/shop.parquet", "wb") as f:
        FRAME.to_parquet(f, index=False)
    got = collect(user_config(tmp_path, "memory://bucket/shop.parquet"))
    assert got.source == "memory://bucket/shop.parquet"
    pd.testing.assert_frame_equal(got.entities[FRAME.columns], FRAME)


def test_max_rows_samples_and_says_so(tmp_path):
    path = tmp_path / "shop.csv"
    FRAME.to_csv(path, index=False)
    got = collect(user_config(tmp_path, path), max_rows=2, seed=3)
    assert len(got.entities) == 2
    assert any("sampled 2 of the source's rows" in n for n in got.notes)


def test_missing_file_and_unknown_format_name_the_path(tmp_path):
    with pytest.raises(SourceError, match="data file not found: .*nope.csv"):
        collect(user_config(tmp_path, tmp_path / "nope.csv"))
    with pytest.raises(SourceError, match="cannot tell the format of .*data.xlsx"):
        read_table(str(tmp_path / "data.xlsx"))


def test_generator_as_of_adds_the_weeks_since_the_snapshot(churn_config):
    base = collect(churn_config, n_customers=60, seed=1, weekly_customers=10)
    later = collect(churn_config, n_customers=60, seed=1, weekly_customers=10, as_of="2026-07-14")
    assert len(base.entities) == 60 and base.window.as_of == "2026-06-30 00:00:00"
    assert len(later.entities) == 80 and later.window.as_of == "2026-07-14 00:00:00"
    assert later.entities["customer_id"].str.startswith("W002-").sum() == 10


def test_user_table_as_of_and_window(tmp_path):
    path = tmp_path / "shop.csv"
    FRAME.assign(ts=["2026-01-01", "2026-02-01", "2026-03-01"]).to_csv(path, index=False)
    config = parse_dataset_config(
        {
            "name": "shop", "source": {"path": str(path)}, "id": "cid", "timestamp": "ts",
            "target": {"column": "left", "positive": "yes"},
            "features": {"numeric": ["age"], "categorical": ["plan"]},
        },
        tmp_path / "shop.yaml",
    )  # fmt: skip
    got = collect(config, as_of="2026-02-15")
    assert got.entities["cid"].tolist() == ["a", "b"]
    assert any("1 rows after as_of not seen" in n for n in got.notes)
