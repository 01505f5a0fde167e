"""Writing products atomically: a crash never leaves a half-written file that looks complete."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


def _atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file beside `path`, then rename it over `path`. The file gets
    the mode a plain open() would give it (0666 less the umask), not mkstemp's 0600, so a
    published folder is readable where it is copied."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    _atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


def write_json(data: Any, path: str | Path) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=str)
    _atomic(path, lambda tmp: tmp.write_text(text + "\n"))


def write_text_atomic(path: str | Path, text: str) -> Path:
    return _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())
