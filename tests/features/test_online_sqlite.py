"""The bulk SQLite online store writes exactly the rows Feast's own store writes."""

import sqlite3
from datetime import datetime

import pandas as pd
import yaml

from mlcycle.features.feast_import import import_feast
from mlcycle.features.store import (
    ARROW_ENGINE,
    BULK_SQLITE,
    materialize,
    online_features,
    open_store,
)
from tests.conftest import PROJECT
from tests.features.test_store import built_store, validated  # noqa: F401 - a fixture

TEMPLATE = PROJECT / "feature_repo" / "feature_store.yaml"
DATETIME_ADAPTER = (datetime, sqlite3.PrepareProtocol)


def online_rows(path):
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            table: conn.execute(
                f"SELECT entity_key, feature_name, value, value_text, event_ts, created_ts "
                f'FROM "{table}" ORDER BY entity_key, feature_name'
            ).fetchall()
            for table in tables
        }


def with_nulls(path, config):
    """A feature table with a missing number, a missing category and a negative zero."""
    table = pd.read_parquet(path)
    numeric = [c for c in config.numeric_names if c in table]
    categorical = [c for c in config.categorical_names if c in table]
    table.loc[0, numeric[0]] = None
    table.loc[1, numeric[0]] = -0.0
    if categorical:
        table.loc[2, categorical[0]] = None
    table.to_parquet(path)


def test_the_bulk_store_writes_what_feasts_own_store_writes(
    tmp_path,
    monkeypatch,
    churn_config,
    validated,  # noqa: F811
):
    entities, events = validated
    import_feast()  # imported by the test, not while collected (tests/conftest.py)
    from feast.infra.online_stores.sqlite import adapt_datetime_epoch

    from mlcycle.features.online_sqlite import BulkSqliteOnlineStore

    # Feast's own store writes timestamps through sqlite3's process-wide adapter: its own
    # (epoch seconds) unless another library registered another since (see the last test)
    monkeypatch.setitem(sqlite3.adapters, DATETIME_ADAPTER, adapt_datetime_epoch)
    (tmp_path / "ours").mkdir()
    (tmp_path / "feast").mkdir()
    ours, tables, _ = built_store(tmp_path / "ours", entities, events, churn_config)
    assert ours.config.online_store.type == BULK_SQLITE  # `type: sqlite` becomes the bulk one
    raw = yaml.safe_load(TEMPLATE.read_text())
    feasts_db = tmp_path / "feast" / "online.db"
    raw["online_store"] = {"type": "feast.infra.online_stores.sqlite.SqliteOnlineStore",
                           "path": str(feasts_db)}  # fmt: skip
    template = tmp_path / "feature_store.yaml"
    template.write_text(yaml.safe_dump(raw))
    feasts, _, _ = built_store(tmp_path / "feast", entities, events, churn_config, template)
    assert feasts.config.online_store.type.startswith("feast.")
    assert ours.config.batch_engine_config == {"type": ARROW_ENGINE}  # Arrow to our store
    assert feasts.config.batch_engine_config == "local"  # Feast's conversion to Feast's
    for side in ("ours", "feast"):
        for name in tables:
            with_nulls(tmp_path / side / f"{name}.parquet", churn_config)
    arrow_rows = []
    write_arrow = BulkSqliteOnlineStore.online_write_arrow
    monkeypatch.setattr(
        BulkSqliteOnlineStore, "online_write_arrow",
        lambda self, config, table, batch, keys: (arrow_rows.append(batch.num_rows),
                                                  write_arrow(self, config, table, batch, keys)),
    )  # fmt: skip
    for _ in range(2):  # a second load upserts: the same rows, none twice
        materialize(ours, tables, churn_config.timestamp_column)
        materialize(feasts, tables, churn_config.timestamp_column)
        mine = online_rows(ours.config.online_store.path)
        theirs = online_rows(feasts_db)
        assert mine == theirs
        assert any(row[3] for rows in mine.values() for row in rows)  # text values too
        assert any(row[2] == b"" for rows in mine.values() for row in rows)  # and nulls
        assert sum(len(rows) for rows in mine.values()) == len(churn_config.feature_names) * len(
            entities
        )
    assert sum(arrow_rows) >= 2 * len(entities)  # both views were written from Arrow
    reopened = open_store(tmp_path / "ours" / "products", TEMPLATE)
    assert reopened.config.online_store.type == BULK_SQLITE


def test_pushed_rows_are_written_whatever_their_order_and_count_and_the_last_of_a_key_stays(
    tmp_path,
    churn_config,
    validated,  # noqa: F811
):
    entities, events = validated
    store, tables, _ = built_store(tmp_path, entities, events, churn_config)
    profile = tables["profile"]
    feature = next(c for c in churn_config.numeric_names if c in profile)
    # 7 customers, the first twice: not a whole number of statements, and a repeated key
    pushed = profile.head(7).iloc[::-1].reset_index(drop=True)
    again = pushed.tail(1).assign(**{feature: 12345.0})
    store.write_to_online_store("profile", pd.concat([pushed, again], ignore_index=True))
    rows = online_rows(store.config.online_store.path)
    (table,) = [t for t in rows if t.endswith("_profile")]
    features_in_view = len(store.get_feature_view("profile").features)
    assert 7 * features_in_view % 100  # a partial statement is written too
    assert len(rows[table]) == 7 * features_in_view  # one row per customer and feature
    first = str(pushed[churn_config.id].iloc[-1])
    assert online_features(store, churn_config, first)[feature].iloc[0] == 12345.0  # the last


def test_timestamps_are_written_as_the_store_reads_them_whatever_adapter_is_registered(
    tmp_path,
    monkeypatch,
    churn_config,
    validated,  # noqa: F811
):
    # pandas' SQL writer and nbformat's signatures register ISO text for datetimes in the
    # whole process; Feast's reader parses epoch seconds and would fail on the text
    monkeypatch.setitem(sqlite3.adapters, DATETIME_ADAPTER, datetime.isoformat)
    entities, events = validated
    store, tables, _ = built_store(tmp_path, entities, events, churn_config)
    materialize(store, tables, churn_config.timestamp_column)  # from Arrow
    first = str(tables["profile"][churn_config.id].iloc[0])
    assert not online_features(store, churn_config, first).isna().all(axis=None)
    store.write_to_online_store("profile", tables["profile"].head(3))  # from protos
    assert not online_features(store, churn_config, first).isna().all(axis=None)
    tables_rows = online_rows(store.config.online_store.path).values()
    stamps = {type(row[4]) for rows in tables_rows for row in rows}
    assert stamps == {int}  # epoch seconds, as Feast's reader reads them
