"""One table of values through the three doors: training validation (collect's CSV reader and
a typed frame), batch scoring (its CSV reader and a typed frame) and the service's request
schema. Each must reach the same verdict: the value kept, read as missing, or refused."""

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlcycle.batch.reader import open_input
from mlcycle.batch.rows import check_rows
from mlcycle.column_rules import (
    MISSING_TEXT,
    NOT_A_NUMBER,
    ValueRefused,
    parse_value,
    read_categorical,
    read_numeric,
)
from mlcycle.config import parse_dataset_config
from mlcycle.data.collect import read_table
from mlcycle.data.validation import validate
from mlcycle.serving.request_schema import features_model

CONFIG = parse_dataset_config(
    {
        "name": "shop",
        "source": {"path": "x.csv"},
        "id": "cid",
        "target": {"column": "left"},
        "max_missing_share": 1.0,  # one column rule at a time: not the share of missing values
        "features": {
            "numeric": {"age": {"min": 18, "max": 100}, "spend": {}, "bill": {"nullable": False}},
            "categorical": {"plan": {"values": ["basic", "pro"]}, "region": {}},
        },
    },
    "shop.yaml",
)
GOOD = {"age": 40, "spend": 1.5, "bill": 2.0, "plan": "basic", "region": "north"}
MISSING, REFUSED = "missing", "refused"

# (column, value, verdict): the value kept (as the model reads it), MISSING or REFUSED
TABLE = [
    ("spend", "NaN", MISSING),
    ("spend", "N/A", MISSING),
    ("spend", "", MISSING),
    ("spend", "  ", MISSING),
    ("spend", None, MISSING),
    ("spend", "12", 12.0),
    ("spend", " 3.5 ", 3.5),
    ("spend", 7, 7.0),
    ("spend", True, REFUSED),
    ("spend", "true", REFUSED),
    ("spend", "abc", REFUSED),
    ("spend", 1e309, REFUSED),  # infinity
    ("spend", "1e309", REFUSED),
    ("spend", 3.7e39, REFUSED),  # finite, beyond float32
    ("spend", 2.4e38, REFUSED),  # within float32, beyond it once scaled: was a 500
    ("age", 12, REFUSED),  # out of range
    ("age", "130", REFUSED),
    ("age", 18, 18.0),
    ("bill", "N/A", REFUSED),  # missing, not nullable
    ("plan", "gold", REFUSED),  # unseen, and the config lists the allowed values
    ("plan", "pro", "pro"),
    ("plan", "NaN", MISSING),
    ("region", "anywhere", "anywhere"),  # unseen, no list: the encoder ignores it
    ("region", 3, "3"),
    ("region", "", MISSING),
]


def _verdict(value) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return value


def _rows(column, value) -> pd.DataFrame:
    rows = [dict(GOOD, cid=f"c{i}", left=i % 2) for i in range(4)]
    rows[1][column] = value
    return pd.DataFrame(rows, dtype=object)


def at_validation(column, value, frame: pd.DataFrame) -> object:
    df, report = validate(frame, CONFIG)
    if any(p.column == column for p in report.problems):
        return REFUSED
    assert report.passed, report.message()
    return _verdict(df.loc[1, column])


def at_batch(column, frame: pd.DataFrame) -> object:
    checked = check_rows(frame[[CONFIG.id, *CONFIG.feature_names]], CONFIG)
    if 1 in set(checked.rejects["row"]):
        assert column in checked.rejects.loc[checked.rejects["row"] == 1, "reason"].iloc[0]
        return REFUSED
    assert checked.rejects.empty
    return _verdict(checked.frame.loc[1, column])


def at_service(column, value) -> object:
    Model = features_model(CONFIG)
    try:
        row = Model.model_validate(dict(GOOD, **{column: value}))
    except ValidationError as err:
        assert [e["loc"][0] for e in err.errors()] == [column]
        return REFUSED
    return _verdict(getattr(row, column))


def _csv(tmp_path, column, value):
    path = tmp_path / "rows.csv"
    text = _rows(column, value).map(lambda v: "" if v is None else str(v))
    text.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("column, value, verdict", TABLE)
def test_every_door_reaches_the_same_verdict(tmp_path, column, value, verdict):
    typed = _rows(column, value)  # as a Parquet file or a DataFrame gives it
    path = _csv(tmp_path, column, value)  # as a CSV file gives it: text
    with open_input(str(path), [CONFIG.id, *CONFIG.feature_names]) as src:
        from_csv = pd.concat([b.to_pandas() for b in src.batches], ignore_index=True)
    doors = {
        "validation": at_validation(column, value, typed),
        "validation (CSV)": at_validation(column, value, read_table(str(path))),
        "batch": at_batch(column, typed),
        "batch (CSV)": at_batch(column, from_csv),
        "service": at_service(column, value),
    }
    if isinstance(value, str) or value is None:  # JSON carries text and null as they are
        doors["service (JSON)"] = at_service(column, pd.io.json.ujson_loads(
            pd.io.json.ujson_dumps(value)))  # fmt: skip
    # JSON has numbers and null: the service takes no text in a numeric field (files have
    # only text, and their doors parse it); every other verdict is the same at every door
    json_text_number = column in CONFIG.numeric_names and isinstance(value, str)
    expected = {d: REFUSED if d.startswith("service") and json_text_number else verdict
                for d in doors}  # fmt: skip
    assert doors == expected


def test_missing_text_is_one_list_for_the_csv_readers_too(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("cid,spend\n" + "".join(f"c{i},{t}\n" for i, t in enumerate(MISSING_TEXT)))
    assert read_table(str(path))["spend"].isna().all()
    with open_input(str(path), ["cid", "spend"]) as src:
        assert next(src.batches).column("spend").null_count == len(MISSING_TEXT)


def test_the_vectorised_and_scalar_rules_agree_on_odd_values():
    feat = CONFIG.numeric_feature("spend")
    odd = ["1_000", "0x10", "1e5", "-0", "+4", "inf", "-inf", ".5", "5.", "1,5", np.int64(3)]
    column = read_numeric(feat, pd.Series(odd, dtype=object))
    refused = np.zeros(len(odd), dtype=bool)
    for mask, _ in column.refused:
        refused |= mask
    for i, value in enumerate(odd):
        try:
            scalar = parse_value(feat, value)
        except ValueRefused:
            scalar = REFUSED
        vector = REFUSED if refused[i] else column.values[i]
        assert scalar == vector, value


def test_values_that_are_no_column_value_are_refused_at_both_rule_sets():
    """Dates, durations, lists, complex numbers and undecodable bytes are not numbers (read
    as nanoseconds, or as a real part, they were scored silently); Decimal is one."""
    import datetime
    from decimal import Decimal

    feat, cat = CONFIG.numeric_feature("spend"), CONFIG.categorical[1]
    odd = [datetime.datetime(2024, 1, 1), [1], 1 + 2j, b"12", Decimal("1.5")]
    column = read_numeric(feat, pd.Series(odd, dtype=object))
    refused = np.zeros(len(odd), dtype=bool)
    for mask, _ in column.refused:
        refused |= mask
    assert refused.tolist() == [True, True, True, True, False] and column.values[4] == 1.5
    for value, bad in zip(odd, refused, strict=True):
        if bad:
            with pytest.raises(ValueRefused):
                parse_value(feat, value)
        else:
            assert parse_value(feat, value) == 1.5
    for dtype_column in (pd.Series(pd.to_datetime(["2024-01-01"])), pd.Series([pd.Timedelta(1)])):
        assert [p for m, p in read_numeric(feat, dtype_column).refused if m.all()] == [NOT_A_NUMBER]
    texts = read_categorical(cat, pd.Series([b"north", b"\xff", ["n"], "south"], dtype=object))
    assert texts.values.tolist() == ["north", None, None, "south"]
    assert [m.tolist() for m, p in texts.refused if p.startswith("not text")] == [
        [False, True, True, False]
    ]
    with pytest.raises(ValueRefused, match="not text"):
        parse_value(cat, ["n"])


def test_booleans_in_a_typed_column_are_not_numbers():
    column = read_numeric(CONFIG.numeric_feature("spend"), pd.Series([True, False]))
    assert [p for m, p in column.refused if m.all()] == [NOT_A_NUMBER]
    categorical = read_categorical(CONFIG.categorical[1], pd.Series([True, None]))
    assert categorical.values.tolist() == ["True", None]


def test_missing_values_are_none_nan_and_the_missing_text():
    from mlcycle.column_rules import missing_values

    values = pd.Series([None, float("nan"), " N/A ", "", "null", "0", 0, "none at all"])
    assert missing_values(values).tolist() == [True, True, True, True, True, False, False, False]
