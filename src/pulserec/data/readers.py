"""Streaming readers for CSV, JSONL and Parquet: each yields chunks of numbered raw row dicts.

A row that cannot even be parsed (a broken JSON line, a CSV record with a column too many) comes
through as a :class:`BadRow`, so the importer can report it with the others instead of stopping.
Numbers are the line a row starts on in CSV (the header is line 1) and JSONL, its position in
Parquet. JSONL and Parquet values keep their own types; CSV cells are strings (empty and NA-like
ones null), except the columns named in ``infer`` whose type is inferred over the whole file
(``pulserec.data.csv_types``). CSV and JSONL are read in ``ReadOptions.encoding`` (UTF-8 by
default, a byte-order mark skipped); the CSV delimiter is detected unless given.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pulserec.data.csv_text import NULLS, BadFileError, CsvText, delimiter_of, encoding_of
from pulserec.data.csv_types import infer_types

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row the reader could not parse, with its 1-based line or row number."""

    number: int
    reason: str


Row = dict[str, Any] | BadRow
Numbered = tuple[int, Row]
"""A row with its line (CSV, JSONL) or position (Parquet)."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read text files: the CSV delimiter (None: detect) and the encoding (None: UTF-8).
    ValueError, naming the option, for a delimiter or encoding that cannot be used."""

    delimiter: str | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        if self.delimiter is not None:
            object.__setattr__(self, "delimiter", delimiter_of(self.delimiter))
        if self.encoding is not None:
            object.__setattr__(self, "encoding", encoding_of(self.encoding))


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


def _csv_text(path: Path, options: ReadOptions) -> CsvText:
    try:
        return CsvText.open(path, options.delimiter, options.encoding)
    except (BadFileError, OSError, UnicodeError) as exc:
        raise UnreadableFileError(f"{path}: {exc}") from exc


def columns_of(path: Path, options: ReadOptions | None = None) -> list[str]:
    """The column names (for JSONL: the keys of the first parsable line)."""
    options = options or ReadOptions()
    fmt = file_format(path)
    try:
        if fmt == "parquet":
            return list(pq.ParquetFile(path).schema_arrow.names)
        if fmt == "csv":
            return _csv_text(path, options).columns
        for _, row in _jsonl_rows(path, options):
            if isinstance(row, dict):
                return list(row)
    except (pa.ArrowInvalid, OSError, UnicodeError) as exc:
        raise UnreadableFileError(f"{path}: {exc}") from exc
    return []


def read_chunks(
    path: Path,
    chunk_rows: int = 20_000,
    infer: Sequence[str] = (),
    options: ReadOptions | None = None,
) -> Iterator[list[Numbered]]:
    """Rows of ``path`` in chunks of at most ``chunk_rows``; memory stays bounded by the chunk.

    In a CSV file, the columns in ``infer`` become int, float or bool where every value is one.
    """
    options = options or ReadOptions()
    fmt = file_format(path)
    try:
        if fmt == "parquet":
            yield from _parquet_chunks(path, chunk_rows)
        elif fmt == "csv":
            yield from _chunked(_csv_rows(_csv_text(path, options), infer), chunk_rows)
        else:
            yield from _chunked(_jsonl_rows(path, options), chunk_rows)
    except (pa.ArrowInvalid, OSError, UnicodeError) as exc:
        raise UnreadableFileError(f"{path}: {exc}") from exc


def _chunked(rows: Iterator[Numbered], chunk_rows: int) -> Iterator[list[Numbered]]:
    chunk: list[Numbered] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[list[Numbered]]:
    start = 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        rows = batch.to_pylist()
        yield list(enumerate(rows, start=start))
        start += len(rows)


def _csv_rows(text: CsvText, infer: Sequence[str]) -> Iterator[Numbered]:
    positions = {name: i for i, name in enumerate(text.columns) if name in infer}
    good = (cells for _, cells in text.records() if isinstance(cells, list))
    typed = list((infer_types(good, positions) if positions else {}).items())
    columns = text.columns
    for number, cells in text.records():
        if isinstance(cells, str):
            yield number, BadRow(number, cells)
            continue
        row: dict[str, Any] = {
            name: None if cell in NULLS else cell for name, cell in zip(columns, cells, strict=True)
        }
        for name, convert in typed:
            value = row[name]
            if value is not None:
                row[name] = convert(value)
        yield number, row


def _jsonl_rows(path: Path, options: ReadOptions) -> Iterator[Numbered]:
    encoding = options.encoding or "utf-8"
    if encoding == "utf-8":
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if number == 1 and line.startswith(UTF8_BOM):
                    line = line[len(UTF8_BOM) :]
                if line.strip():
                    yield number, _parse_json_line(line, number)
        return
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as text:
        for number, decoded in enumerate(text, start=1):
            decoded = decoded.lstrip("\ufeff") if number == 1 else decoded
            if decoded.strip():
                yield number, _parse_json_line(decoded, number)


def _parse_json_line(line: bytes | str, number: int) -> Row:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return BadRow(number, f"malformed JSON: {exc}")
    if not isinstance(value, dict):
        return BadRow(number, "each line must be a JSON object")
    return value
