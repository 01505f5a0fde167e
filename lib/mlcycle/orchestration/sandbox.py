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

from mlcycle.settings import SANDBOX_STORE_FROM, SANDBOX_STORE_TO, artifacts_under, local_store_uri

SANDBOX_DIR = "sandbox"
COPIES = ".copies.json"  # what was copied from the build, and as of when
INTERACTIVE_TAG = "mlcycle.interactive"
_COPIED = ("mlflow.db", "feast")  # the stores a stage changes in place


def sandbox_of(products: str | Path) -> Path:
    return Path(products).resolve() / SANDBOX_DIR


def _copy_sqlite(source: Path, dest: Path) -> None:
    """A consistent copy of a SQLite file (its online backup; never half a transaction)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(dest) as out:
        src.backup(out)


def _relocate_artifacts(store: Path, build_products: Path, sandbox: Path) -> None:
    """New runs of the copied store keep their artifacts in the sandbox: every experiment's
    artifact location that points into the build's products now points into the sandbox (the
    build's runs keep their own artifact paths, so their models still load, read-only)."""
    old, new = build_products.as_uri(), sandbox.as_uri()
    with sqlite3.connect(store) as db:
        db.execute(
            "UPDATE experiments SET artifact_location = ? || substr(artifact_location, ?) "
            "WHERE artifact_location LIKE ? || '%'",
            (new, len(old) + 1, old),
        )


def refresh(build_products: Path, sandbox: Path) -> list[str]:
    """Copy the build's stores into the sandbox when the build changed them since the last
    copy (what the sandbox did to its copies is then replaced); returns what was copied."""
    marker = sandbox / COPIES
    seen = json.loads(marker.read_text()) if marker.is_file() else {}
    copied = []
    for name in _COPIED:
        source, dest = build_products / name, sandbox / name
        if not source.exists():
            continue
        newest = max(p.stat().st_mtime_ns for p in [source, *source.rglob("*")])
        if dest.exists() and seen.get(name) == newest:
            continue
        if source.is_dir():
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
            for db in (*dest.rglob("*.db"),):  # a consistent copy of each SQLite file
                _copy_sqlite(source / db.relative_to(dest), db)
        else:
            _copy_sqlite(source, dest)
            _relocate_artifacts(dest, build_products, sandbox)
        copied.append(name)
        seen[name] = newest
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
    tags = json.loads(os.environ.get("MLFLOW_RUN_CONTEXT") or "{}")
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps({**tags, INTERACTIVE_TAG: "true"})
    params = {k: (str(sandbox) if k == "products" else v) for k, v in params.items()}
    if copied:
        print(f"Sandbox: copied the build's {', '.join(copied)} into it")
    return _moved(product, build_products, sandbox), params, sandbox
