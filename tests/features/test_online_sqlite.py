"""The bulk SQLite online store writes exactly the rows Feast's own store writes."""

import sqlite3

import yaml

from mlcycle.features.store import BULK_SQLITE, materialize, open_store
from tests.conftest import PROJECT
from tests.features.test_store import built_store, validated  # noqa: F401 - a fixture

TEMPLATE = PROJECT / "feature_repo" / "feature_store.yaml"


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


def test_the_bulk_store_writes_what_feasts_own_store_writes(tmp_path, churn_config, validated):  # noqa: F811
    entities, events = validated
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
    for _ in range(2):  # a second load upserts: the same rows, none twice
        materialize(ours, tables, churn_config.timestamp_column)
        materialize(feasts, tables, churn_config.timestamp_column)
        mine = online_rows(ours.config.online_store.path)
        theirs = online_rows(feasts_db)
        assert mine == theirs
        assert any(row[3] for rows in mine.values() for row in rows)  # text values too
        assert sum(len(rows) for rows in mine.values()) == len(churn_config.feature_names) * len(
            entities
        )
    reopened = open_store(tmp_path / "ours" / "products", TEMPLATE)
    assert reopened.config.online_store.type == BULK_SQLITE
