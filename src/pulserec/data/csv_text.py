"""CSV text as a warehouse writes it: any encoding, a byte-order mark, a detected delimiter.

Records come with the physical line they start on (the header is line 1; a quoted value may
span lines), so a record that cannot be used (a column too many or too few, bytes the
encoding cannot read) is reported with its line while the others are read on.
"""

from __future__ import annotations

import _csv
import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
SAMPLE_CHARS = 64 * 1024  # what delimiter detection reads
MAX_FIELD_CHARS = 16 << 20  # a runaway quote is one bad record, not a crash
# The cells read as null (missing): empty ones and the usual NA spellings (pyarrow's list).
NULLS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"}
    | {"N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"}
)


class BadFileError(ValueError):
    """The file as a whole cannot be read as CSV (its header, its options)."""


def delimiter_of(value: str) -> str:
    """A one-character delimiter, or one of ``tab comma semicolon pipe``."""
    delimiter = DELIMITER_NAMES.get(value.lower(), value)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            f"--delimiter must be one character (or tab, comma, semicolon, pipe), not {value!r}"
        )
    return delimiter


def encoding_of(value: str) -> str:
    """The codec's canonical name; ValueError naming the option for an unknown one."""
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise ValueError(
            f"unknown --encoding {value!r} (e.g. utf-8, latin-1, cp1252, utf-16)"
        ) from None


def open_text(path: Path, encoding: str | None) -> TextIO:
    """``path`` as text; a UTF-8 byte-order mark is skipped and undecodable bytes are kept as
    surrogates, so one bad record is found and reported rather than failing the file."""
    name = encoding_of(encoding or "utf-8")
    reading = "utf-8-sig" if name == "utf-8" else name
    return path.open(encoding=reading, errors="surrogateescape", newline="")


def detect_delimiter(sample: str) -> str:
    """The delimiter among ``, ; TAB |`` that splits the header and the next records into the
    same number of columns most often (ties: more columns, then that order); ``,`` if none."""
    rows = sample.splitlines(keepends=True)
    if not rows:
        return ","
    header = rows[0]
    best, best_score = ",", (-1, 0)
    for delimiter in DELIMITERS:
        if delimiter not in header:
            continue
        records = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        if len(sample) >= SAMPLE_CHARS and len(records) > 1:
            records = records[:-1]  # the last one may be cut by the sample
        width = len(records[0]) if records else 0
        score = (sum(1 for r in records[1:] if len(r) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _undecodable(cells: list[str]) -> bool:
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(frozen=True, slots=True)
class CsvText:
    """One CSV file with its header, delimiter and encoding resolved."""

    path: Path
    columns: list[str]
    delimiter: str
    encoding: str | None

    @classmethod
    def open(cls, path: Path, delimiter: str | None, encoding: str | None) -> CsvText:
        """Read the header (BOM and surrounding spaces stripped) and detect the delimiter."""
        with open_text(path, encoding) as handle:
            sample = handle.read(SAMPLE_CHARS)
        chosen = delimiter or detect_delimiter(sample)
        with open_text(path, encoding) as handle:
            header = next(_reader(handle, chosen), [])
        columns = [name.lstrip("\ufeff").strip() for name in header]
        text = cls(path, columns, chosen, encoding)
        if _undecodable(columns):
            raise BadFileError(f"the header is {text.undecodable}")
        repeated = sorted({name for name in columns if columns.count(name) > 1})
        if repeated:
            raise BadFileError(f"the header names {', '.join(map(repr, repeated))} more than once")
        return text

    def records(self) -> Iterator[tuple[int, list[str] | str]]:
        """Every record after the header with the line it starts on: its cells, or why it
        cannot be used (a string). Blank lines are skipped."""
        width = len(self.columns)
        with open_text(self.path, self.encoding) as handle:
            reader = _reader(handle, self.delimiter)
            next(reader, None)
            line = reader.line_num
            while True:
                start = line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    line = reader.line_num
                    yield start, f"cannot parse the record: {error}"
                    continue
                line = reader.line_num
                if not cells:
                    continue
                if len(cells) != width:
                    yield start, f"expected {width} columns, got {len(cells)}"
                elif _undecodable(cells):
                    yield start, self.undecodable
                else:
                    yield start, cells

    @property
    def undecodable(self) -> str:
        """Why a record with bytes the encoding cannot read is rejected."""
        return (
            f"not valid {self.encoding or 'utf-8'} text (pass --encoding, e.g. --encoding "
            "cp1252 or latin-1)"
        )


def _reader(handle: TextIO, delimiter: str) -> _csv.Reader:
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    return csv.reader(handle, delimiter=delimiter, strict=True)
