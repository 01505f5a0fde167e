"""The online store's rows built from Arrow equal what Feast's own conversion makes of them."""

import sqlite3
from datetime import UTC, datetime

import feast.infra.online_stores.sqlite  # noqa: F401 - registers the store's datetime adapter
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import extract_text_and_num
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.type_map import python_values_to_proto_values
from feast.utils import _coerce_datetime, to_naive_utc
from feast.value_type import ValueType

from mlcycle.features import arrow_rows

COLUMNS = {  # (arrow column, the view's value type), nulls and edge values included
    "doubles": (pa.array([1.5, None, 0.0, -0.0, 1.5, float("inf"), -2.25e300, 1e-320]),
                ValueType.DOUBLE),
    "floats": (pa.array([0.1, None, 0.1, -0.0], type=pa.float32()), ValueType.FLOAT),
    "ints": (pa.array([3, -1, 2**62, 3, 0, -(2**63)]), ValueType.INT64),
    "ints_with_nulls": (pa.array([3, None, 7, 3]), ValueType.INT64),  # numpy: floats and NaN
    "int32s": (pa.array([5, -5, 5], type=pa.int32()), ValueType.INT32),
    "ints_as_doubles": (pa.array([1, 2, 1]), ValueType.DOUBLE),
    "strings": (pa.array(["a", None, "", "é✓", "a", "None"]), ValueType.STRING),
    "bools": (pa.array([True, False, True]), ValueType.BOOL),
    "bools_with_nulls": (pa.array([True, None, False]), ValueType.BOOL),
    "all_null": (pa.array([None, None], type=pa.float64()), ValueType.DOUBLE),
    "empty": (pa.array([], type=pa.float64()), ValueType.DOUBLE),
    "timestamps": (pa.array([datetime(2026, 1, 1), None, datetime(2026, 1, 1)]),
                   ValueType.UNIX_TIMESTAMP),  # not by distinct value: Feast's path
}  # fmt: skip


def feasts(values, value_type):
    protos = python_values_to_proto_values(values, value_type)
    texts = [extract_text_and_num(p, False)[0] for p in protos]
    return [p.SerializeToString() for p in protos], texts


@pytest.mark.parametrize("name", COLUMNS)
def test_each_value_is_serialized_as_feast_serializes_it(name):
    array, value_type = COLUMNS[name]
    values = array.to_numpy(zero_copy_only=False)  # as Feast reads a batch's column
    assert arrow_rows.encoded_values(values, value_type) == feasts(values, value_type)


def test_a_column_of_mixed_python_types_is_converted_value_by_value():
    values = np.array([1, 1.0, True, "1", None], dtype=object)  # equal as dict keys, not as text
    blobs, texts = arrow_rows.encoded_values(values, ValueType.STRING)
    assert (blobs, texts) == feasts(values, ValueType.STRING)
    assert texts[:4] == ["1", "1.0", "True", "1"]


def test_distinct_values_are_told_apart_by_their_bits():
    codes, uniques = arrow_rows._distinct(np.array([0.0, -0.0, np.nan, 0.0]))
    assert codes.tolist() == [0, 1, -1, 0]
    assert np.signbit(uniques).tolist() == [False, True]


@pytest.mark.parametrize(
    ("ids", "value_type"),
    [
        (pa.array(["C-1", "é✓", "", "C-1"]), ValueType.STRING),
        (pa.array([7, -7, 2**62]), ValueType.INT64),
        (pa.array([7, -7], type=pa.int32()), ValueType.INT32),  # not the direct layout: Feast's
    ],
)
def test_single_entity_keys_are_serialized_as_feast_serializes_them(ids, value_type):
    values = ids.to_numpy(zero_copy_only=False)
    expected = [
        serialize_entity_key(EntityKeyProto(join_keys=["customer_id"], entity_values=[p]), 3)
        for p in python_values_to_proto_values(values, value_type)
    ]
    assert arrow_rows.entity_keys({"customer_id": values}, {"customer_id": value_type}) == expected


def test_compound_entity_keys_go_through_feast():
    columns = {"store": np.array(["b", "a"], dtype=object), "day": np.array([2, 1])}
    types = {"store": ValueType.STRING, "day": ValueType.INT64}
    protos = {k: python_values_to_proto_values(v, types[k]) for k, v in columns.items()}
    expected = [
        serialize_entity_key(
            EntityKeyProto(
                join_keys=["store", "day"], entity_values=[protos["store"][i], protos["day"][i]]
            ),
            3,
        )  # fmt: skip
        for i in range(2)
    ]
    assert arrow_rows.entity_keys(columns, types) == expected


def test_a_null_entity_id_fails_as_it_does_in_feast():
    values = pa.array(["C-1", None]).to_numpy(zero_copy_only=False)
    with pytest.raises(ValueError, match="Value type not supported"):
        arrow_rows.entity_keys({"customer_id": values}, {"customer_id": ValueType.STRING})


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
def test_timestamps_are_stored_as_the_sqlite_store_stores_them(array):
    values = array.to_numpy(zero_copy_only=False)
    expected = [
        None if pd.isna(v) else sqlite3.adapt(to_naive_utc(_coerce_datetime(v)))
        for v in pd.to_datetime(values)
    ]
    assert arrow_rows.sqlite_timestamps(values) == expected
    assert all(isinstance(v, int) for v in expected if v is not None)  # Feast's adapter
