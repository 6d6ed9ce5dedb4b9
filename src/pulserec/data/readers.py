"""Streaming readers for CSV, JSONL and Parquet: each yields chunks of raw row dicts.

A row that cannot even be parsed (a broken JSON line) comes through as a :class:`BadRow`, so the
importer can report it with the others instead of stopping. JSONL and Parquet values keep their
own types; CSV cells are strings, except the columns named in ``infer`` whose type is inferred
over the whole file (``pulserec.data.csv_types``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pulserec.data.csv_types import BLOCK_SIZE, convert, infer_types, string_options

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row the reader could not parse, with its 1-based line or row number."""

    number: int
    reason: str


Row = dict[str, Any] | BadRow


class UnreadableFileError(ValueError):
    """The file is missing, of an unknown format, or broken as a whole."""


def file_format(path: Path) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from the file name."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise UnreadableFileError(f"{path}: unknown file type {path.suffix!r} (known: {known})")
    if not path.is_file():
        raise UnreadableFileError(f"{path}: no such file")
    return fmt


def columns_of(path: Path) -> list[str]:
    """The column names (for JSONL: the keys of the first parsable line)."""
    fmt = file_format(path)
    if fmt == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return next(csv.reader(handle), [])
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                return list(first) if isinstance(first, dict) else []
    return []


def read_chunks(
    path: Path, chunk_rows: int = 20_000, infer: Sequence[str] = ()
) -> Iterator[list[Row]]:
    """Rows of ``path`` in chunks of at most ``chunk_rows``; memory stays bounded by the chunk.

    In a CSV file, the columns in ``infer`` become int, float or bool where every value is one.
    """
    fmt = file_format(path)
    try:
        if fmt == "parquet":
            yield from _parquet_chunks(path, chunk_rows)
        elif fmt == "csv":
            yield from _csv_chunks(path, chunk_rows, infer)
        else:
            yield from _jsonl_chunks(path, chunk_rows)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(f"{path}: {exc}") from exc


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[list[Row]]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        yield list(batch.to_pylist())


def _csv_chunks(path: Path, chunk_rows: int, infer: Sequence[str]) -> Iterator[list[Row]]:
    names = columns_of(path)
    types = infer_types(path, [name for name in infer if name in names])
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
        convert_options=string_options(names),
    )
    pending: list[Row] = []
    for batch in reader:
        pending.extend(convert(batch, types).to_pylist())
        while len(pending) >= chunk_rows:
            yield pending[:chunk_rows]
            pending = pending[chunk_rows:]
    if pending:
        yield pending


def _jsonl_chunks(path: Path, chunk_rows: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            chunk.append(_parse_json_line(line, number))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _parse_json_line(line: bytes, number: int) -> Row:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return BadRow(number, f"malformed JSON: {exc}")
    if not isinstance(value, dict):
        return BadRow(number, "each line must be a JSON object")
    return value
