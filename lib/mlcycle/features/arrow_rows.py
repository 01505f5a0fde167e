"""An Arrow batch as the SQLite online store's rows, byte for byte what Feast's path writes.

Feast converts every value of a materialization to a protobuf message in Python
(`feast.utils._convert_arrow_to_proto`), then the store serializes each one: at 100,000
customers and 15 features, 1.5 million conversions, most of a load's time after the inserts.
Here each column is converted once per distinct value, by Feast's own functions
(`python_values_to_proto_values`, `extract_text_and_num`, `to_naive_utc`), and the results are
taken by index. Distinct values are told apart by their bits (so 0.0 and -0.0 stay two values),
and a column the shortcut cannot hold exactly (mixed Python types, lists, unhashable values,
types other than numbers, strings and booleans) goes through Feast's conversion value by value.
Single entity keys of type string or int64 are encoded directly in Feast's version-3 layout;
any other key goes through `serialize_entity_key`. Timestamps are written as the store's
reader reads them (`stored_time`).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pandas as pd
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import extract_text_and_num
from feast.infra.online_stores.sqlite import adapt_datetime_epoch
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import ValueType as KeyType  # the key layout's numbers
from feast.type_map import python_values_to_proto_values
from feast.utils import _coerce_datetime, to_naive_utc
from feast.value_type import ValueType

# value types whose conversion depends on the value alone, so a distinct value converts once
_BY_DISTINCT_VALUE = {
    ValueType.DOUBLE,
    ValueType.FLOAT,
    ValueType.INT32,
    ValueType.INT64,
    ValueType.STRING,
    ValueType.BOOL,
}
_KEY_VERSION = 3  # the layout encoded directly below; other versions go through Feast


def encoded_values(values: np.ndarray, value_type: ValueType) -> tuple[list[bytes], list[Any]]:
    """Each value's serialized ValueProto and its `value_text`, as Feast's path makes them."""
    codes, uniques = _distinct(values) if value_type in _BY_DISTINCT_VALUE else (None, None)
    if codes is None:
        protos = python_values_to_proto_values(values, value_type)
        return [p.SerializeToString() for p in protos], [_text(p) for p in protos]
    protos = python_values_to_proto_values(uniques, value_type) if len(uniques) else []
    # code -1 (null) takes the last entry: the empty message Feast writes for a null
    blobs = np.array([p.SerializeToString() for p in protos] + [b""], dtype=object)
    texts = np.array([_text(p) for p in protos] + [None], dtype=object)
    return blobs[codes].tolist(), texts[codes].tolist()


def sqlite_timestamps(values: np.ndarray) -> list[Any]:
    """Timestamps as the SQLite store's reader reads them: naive UTC in epoch seconds."""
    codes, uniques = _distinct(values) if values.dtype.kind == "M" else (None, None)
    if codes is None:
        return [stored_time(v) for v in pd.to_datetime(values)]
    stored = [stored_time(v) for v in pd.to_datetime(uniques)] + [None]
    return np.array(stored, dtype=object)[codes].tolist()


def entity_keys(
    columns: dict[str, np.ndarray], join_keys: dict[str, ValueType], version: int = 3
) -> list[bytes]:
    """Each row's serialized entity key, as `serialize_entity_key` makes it for the store's
    `entity_key_serialization_version`."""
    if len(join_keys) == 1 and version == _KEY_VERSION:
        (name, value_type), = join_keys.items()  # fmt: skip
        values = columns[name]
        fast = _single_keys(name, value_type, values)
        if fast is not None:
            return fast
    protos = {k: python_values_to_proto_values(columns[k], t) for k, t in join_keys.items()}
    size = len(next(iter(columns.values())))
    return [
        serialize_entity_key(
            EntityKeyProto(join_keys=list(join_keys), entity_values=[protos[k][i] for k in protos]),
            entity_key_serialization_version=version,
        )
        for i in range(size)
    ]


def _single_keys(name: str, value_type: ValueType, values: np.ndarray) -> list[bytes] | None:
    """Version-3 keys of one string or int64 join key without building protos; None if the
    column holds anything else (nulls included: Feast's own path says what is wrong)."""
    if value_type == ValueType.STRING and values.dtype == object:
        if not all(type(v) is str for v in values):
            return None
        encoded = [v.encode("utf8") for v in values]
    elif value_type == ValueType.INT64 and values.dtype.kind == "i":
        pack = struct.Struct("<q").pack
        encoded = [pack(int(v)) for v in values]
    else:
        return None
    key = name.encode("utf8")
    head = struct.pack("<III", 1, KeyType.STRING, len(key)) + key
    kind = struct.pack("<I", getattr(KeyType, value_type.name))
    return [b"".join((head, kind, struct.pack("<I", len(v)), v)) for v in encoded]


def _distinct(values: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(codes, distinct values) with nulls coded -1; (None, None) where a distinct value could
    stand for values Feast would convert differently."""
    if values.dtype.kind in "fM":  # by bit pattern: -0.0 is not 0.0; NaN and NaT are null
        bits = values.view(f"i{values.dtype.itemsize}")
        codes, unique_bits = pd.factorize(bits)
        uniques = unique_bits.view(values.dtype)
        null = pd.isna(uniques)
        if null.any():  # nulls take code -1, as factorize gives them in object columns
            remap = np.where(null, -1, np.cumsum(~null) - 1)
            codes, uniques = remap[codes], uniques[~null]
        return codes, uniques
    if values.dtype == object:
        kinds = {type(v) for v in values if v is not None and not _is_nan(v)}
        if len(kinds) > 1 or not kinds <= {str, bool, int, float}:
            return None, None
    elif values.dtype.kind not in "biu":
        return None, None
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:
        return None, None
    return codes, np.asarray(uniques, dtype=values.dtype)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _text(proto: Any) -> Any:
    return extract_text_and_num(proto, False)[0]


def stored_time(value: Any) -> int | None:
    """A timestamp as Feast's SQLite store reads it back (its `convert_timestamp`): epoch
    seconds of the naive UTC time. Not through sqlite3's process-wide adapter, which Feast sets
    to that when imported but other libraries (pandas' SQL writer, nbformat) set to ISO text,
    which the store's reader then fails on."""
    if value is None or pd.isna(value):
        return None
    return adapt_datetime_epoch(to_naive_utc(_coerce_datetime(value)))
