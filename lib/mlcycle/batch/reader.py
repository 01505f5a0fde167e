"""Stream a Parquet or CSV file (local path or fsspec URI) in record batches, so memory stays
flat whatever the file's size. A missing column fails before anything is scored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyarrow as pa

from mlcycle.column_rules import MISSING_TEXT


class InputSchemaError(ValueError):
    """The input lacks columns the model needs (named in the message)."""


class InputReadError(RuntimeError):
    """The input cannot be opened or read (the path and the cause in the message)."""


def input_format(path: str, declared: str | None = None) -> str:
    if declared:
        return declared
    suffixes = PurePosixPath(path.split("?")[0]).suffixes
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".csv" in suffixes:
        return "csv"
    raise InputReadError(f"cannot tell the format of {path!r}: pass --format csv or parquet")


@dataclass
class Input:
    path: str
    format: str
    total_rows: int | None  # known up front for Parquet (footer); None for CSV
    schema: pa.Schema  # of the selected columns
    batches: Iterator[pa.RecordBatch]


def _check_columns(path: str, have: list[str], need: list[str]) -> None:
    missing = [c for c in need if c not in have]
    if missing:
        raise InputSchemaError(
            f"{path} lacks column(s) {', '.join(repr(c) for c in missing)} that the model "
            f"needs; it has: {', '.join(have)}"
        )


@contextmanager
def open_input(
    path: str, columns: list[str], batch_size: int = 65_536, fmt: str | None = None
) -> Iterator[Input]:
    """Batches holding exactly `columns`. CSV columns arrive as text (the row checks parse
    them, so one bad value rejects its row instead of failing the file)."""
    import fsspec

    fmt = input_format(path, fmt)
    try:
        handle = fsspec.open(path, "rb").open()
    except FileNotFoundError:
        raise InputReadError(f"input file not found: {path}") from None
    except ImportError as exc:  # e.g. s3fs missing for s3:// URIs
        raise InputReadError(f"cannot read {path}: {exc} (install the `s3` extra)") from None
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            try:
                reader = pq.ParquetFile(handle)
            except pa.ArrowInvalid as exc:
                raise InputReadError(f"{path} is not a readable Parquet file: {exc}") from None
            _check_columns(path, reader.schema_arrow.names, columns)
            batches = reader.iter_batches(batch_size=batch_size, columns=columns)
            schema = pa.schema([reader.schema_arrow.field(c) for c in columns])
            yield Input(path, fmt, reader.metadata.num_rows, schema, batches)
        else:
            import pyarrow.csv as pacsv

            text = {c: pa.string() for c in columns}
            try:
                reader = pacsv.open_csv(
                    handle,
                    read_options=pacsv.ReadOptions(block_size=1 << 22),
                    convert_options=pacsv.ConvertOptions(
                        column_types=text,
                        strings_can_be_null=True,
                        null_values=list(MISSING_TEXT),  # the column rules' "no value" text
                    ),
                )
            except pa.ArrowInvalid as exc:
                raise _csv_error(path, exc) from None
            _check_columns(path, reader.schema.names, columns)
            schema = pa.schema([(c, pa.string()) for c in columns])
            yield Input(path, fmt, None, schema, _select(reader, columns, path))
    finally:
        handle.close()


def _select(reader, columns: list[str], path: str) -> Iterator[pa.RecordBatch]:
    try:
        for batch in reader:
            yield pa.RecordBatch.from_arrays([batch.column(c) for c in columns], names=columns)
    except pa.ArrowInvalid as exc:  # a malformed line: the file itself is broken
        raise _csv_error(path, exc) from None


def _csv_error(path: str, exc: Exception) -> InputReadError:
    """Arrow's CSV error, with the byte and line of the first invalid UTF-8 when that is it
    (Arrow says only 'invalid UTF8 data' and the column)."""
    if "UTF8" not in str(exc):
        return InputReadError(f"{path} is not a readable CSV file: {exc}")
    offset, line = first_invalid_utf8(path)
    where = f" at byte {offset:,} (line {line:,})" if offset is not None else ""
    return InputReadError(
        f"{path} is not valid UTF-8{where}: save it as UTF-8 and score it again "
        f"(nothing was written; Arrow said: {exc})"
    )


def first_invalid_utf8(path: str, chunk: int = 1 << 20) -> tuple[int | None, int | None]:
    """(byte offset, 1-based line) of the first byte that is not UTF-8, or (None, None)."""
    import codecs

    import fsspec

    decoder = codecs.getincrementaldecoder("utf-8")()
    done, lines = 0, 1
    with fsspec.open(path, "rb") as f:
        while block := f.read(chunk):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                # the error's start is within what the decoder held back plus this block
                held = len(err.object) - len(block)
                offset = done - held + err.start
                return offset, lines + err.object[: err.start].count(b"\n")
            done += len(block)
            lines += block.count(b"\n")
    return None, None
