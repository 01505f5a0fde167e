import numpy as np
import pandas as pd

from mlcycle.batch.rows import check_rows
from mlcycle.config import parse_dataset_config


def shop_config():
    return parse_dataset_config(
        {
            "name": "shop",
            "source": {"path": "x.csv"},
            "id": "cid",
            "target": {"column": "y"},
            "features": {
                "numeric": {"age": {"min": 18, "max": 100}, "bill": {"nullable": False}},
                "categorical": {"plan": {"values": ["a", "b"]}, "region": {}},
            },
        }
    )


def test_good_rows_pass_with_model_dtypes():
    batch = pd.DataFrame(
        {"cid": ["c1", "c2"], "age": ["30", " 41 "], "bill": [1.5, 2],
         "plan": ["a", None], "region": ["north", "anywhere"]}
    )  # fmt: skip
    checked = check_rows(batch, shop_config())
    assert checked.rejects.empty and checked.reasons == {}
    assert checked.frame["age"].tolist() == [30.0, 41.0] and checked.frame["age"].dtype == float
    assert checked.frame["plan"].tolist() == ["a", None]


def test_each_bad_row_is_rejected_with_its_reason_and_file_row():
    batch = pd.DataFrame(
        {
            "cid": ["c1", None, "c3", "c4", "c5", "c6", "c7"],
            "age": ["30", "31", "abc", "12", "inf", "40", "50"],
            "bill": [1.0, 1.0, 1.0, 1.0, 1.0, np.nan, 1.0],
            "plan": ["a", "a", "a", "a", "a", "a", "zzz"],
            "region": ["n"] * 7,
        }
    )
    checked = check_rows(batch, shop_config(), first_row=100)
    assert checked.frame["cid"].tolist() == ["c1"]
    reasons = dict(zip(checked.rejects["row"], checked.rejects["reason"], strict=True))
    assert reasons == {
        101: "cid: missing",
        102: "age: not a number ('abc')",
        103: "age: below 18 ('12')",
        104: "age: not finite ('inf')",
        105: "bill: missing (not nullable)",
        106: "plan: not an allowed value ('zzz')",
    }
    assert checked.reasons["age: not a number"] == 1 and sum(checked.reasons.values()) == 6
    # the rejects keep the row's original values, as text
    assert checked.rejects.loc[checked.rejects["row"] == 102, "age"].item() == "abc"


def test_a_number_beyond_float32_is_rejected_not_scored():
    """Finite in float64, but the models compute in float32: scikit-learn would raise on it."""
    batch = pd.DataFrame({"cid": ["c1", "c2"], "age": [30.0, 40.0], "bill": [1.0, 3.7e39],
                          "plan": ["a", "a"], "region": ["n", "n"]})  # fmt: skip
    checked = check_rows(batch, shop_config())
    assert checked.frame["cid"].tolist() == ["c1"]
    assert checked.rejects["reason"].tolist() == ["bill: too large to score (beyond ±1e15) "
                                                  "(3.7e+39)"]  # fmt: skip


def test_one_row_with_two_problems_lists_both():
    batch = pd.DataFrame(
        {"cid": ["c1"], "age": [200], "bill": [None], "plan": ["a"], "region": ["n"]}
    )
    checked = check_rows(batch, shop_config())
    assert checked.rejects["reason"].item() == "age: above 100 (200); bill: missing (not nullable)"


def test_a_column_of_the_wrong_type_is_refused_not_scored(tmp_path):
    """A Parquet file whose `age` is a timestamp (read as nanoseconds it was scored silently)
    and whose `region` holds lists: those rows are rejects, by the column rules."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlcycle.batch.reader import open_input

    table = pa.table({
        "cid": ["c1", "c2"],
        "age": pa.array([None, 1_700_000_000_000_000], type=pa.timestamp("ns")),
        "bill": [1.0, 2.0],
        "plan": ["a", "b"],
        "region": pa.array([["n"], None], type=pa.list_(pa.string())),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "odd.parquet")
    with open_input(str(tmp_path / "odd.parquet"), ["cid", "age", "bill", "plan", "region"]) as f:
        batch = next(f.batches).to_pandas()
    checked = check_rows(batch, shop_config())
    assert checked.frame.empty
    reasons = checked.rejects.set_index("cid")["reason"]
    assert reasons["c1"].startswith("age: not a number") and "region: not text" in reasons["c1"]
    assert reasons["c2"].startswith("age: not a number")
