"""The Feast store for real (SQLite registry and online store, file offline store) on tiny data."""

from pathlib import Path

import pandas as pd
import pytest

from mlcycle.config import parse_dataset_config
from mlcycle.data.validation import validate
from mlcycle.features.store import (
    ACTIVITY,
    PROFILE,
    MissingFeaturesError,
    UnknownEntityError,
    apply_definitions,
    definitions,
    definitions_fingerprint,
    feature_tables,
    label_frame,
    materialize,
    online_features,
    online_rows,
    open_store,
    service_name,
    training_frame,
)
from mlcycle.features.table import assign_splits, build_model_table
from tests.conftest import PROJECT

TEMPLATE = PROJECT / "feature_repo" / "feature_store.yaml"


def built_store(tmp_path, entities, events, config, template=TEMPLATE):
    tables = feature_tables(entities, events, config)
    paths = {}
    for name, table in tables.items():
        paths[name] = tmp_path / f"{name}.parquet"
        table.to_parquet(paths[name])
    store = open_store(tmp_path / "products", template)
    objects = definitions(config, paths, ttl_days=400)
    apply_definitions(store, objects)
    return store, tables, objects


@pytest.fixture(scope="module")
def validated(churn_config, tiny_data):
    entities, report = validate(tiny_data.customers.head(60), churn_config)
    assert report.passed
    events = tiny_data.events[tiny_data.events["customer_id"].isin(entities["customer_id"])]
    return entities, events


def test_store_lives_under_products_whatever_the_cwd(
    tmp_path, monkeypatch, churn_config, validated
):
    monkeypatch.chdir(tmp_path)
    store, _, _ = built_store(tmp_path, *validated, churn_config)
    feast_dir = tmp_path / "products" / "feast"
    assert (feast_dir / "registry.db").is_file()
    written = (feast_dir / "feature_store.yaml").read_text()  # for the Feast CLI: absolute paths
    assert (
        f"sqlite:///{feast_dir}/registry.db" in written
        and f"{feast_dir}/online_store.db" in written
    )
    assert {v.name for v in store.list_feature_views()} == {PROFILE, ACTIVITY}
    assert all(v.online and v.ttl.days == 400 for v in store.list_feature_views())
    assert store.get_feature_service(service_name(churn_config)).name == "customer_churn_features"


def test_training_set_equals_the_offline_model_table(tmp_path, churn_config, validated):
    entities, events = validated
    store, _, _ = built_store(tmp_path, entities, events, churn_config)
    frame = training_frame(store, label_frame(entities, churn_config), churn_config)
    expected = build_model_table(entities, events, churn_config)
    cols = [churn_config.id, *churn_config.feature_names, churn_config.target.column]
    pd.testing.assert_frame_equal(
        frame[cols].reset_index(drop=True), expected[cols].reset_index(drop=True)
    )


def test_an_event_after_the_label_time_never_reaches_the_training_row(
    tmp_path, churn_config, validated
):
    """Leakage: a purchase planted after a customer's label time appears in a later feature
    row, and the point-in-time join keeps it out of the training row at the label time."""
    entities, events = validated
    who = entities[churn_config.id].iloc[0]
    label_time = entities[churn_config.timestamp_column].iloc[0]
    later = label_time + pd.Timedelta(days=5)
    planted = pd.DataFrame(
        {
            "customer_id": [who],
            "event_timestamp": [label_time + pd.Timedelta(days=2)],
            "event_type": ["purchase"],
            "amount": [9999.0],
        }
    )
    # feature rows as of the label time and as of five days later (which sees the purchase)
    snapshots = pd.concat([entities, entities.head(1).assign(snapshot_ts=later)], ignore_index=True)
    store, tables, _ = built_store(
        tmp_path, snapshots, pd.concat([events, planted], ignore_index=True), churn_config
    )
    act = tables[ACTIVITY].set_index(["customer_id", "snapshot_ts"])
    assert (
        act.loc[(who, later), "avg_purchase_value"]
        > act.loc[(who, label_time), "avg_purchase_value"]
    )

    labels = pd.DataFrame(
        {"customer_id": [who, who], "event_timestamp": [label_time, later], "churned": [0, 0]}
    )
    frame = training_frame(store, labels, churn_config)
    at_label, after = frame.iloc[0], frame.iloc[1]
    assert at_label["avg_purchase_value"] == act.loc[(who, label_time), "avg_purchase_value"]
    assert at_label["total_purchases"] == act.loc[(who, label_time), "total_purchases"]
    assert after["avg_purchase_value"] == act.loc[(who, later), "avg_purchase_value"]


def test_ttl_bounds_what_a_training_row_may_see(tmp_path, churn_config, validated):
    entities, events = validated
    store, _, _ = built_store(tmp_path, entities, events, churn_config)
    labels = label_frame(entities.head(3), churn_config)
    labels.loc[1, "event_timestamp"] += pd.Timedelta(days=401)  # the features are too old then
    who = labels.loc[1, "customer_id"]
    with pytest.raises(MissingFeaturesError, match=f"1 of 3 label rows .* e.g. '{who}' at"):
        training_frame(store, labels, churn_config)
    # asked to keep them, the row stays (Feast's file store would drop it) with no features
    frame = training_frame(store, labels, churn_config, allow_missing=True)
    assert frame["customer_id"].tolist() == labels["customer_id"].tolist()
    assert frame.loc[[0, 2], churn_config.feature_names].notna().all().all()
    assert frame.loc[1, churn_config.feature_names].isna().all()  # beyond the ttl: not served


def test_online_row_equals_the_offline_row(tmp_path, churn_config, validated):
    """Training-serving parity: same customer, same time, same features."""
    entities, events = validated
    store, tables, _ = built_store(tmp_path, entities, events, churn_config)
    loads = materialize(store, tables, churn_config.timestamp_column)
    assert set(loads) == {PROFILE, ACTIVITY} and all(
        v.startswith("full load") for v in loads.values()
    )
    offline = training_frame(store, label_frame(entities, churn_config), churn_config)
    for i in (0, 17, 42):
        who = entities[churn_config.id].iloc[i]
        online = online_features(store, churn_config, who)
        expected = offline.loc[offline[churn_config.id] == who, churn_config.feature_names]
        pd.testing.assert_frame_equal(online, expected.reset_index(drop=True))
    # a rebuild loads incrementally
    again = materialize(store, tables, churn_config.timestamp_column)
    assert all(v.startswith("incremental") for v in again.values())


def test_unknown_customer_is_a_clear_error_not_nans(tmp_path, churn_config, validated):
    entities, events = validated
    store, tables, _ = built_store(tmp_path, entities, events, churn_config)
    materialize(store, tables, churn_config.timestamp_column)
    with pytest.raises(UnknownEntityError, match="customer_id='C9999999' has no features"):
        online_features(store, churn_config, "C9999999")


def test_many_ids_are_one_online_read_and_unknown_ids_are_left_out(
    tmp_path, churn_config, validated
):
    """A batch of 1,000 ids was 1,000 reads (34 s on a real table): now one, in id order,
    each id once, the unknown ones absent rather than rows of NaN."""
    entities, events = validated
    store, tables, _ = built_store(tmp_path, entities, events, churn_config)
    materialize(store, tables, churn_config.timestamp_column)
    reads = []
    real = store.get_online_features
    store.get_online_features = lambda **kw: reads.append(kw) or real(**kw)
    known = list(entities[churn_config.id].iloc[[5, 3, 9]])
    rows = online_rows(store, churn_config, [known[0], "C9999999", known[1], known[0], known[2]])
    assert len(reads) == 1 and len(reads[0]["entity_rows"]) == 4  # each id once
    assert list(rows.index) == known
    for who in known:
        single = online_features(store, churn_config, who)
        pd.testing.assert_frame_equal(rows.loc[[who]].reset_index(drop=True), single)


def test_a_static_table_has_only_the_profile_view(tmp_path):
    config = parse_dataset_config(
        {
            "name": "shop",
            "source": {"path": "x.csv"},
            "id": "cid",
            "target": "left",
            "features": {"numeric": ["age"], "categorical": ["plan"]},
        },
        tmp_path / "shop.yaml",
    )
    entities = pd.DataFrame(
        {
            "cid": ["a", "b", "c"],
            "age": [30.0, None, 50.0],
            "plan": ["x", "y", None],
            "left": [0, 1, 0],
            "loaded_at": pd.Timestamp("2026-01-01"),
        }
    )
    store, tables, objects = built_store(tmp_path, entities, pd.DataFrame(), config)
    assert [v.name for v in store.list_feature_views()] == [PROFILE]
    frame = training_frame(store, label_frame(entities, config), config)
    assert frame["age"].tolist()[::2] == [30.0, 50.0] and pd.isna(frame["age"].iloc[1])
    assert frame["plan"].tolist()[:2] == ["x", "y"]


def test_fingerprint_names_the_definitions_not_the_data_location(churn_config, tmp_path):
    a = definitions(churn_config, {PROFILE: "/x/p.parquet", ACTIVITY: "/x/a.parquet"})
    b = definitions(churn_config, {PROFILE: "/y/p.parquet", ACTIVITY: "/y/a.parquet"})
    assert definitions_fingerprint(a) == definitions_fingerprint(b)
    c = definitions(churn_config, {PROFILE: "/x/p.parquet", ACTIVITY: "/x/a.parquet"}, ttl_days=30)
    assert definitions_fingerprint(c) != definitions_fingerprint(a)


def test_assign_splits_labels_every_row(tiny_data):
    splits = assign_splits(tiny_data.customers, "churned", 0.2, 0.1, seed=3)
    assert splits.value_counts().to_dict() == {"train": 280, "test": 80, "valid": 40}


def test_the_feast_cli_reads_the_built_store(tmp_path, churn_config, validated):
    import subprocess
    import sys

    built_store(tmp_path, *validated, churn_config)
    feast = Path(sys.executable).parent / "feast"
    out = subprocess.run(
        [str(feast), "-c", str(tmp_path / "products" / "feast"), "feature-services", "list"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "customer_churn_features" in out and "activity:total_purchases" in out


def test_a_project_switched_to_a_table_without_events_drops_the_old_activity_view(
    tmp_path, churn_config, validated
):
    """`make run` on the built-in data, then on a user's table without event features, in
    the same products: the churn build's `activity` view must not stay registered (its next
    load read the new files with the old timestamp column: KeyError 'snapshot_ts')."""
    entities, events = validated
    store, tables, _ = built_store(tmp_path, entities, events, churn_config)
    materialize(store, tables, churn_config.timestamp_column)
    assert {v.name for v in store.list_feature_views()} == {PROFILE, ACTIVITY}

    config = parse_dataset_config(
        {"name": "shop", "source": {"path": "x.csv"}, "id": "cid", "target": "left",
         "features": {"numeric": ["age"], "categorical": ["plan"]}},
        tmp_path / "shop.yaml",
    )  # fmt: skip
    static = pd.DataFrame({"cid": ["a", "b"], "age": [30.0, 40.0], "plan": ["x", "y"],
                           "left": [0, 1], "loaded_at": pd.Timestamp("2026-01-01")})  # fmt: skip
    store, tables, _ = built_store(tmp_path, static, pd.DataFrame(), config)
    assert [v.name for v in store.list_feature_views()] == [PROFILE]
    assert [s.name for s in store.list_feature_services()] == [service_name(config)]
    assert set(materialize(store, tables, config.timestamp_column)) == {PROFILE}
    assert online_features(store, config, "b")["age"].tolist() == [40.0]
