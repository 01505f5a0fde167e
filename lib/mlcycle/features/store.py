"""The Feast feature store: one definition feeds training (point in time) and serving (online).

Definitions are built from the dataset config, so nothing here names a column: an entity on
the id column, a `profile` view over the entity table's own features and, when the data has an
event log, an `activity` view over the behavioural features. A FeatureService names the set a
model is trained on. The store itself (registry, online and offline stores) is configured by
feature_repo/feature_store.yaml; its relative paths resolve under <products>/feast.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mlcycle.config import DatasetConfig
from mlcycle.features.behaviour import BEHAVIOUR_FEATURES, make_behaviour_features
from mlcycle.features.feast_import import import_feast

ENTITY = "customer"
PROFILE, ACTIVITY = "profile", "activity"
ENTITY_TS = "event_timestamp"  # the label-time column Feast expects in entity frames
STORE_FILE = "feature_store.yaml"


class StoreConfigError(ValueError):
    """feature_store.yaml cannot be used as it is (the message says why)."""


class UnknownEntityError(KeyError):
    """No features for this id in the online store: never feed silent NaNs to a model."""


class MissingFeaturesError(ValueError):
    """Label rows without any feature value in the training set."""


# --- the offline sources -----------------------------------------------------------------------


def feature_tables(
    entities: pd.DataFrame, events: pd.DataFrame, config: DatasetConfig
) -> dict[str, pd.DataFrame]:
    """Timestamped feature tables (Feast's offline sources) from validated data.

    profile: the entity table's own features at each row's timestamp.
    activity: behavioural features computed from events as of each of those timestamps.
    """
    unknown = sorted(set(config.event_features) - set(BEHAVIOUR_FEATURES))
    if unknown:
        raise KeyError(
            f"event_features {unknown} cannot be derived; known: {sorted(BEHAVIOUR_FEATURES)}"
        )
    ts = config.timestamp_column
    keys = [config.id, ts]
    # nanosecond timestamps: Feast's ttl filter fails on Parquet's millisecond ones
    entities = entities.astype({ts: "datetime64[ns]"})
    profile = entities[keys + config.table_features].astype(
        {n: float for n in config.table_features if n in config.numeric_names}
    )
    activity = entities[keys].drop_duplicates().reset_index(drop=True)
    if config.event_features:
        derived = make_behaviour_features(
            activity, events.astype({"event_timestamp": "datetime64[ns]"}), config.id, ts
        )
        activity = pd.concat([activity, derived[list(config.event_features)].astype(float)], axis=1)
    return {PROFILE: profile.reset_index(drop=True), ACTIVITY: activity}


def label_frame(entities: pd.DataFrame, config: DatasetConfig) -> pd.DataFrame:
    """The entity frame for training sets: id, label time, target."""
    return pd.DataFrame(
        {
            config.id: entities[config.id].to_numpy(),
            ENTITY_TS: pd.to_datetime(entities[config.timestamp_column]).astype("datetime64[ns]"),
            config.target.column: entities[config.target.column].to_numpy(),
        }
    )


# --- definitions ---------------------------------------------------------------------------------


def service_name(config: DatasetConfig) -> str:
    return f"{config.name}_features"


def definitions(
    config: DatasetConfig, tables: dict[str, str | Path], ttl_days: int = 400
) -> list[Any]:
    """Entity, feature views and the feature service for `config` over the given tables."""
    import_feast()
    from feast import Entity, FeatureService, FeatureView, Field, ValueType
    from feast.types import Float64, String

    def field(name: str) -> Any:
        return Field(name=name, dtype=Float64 if name in config.numeric_names else String)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        entity = Entity(name=ENTITY, join_keys=[config.id], value_type=ValueType.STRING)
    views = []
    for name, columns in (
        (PROFILE, config.table_features),
        (ACTIVITY, list(config.event_features)),
    ):
        if not columns:
            continue
        views.append(
            FeatureView(
                name=name,
                entities=[entity],
                ttl=timedelta(days=ttl_days),
                schema=[field(c) for c in columns],
                source=_source(name, tables[name], config.timestamp_column),
                # online: materialized for serving. Offline reads need no flag; Feast's
                # `offline=True` means writing back to the offline store, which materialization
                # then attempts and the file store's schema refuses
                online=True,
            )
        )
    service = FeatureService(name=service_name(config), features=views)
    return [entity, *views, service]


def _source(name: str, path: str | Path, timestamp: str) -> Any:
    from feast import FileSource  # imported by definitions(), its only caller

    return FileSource(name=f"{name}_source", path=str(path), timestamp_field=timestamp)


def definitions_fingerprint(objects: list[Any]) -> str:
    """Identifies the feature definitions (names, types, ttl, keys), not where data lives."""
    description = []
    for obj in objects:
        item = {"kind": type(obj).__name__, "name": obj.name}
        if hasattr(obj, "join_keys"):
            item["join_keys"] = list(obj.join_keys)
        if hasattr(obj, "schema") and hasattr(obj, "ttl"):
            item["ttl"] = obj.ttl.total_seconds() if obj.ttl else None
            item["schema"] = [(f.name, str(f.dtype)) for f in obj.schema]
        if hasattr(obj, "feature_view_projections"):
            item["views"] = sorted(p.name for p in obj.feature_view_projections)
        description.append(item)
    text = json.dumps(sorted(description, key=lambda d: (d["kind"], d["name"])), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the store ----------------------------------------------------------------------------------


def open_store(products: str | Path, template: str | Path) -> Any:
    """The FeatureStore configured by `template` (feature_store.yaml), rooted at products/feast.

    The resolved configuration (absolute paths) is written there too, so the Feast CLI can be
    pointed at the built store from any directory: `feast -c products/feast ...`.
    """
    import_feast()
    from feast import FeatureStore
    from feast.repo_config import RepoConfig

    root = Path(products).resolve() / "feast"
    root.mkdir(parents=True, exist_ok=True)
    text = Path(template).read_text()
    raw = _rooted(yaml.safe_load(text), root)
    resolved = yaml.safe_dump(raw, sort_keys=False)  # ${VARS} kept: no secret written here
    target = root / STORE_FILE
    if not target.is_file() or target.read_text() != resolved:
        target.write_text(resolved)
    expanded = os.path.expandvars(text)  # as Feast reads it: ${REDIS_CONNECTION} and the like
    unset = sorted(set(re.findall(r"\$\{(\w+)\}", expanded)))
    if unset:
        raise StoreConfigError(
            f"{template} uses {', '.join('${' + v + '}' for v in unset)}, not set in the "
            "environment"
        )
    return FeatureStore(
        config=RepoConfig(repo_path=root, **_rooted(yaml.safe_load(expanded), root))
    )


BULK_SQLITE = "mlcycle.features.online_sqlite.BulkSqliteOnlineStore"
ARROW_ENGINE = "mlcycle.features.engine.ArrowWriteEngine"


def _rooted(raw: dict[str, Any], root: Path) -> dict[str, Any]:
    """Resolve the registry's and the SQLite online store's relative paths against `root`;
    the SQLite online store is the project's bulk-loading one, fed Arrow batches by the
    project's engine unless the file names a `batch_engine` of its own."""
    raw = json.loads(json.dumps(raw))
    registry = raw.get("registry")
    if isinstance(registry, str):
        raw["registry"] = registry = {"path": registry}
    path = registry.get("path", "")
    if path.startswith("sqlite:///") and not path.startswith("sqlite:////"):
        registry["path"] = f"sqlite:///{root / path.removeprefix('sqlite:///')}"
    elif "://" not in path and not Path(path).is_absolute():
        registry["path"] = str(root / path)
    online = raw.get("online_store")
    if isinstance(online, dict) and online.get("type", "sqlite") in ("sqlite", BULK_SQLITE):
        online_path = Path(online.get("path", "online_store.db"))
        online["path"] = str(online_path if online_path.is_absolute() else root / online_path)
        online["type"] = BULK_SQLITE  # Feast's SQLite store, loaded in bulk (online_sqlite.py)
        raw.setdefault("batch_engine", {"type": ARROW_ENGINE})  # Feast's local one, from Arrow
    return raw


def apply_definitions(store: Any, objects: list[Any]) -> None:
    """Register `objects` as the store's feature views and services. What an earlier dataset
    left is removed first: views and services these do not define, and views defined
    differently (another source file, timestamp column or features), whose load history
    belongs to the old data. Otherwise a build switched to another table would materialise a
    stale `activity` view from the new files (KeyError on the old timestamp column), or load
    the new `profile` incrementally from the old data's last time, skipping the new rows."""
    new = {o.name: o for o in objects}
    stale = [
        v for v in store.list_feature_views()
        if v.name not in new or _shape(v) != _shape(new[v.name])
    ]  # fmt: skip
    stale += [s for s in store.list_feature_services() if s.name not in new]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if stale:
            store.apply([], objects_to_delete=stale, partial=False)
        store.apply(objects)


def _shape(view: Any) -> tuple:
    """What a view's loaded rows depend on: its source file and time column, its features."""
    source = getattr(view, "batch_source", None)
    return (
        getattr(source, "path", None),
        getattr(source, "timestamp_field", None),
        tuple(sorted(f.name for f in getattr(view, "features", []))),
    )


def materialize(store: Any, tables: dict[str, pd.DataFrame], timestamp: str) -> dict[str, str]:
    """Load the latest feature values into the online store.

    A view's first load covers its data's whole time range (Feast's incremental mode would
    start at now - ttl and could skip older data); later loads are incremental.
    """
    done = {}
    quiet = io.StringIO()  # Feast prints its own progress; the returned summary says it all
    for view in store.list_feature_views():
        table = tables.get(view.name)
        if table is None or table.empty:
            continue
        end = pd.Timestamp(table[timestamp].max()).to_pydatetime() + timedelta(seconds=1)
        with contextlib.redirect_stdout(quiet):
            if view.materialization_intervals:
                store.materialize_incremental(end_date=end, feature_views=[view.name])
                done[view.name] = f"incremental to {end}"
            else:
                start = pd.Timestamp(table[timestamp].min()).to_pydatetime() - timedelta(seconds=1)
                store.materialize(start_date=start, end_date=end, feature_views=[view.name])
                done[view.name] = f"full load of {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    return done


def training_frame(
    store: Any, labels: pd.DataFrame, config: DatasetConfig, allow_missing: bool = False
) -> pd.DataFrame:
    """Point-in-time correct, ttl-bounded features for each (id, label time) in `labels`.

    One row per label row, in order, with the label time under the config's timestamp name.
    Feast's file store drops a label row whose feature rows are all older than the ttl; such
    rows come back here with missing features, and unless `allow_missing`, they are an error
    that names them (a training set never loses or invents rows silently).
    """
    service = store.get_feature_service(service_name(config))
    frame = labels.reset_index(drop=True).assign(_row=lambda d: range(len(d)))
    joined = store.get_historical_features(entity_df=frame, features=service).to_df()
    features = joined.set_index("_row").reindex(range(len(frame)))[config.feature_names]
    out = pd.concat([frame.drop(columns="_row"), features.reset_index(drop=True)], axis=1)
    out[ENTITY_TS] = pd.to_datetime(out[ENTITY_TS]).dt.tz_localize(None)
    out = out.rename(columns={ENTITY_TS: config.timestamp_column})
    missing = out[config.feature_names].isna().all(axis=1)
    if missing.any() and not allow_missing:
        examples = ", ".join(
            f"{r[config.id]!r} at {r[config.timestamp_column]}"
            for _, r in out[missing].head(5).iterrows()
        )
        raise MissingFeaturesError(
            f"{int(missing.sum())} of {len(out)} label rows have no feature values within the "
            f"ttl ({service.name}); e.g. {examples}. Rebuild the feature tables for those times "
            "or raise feature_ttl_days."
        )
    return out.astype({n: float for n in config.numeric_names})


def unknown_entity(config: DatasetConfig, entity_id: str) -> str:
    return (
        f"{config.id}={entity_id!r} has no features in the online store "
        "(unknown, or not materialized yet)"
    )


def online_rows(store: Any, config: DatasetConfig, entity_ids: list[str]) -> pd.DataFrame:
    """The model-ready feature rows of many ids in one online-store read, indexed by id (each
    id once); ids the store does not know are absent, never rows of silent NaNs."""
    unique = list(dict.fromkeys(str(i) for i in entity_ids))
    service = store.get_feature_service(service_name(config))
    got = store.get_online_features(
        features=service, entity_rows=[{config.id: i} for i in unique]
    ).to_dict()
    frame = pd.DataFrame({n: got[n] for n in config.feature_names}, index=unique)
    frame = frame[frame.notna().any(axis=1)] if len(frame) else frame
    return frame.astype({n: float for n in config.numeric_names})


def online_features(store: Any, config: DatasetConfig, entity_id: str) -> pd.DataFrame:
    """The model-ready feature row for one id, from the online store."""
    frame = online_rows(store, config, [entity_id])
    if frame.empty:
        raise UnknownEntityError(unknown_entity(config, str(entity_id)))
    return frame.reset_index(drop=True)
