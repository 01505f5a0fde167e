"""The sandbox: a stage notebook run by hand never alters what the build produced.

Opened in JupyterLab, a stage reads its inputs from the build's products (the paths a build
would use) and writes everything else to `<products>/sandbox/`: its own products, and the
stores it changes, which are copies of the build's (the MLflow SQLite store, the Feast
registry and online store). Runs it starts are tagged `mlcycle.interactive`. The build's
files, runs, registered versions and aliases stay as they were. `sandbox: false` in the
settings (or MLCYCLE_SANDBOX=false) writes to the build's products instead, on purpose.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlcycle.settings import (
    SANDBOX_DIR_ENV,
    SANDBOX_STORE_FROM,
    SANDBOX_STORE_TO,
    artifacts_under,
    local_store_uri,
)

SANDBOX_DIR = "sandbox"
COPIES = ".copies.json"  # what was copied from the build, and as of when
INTERACTIVE_TAG = "mlcycle.interactive"
# the stores a stage changes in place: MLflow's (its runs' files too, since a stage may log
# to an existing run) and Feast's
_COPIED = {"mlflow": ("mlflow.db", "mlartifacts"), "feast": ("feast",)}  # copied together
# where MLflow's SQL store keeps a location: (table, column)
_LOCATIONS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "source"),
    ("model_versions", "storage_location"),
)


def sandbox_of(products: str | Path) -> Path:
    return Path(products).resolve() / SANDBOX_DIR


def _copy_sqlite(source: Path, dest: Path) -> None:
    """A consistent copy of a SQLite file (its online backup; never half a transaction)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(dest) as out:
        src.backup(out)


def _relocate_artifacts(store: Path, build_products: Path, sandbox: Path) -> None:
    """Every location the copied store keeps under the build's products (experiments, runs,
    logged models, model versions) points to the same place in the sandbox, where the
    artifacts were copied: a run reopened there, or a new one, writes only to the sandbox."""
    moves = [(build_products.as_uri(), sandbox.as_uri()), (str(build_products), str(sandbox))]
    with sqlite3.connect(store) as db:
        columns = {
            (table, row[1])
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for row in db.execute(f"PRAGMA table_info({table})")
        }
        for table, column in _LOCATIONS:
            if (table, column) not in columns:
                continue
            for old, new in moves:
                db.execute(
                    f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                    f"WHERE substr({column}, 1, ?) = ?",
                    (new, len(old) + 1, len(old), old),
                )


def refresh(build_products: Path, sandbox: Path) -> list[str]:
    """Copy the build's stores into the sandbox when the build changed them since the last
    copy (what the sandbox did to its copies is then replaced); returns what was copied."""
    marker = sandbox / COPIES
    seen = json.loads(marker.read_text()) if marker.is_file() else {}
    copied = []
    for store, names in _COPIED.items():
        sources = [build_products / n for n in names if (build_products / n).exists()]
        if not sources:
            continue
        newest = max(p.stat().st_mtime_ns for s in sources for p in [s, *s.rglob("*")])
        if seen.get(store) == newest and all((sandbox / s.name).exists() for s in sources):
            continue
        for source in sources:
            dest = sandbox / source.name
            if source.is_dir():
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
                for db in (*dest.rglob("*.db"),):  # a consistent copy of each SQLite file
                    _copy_sqlite(source / db.relative_to(dest), db)
            else:
                _copy_sqlite(source, dest)
        if store == "mlflow" and (sandbox / "mlflow.db").exists():
            _relocate_artifacts(sandbox / "mlflow.db", build_products, sandbox)
        copied.append(store)
        seen[store] = newest
    marker.write_text(json.dumps(seen))
    return copied


def _moved(value: Any, build_products: Path, sandbox: Path) -> Any:
    """A product path under the build's products, moved to the same place in the sandbox."""
    if isinstance(value, Mapping):
        return {k: _moved(v, build_products, sandbox) for k, v in value.items()}
    path = Path(str(value))
    if path.is_absolute() and path.resolve().is_relative_to(build_products):
        return str(sandbox / path.resolve().relative_to(build_products))
    return value


def enter(
    build_products: str | Path, product: Any, params: dict[str, Any], tracking_uri: str
) -> tuple[Any, dict[str, Any], Path]:
    """Products and params of a stage run by hand, pointed at the sandbox; sets this
    process's store mapping and run tags. Returns (product, params, sandbox folder)."""
    build_products = Path(build_products).resolve()
    sandbox = sandbox_of(build_products)
    sandbox.mkdir(parents=True, exist_ok=True)
    copied = refresh(build_products, sandbox)
    if tracking_uri == local_store_uri(build_products):
        os.environ[SANDBOX_STORE_FROM] = tracking_uri
        os.environ[SANDBOX_STORE_TO] = local_store_uri(sandbox)
    else:
        print(f"Sandbox: the tracking store is a server ({tracking_uri.split('@')[-1]}): runs "
              f"started here go to it, tagged {INTERACTIVE_TAG}")  # fmt: skip
    artifacts_under(sandbox).mkdir(parents=True, exist_ok=True)
    os.environ[SANDBOX_DIR_ENV] = str(sandbox)
    tags = json.loads(os.environ.get("MLFLOW_RUN_CONTEXT") or "{}")
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps({**tags, INTERACTIVE_TAG: "true"})
    params = {k: (str(sandbox) if k == "products" else v) for k, v in params.items()}
    if copied:
        print(f"Sandbox: copied the build's {', '.join(copied)} into it")
    moved = _moved(product, build_products, sandbox)
    for path in moved.values() if isinstance(moved, Mapping) else [moved]:
        Path(str(path)).parent.mkdir(parents=True, exist_ok=True)  # as a build makes them
    return moved, params, sandbox
