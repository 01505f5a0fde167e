"""Write Parquet batch by batch to a temporary name, and give it its real name only once
complete: a failed run leaves nothing that looks like a finished file."""

from __future__ import annotations

import contextlib
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


def temporary_beside(path: str) -> tuple[object, str, str]:
    """(filesystem, the target's path, a fresh temporary path beside it): writing there and
    renaming is what makes every batch output appear only when complete."""
    import fsspec

    fs, real = fsspec.core.url_to_fs(path)
    parent = str(PurePosixPath(real).parent)
    fs.makedirs(parent, exist_ok=True)
    return fs, real, f"{parent}/.{PurePosixPath(real).name}.{uuid.uuid4().hex[:8]}.tmp"


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
