"""Stable fingerprints of data and of the code that produced it, for lineage tags."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pandas as pd

from mlcycle.config import LOAD_TIME_COLUMN, DatasetConfig


def data_fingerprint(df: pd.DataFrame, config: DatasetConfig | None = None) -> str:
    """A content hash of a frame: same rows, columns and values give the same digest. With
    the dataset's config, a static table's load time (the config names no timestamp) is left
    out: it says when the file was read, not what it holds, so the same file read again is
    the same data (and a retrain on it is not registered again)."""
    if config is not None and config.timestamp is None:
        df = df.drop(columns=[LOAD_TIME_COLUMN], errors="ignore")
    h = hashlib.sha256()
    h.update(",".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def git_commit(path: str | Path = ".") -> str:
    """The commit of the checkout at `path` (with '-dirty' for local changes), or 'unknown'."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")
