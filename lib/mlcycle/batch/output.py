"""Write Parquet batch by batch to a temporary name, and give it its real name only once
complete: a failed run leaves nothing that looks like a finished file.

A run killed mid-write (SIGKILL, a lost machine) cannot remove its temporary file. Each one is
named after its host and process, so the next write of the same output removes the ones whose
process is gone (on this host), or that were left more than a day ago (elsewhere).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq


class ParquetSink:
    def __init__(self, handle, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        self._writer = pq.ParquetWriter(handle, schema)

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table.cast(self.schema))
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


log = logging.getLogger("mlcycle.batch")
STALE_ELSEWHERE_S = 24 * 3600  # a temporary of another host's run, older than this, is stale
_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _modified(info: dict) -> float | None:
    stamp = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
    if stamp is None:
        return None
    return stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)


def remove_stale(fs, real: str) -> list[str]:
    """Remove the temporaries of `real` that killed runs left; returns their paths."""
    parent, name = str(PurePosixPath(real).parent), PurePosixPath(real).name
    pattern = re.compile(rf"\.{re.escape(name)}\.(?:([\w-]+)-(\d+)-)?[0-9a-f]{{8}}\.tmp")
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for info in fs.ls(parent, detail=True):
            found = pattern.fullmatch(PurePosixPath(info["name"]).name)
            if not found:
                continue
            host, pid = found.group(1), found.group(2)
            if host == _HOST and pid is not None:
                stale = not _alive(int(pid))
            else:
                modified = _modified(info)
                stale = modified is not None and time.time() - modified > STALE_ELSEWHERE_S
            if stale:
                with contextlib.suppress(FileNotFoundError):
                    fs.rm(info["name"])
                removed.append(info["name"])
                log.warning("removed %s, left by a run that was killed", info["name"])
    return removed


def temporary_beside(path: str) -> tuple[object, str, str]:
    """(filesystem, the target's path, a fresh temporary path beside it): writing there and
    renaming is what makes every batch output appear only when complete. Temporaries that
    killed runs left beside it are removed first."""
    import fsspec

    fs, real = fsspec.core.url_to_fs(path)
    parent = str(PurePosixPath(real).parent)
    fs.makedirs(parent, exist_ok=True)
    remove_stale(fs, real)
    tag = f"{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return fs, real, f"{parent}/.{PurePosixPath(real).name}.{tag}.tmp"


@contextmanager
def atomic_parquet(path: str, schema: pa.Schema) -> Iterator[ParquetSink]:
    """A ParquetSink on `path`; the file appears under that name only when the block ends
    without an error (a rename; on object stores a copy then delete of the temporary)."""
    fs, real, tmp = temporary_beside(path)
    handle = fs.open(tmp, "wb")
    sink = ParquetSink(handle, schema)
    try:
        yield sink
        sink.close()
        handle.close()
        fs.mv(tmp, real)
    except BaseException:
        with contextlib.suppress(Exception):
            sink.close()
        with contextlib.suppress(Exception):
            handle.close()
        with contextlib.suppress(Exception):
            fs.rm(tmp)
        raise


def write_text(path: str, text: str) -> None:
    """A small text file (the summary), atomically, on any fsspec filesystem."""
    fs, real, tmp = temporary_beside(path)
    try:
        with fs.open(tmp, "w") as f:
            f.write(text)
        fs.mv(tmp, real)
    except BaseException:
        with contextlib.suppress(Exception):
            fs.rm(tmp)
        raise
