"""The online store's rows built from Arrow equal what Feast's own conversion makes of them.

Feast is imported by the tests, not while they are collected (see tests/conftest.py)."""

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlcycle.features.feast_import import import_feast

COLUMNS = {  # (arrow column, the view's value type), nulls and edge values included
    "doubles": (pa.array([1.5, None, 0.0, -0.0, 1.5, float("inf"), -2.25e300, 1e-320]),
                "DOUBLE"),
    "floats": (pa.array([0.1, None, 0.1, -0.0], type=pa.float32()), "FLOAT"),
    "ints": (pa.array([3, -1, 2**62, 3, 0, -(2**63)]), "INT64"),
    "ints_with_nulls": (pa.array([3, None, 7, 3]), "INT64"),  # numpy: floats and NaN
    "int32s": (pa.array([5, -5, 5], type=pa.int32()), "INT32"),
    "ints_as_doubles": (pa.array([1, 2, 1]), "DOUBLE"),
    "strings": (pa.array(["a", None, "", "é✓", "a", "None"]), "STRING"),
    "bools": (pa.array([True, False, True]), "BOOL"),
    "bools_with_nulls": (pa.array([True, None, False]), "BOOL"),
    "all_null": (pa.array([None, None], type=pa.float64()), "DOUBLE"),
    "empty": (pa.array([], type=pa.float64()), "DOUBLE"),
    "timestamps": (pa.array([datetime(2026, 1, 1), None, datetime(2026, 1, 1)]),
                   "UNIX_TIMESTAMP"),  # not by distinct value: Feast's path
}  # fmt: skip


@pytest.fixture(scope="module")
def f():
    """Feast's functions the rows are compared with, and the module under test."""
    import_feast()
    from feast.infra import key_encoding_utils
    from feast.infra.online_stores import helpers, sqlite
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.type_map import python_values_to_proto_values
    from feast.utils import _coerce_datetime, to_naive_utc
    from feast.value_type import ValueType

    from mlcycle.features import arrow_rows

    return SimpleNamespace(
        arrow_rows=arrow_rows,
        serialize_entity_key=key_encoding_utils.serialize_entity_key,
        extract_text_and_num=helpers.extract_text_and_num,
        adapt_datetime_epoch=sqlite.adapt_datetime_epoch,
        convert_timestamp=sqlite.convert_timestamp,
        EntityKey=EntityKey,
        python_values_to_proto_values=python_values_to_proto_values,
        _coerce_datetime=_coerce_datetime,
        to_naive_utc=to_naive_utc,
        ValueType=ValueType,
    )


def feasts(f, values, value_type):
    protos = f.python_values_to_proto_values(values, value_type)
    texts = [f.extract_text_and_num(p, False)[0] for p in protos]
    return [p.SerializeToString() for p in protos], texts


@pytest.mark.parametrize("name", COLUMNS)
def test_each_value_is_serialized_as_feast_serializes_it(f, name):
    array, type_name = COLUMNS[name]
    value_type = f.ValueType[type_name]
    values = array.to_numpy(zero_copy_only=False)  # as Feast reads a batch's column
    assert f.arrow_rows.encoded_values(values, value_type) == feasts(f, values, value_type)


def test_a_column_of_mixed_python_types_is_converted_value_by_value(f):
    values = np.array([1, 1.0, True, "1", None], dtype=object)  # equal as dict keys, not as text
    blobs, texts = f.arrow_rows.encoded_values(values, f.ValueType.STRING)
    assert (blobs, texts) == feasts(f, values, f.ValueType.STRING)
    assert texts[:4] == ["1", "1.0", "True", "1"]


def test_distinct_values_are_told_apart_by_their_bits(f):
    codes, uniques = f.arrow_rows._distinct(np.array([0.0, -0.0, np.nan, 0.0]))
    assert codes.tolist() == [0, 1, -1, 0]
    assert np.signbit(uniques).tolist() == [False, True]


@pytest.mark.parametrize(
    ("ids", "type_name"),
    [
        (pa.array(["C-1", "é✓", "", "C-1"]), "STRING"),
        (pa.array([7, -7, 2**62]), "INT64"),
        (pa.array([7, -7], type=pa.int32()), "INT32"),  # not the direct layout: Feast's
    ],
)
def test_single_entity_keys_are_serialized_as_feast_serializes_them(f, ids, type_name):
    values, value_type = ids.to_numpy(zero_copy_only=False), f.ValueType[type_name]
    expected = [
        f.serialize_entity_key(f.EntityKey(join_keys=["customer_id"], entity_values=[p]), 3)
        for p in f.python_values_to_proto_values(values, value_type)
    ]
    keys = f.arrow_rows.entity_keys({"customer_id": values}, {"customer_id": value_type})
    assert keys == expected


def test_compound_entity_keys_go_through_feast(f):
    columns = {"store": np.array(["b", "a"], dtype=object), "day": np.array([2, 1])}
    types = {"store": f.ValueType.STRING, "day": f.ValueType.INT64}
    protos = {k: f.python_values_to_proto_values(v, types[k]) for k, v in columns.items()}
    expected = [
        f.serialize_entity_key(
            f.EntityKey(
                join_keys=["store", "day"], entity_values=[protos["store"][i], protos["day"][i]]
            ),
            3,
        )  # fmt: skip
        for i in range(2)
    ]
    assert f.arrow_rows.entity_keys(columns, types) == expected


def test_a_null_entity_id_fails_as_it_does_in_feast(f):
    values = pa.array(["C-1", None]).to_numpy(zero_copy_only=False)
    with pytest.raises(ValueError, match="Value type not supported"):
        f.arrow_rows.entity_keys({"customer_id": values}, {"customer_id": f.ValueType.STRING})


@pytest.mark.parametrize(
    "array",
    [
        pa.array(
            [
                datetime(2026, 6, 30),
                datetime(2026, 6, 30, 1, 2, 3, 456789),
                None,
                datetime(2026, 6, 30),
            ]
        ),  # fmt: skip
        pa.array([datetime(2026, 6, 30, 12, tzinfo=UTC)], type=pa.timestamp("us", "UTC")),
        pa.array([datetime(2026, 6, 30, 12)], type=pa.timestamp("ns")),
    ],
)
def test_timestamps_are_stored_as_the_sqlite_store_reads_them(f, array):
    values = array.to_numpy(zero_copy_only=False)
    expected = [
        None if pd.isna(v) else f.adapt_datetime_epoch(f.to_naive_utc(f._coerce_datetime(v)))
        for v in pd.to_datetime(values)
    ]
    stored = f.arrow_rows.sqlite_timestamps(values)
    assert stored == expected
    times = [v for v in pd.to_datetime(values) if not pd.isna(v)]
    read = [f.convert_timestamp(str(v).encode()) for v in stored if v is not None]
    assert read == [f.to_naive_utc(t.to_pydatetime()).replace(microsecond=0) for t in times]


def test_keys_follow_the_stores_serialization_version(f):
    values = pa.array(["C-1", "C-2"]).to_numpy(zero_copy_only=False)
    string = f.ValueType.STRING
    with pytest.warns(UserWarning, match="version < 3"):  # Feast's own warning, kept
        expected = [
            f.serialize_entity_key(f.EntityKey(join_keys=["customer_id"], entity_values=[p]), 2)
            for p in f.python_values_to_proto_values(values, string)
        ]
        keys = f.arrow_rows.entity_keys({"customer_id": values}, {"customer_id": string}, 2)
    assert keys == expected
    assert keys != f.arrow_rows.entity_keys({"customer_id": values}, {"customer_id": string})
