"""Lists to a file by its suffix: ``.jsonl`` (one user per line, as the batch route answers),
``.csv`` and ``.parquet`` (one row per recommended item: user_id, rank, item_id, score,
model_version)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = (".jsonl", ".csv", ".parquet")
COLUMNS = ("user_id", "rank", "item_id", "score", "model_version")
SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("rank", pa.int32()),
        ("item_id", pa.string()),
        ("score", pa.float64()),
        ("model_version", pa.string()),
    ]
)
UserList = dict[str, Any]  # {"user_id", "items": [{"id", "score", ...}], "model_version"}


class ListWriter(Protocol):
    def write(self, lists: list[UserList]) -> None: ...
    def close(self) -> None: ...


def check_format(path: Path) -> None:
    """ValueError (one line) unless ``path`` ends in a known format."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"--out must end in {', '.join(FORMATS)}, not {path.name!r}")


def open_writer(path: Path) -> ListWriter:
    check_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return JsonlWriter(path)
    if suffix == ".csv":
        return CsvWriter(path)
    return ParquetWriter(path)


def rows(lists: list[UserList]) -> list[tuple[str, int, str, float, str]]:
    """One ``COLUMNS`` row per recommended item (rank from 1)."""
    return [
        (entry["user_id"], rank, item["id"], float(item["score"]), entry["model_version"])
        for entry in lists
        for rank, item in enumerate(entry["items"], start=1)
    ]


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")

    def write(self, lists: list[UserList]) -> None:
        self._file.write(b"".join(orjson.dumps(entry) + b"\n" for entry in lists))

    def close(self) -> None:
        self._file.close()


class CsvWriter:
    def __init__(self, path: Path) -> None:
        self._file = path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file)
        self._csv.writerow(COLUMNS)

    def write(self, lists: list[UserList]) -> None:
        self._csv.writerows(rows(lists))

    def close(self) -> None:
        self._file.close()


class ParquetWriter:
    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(path, SCHEMA)

    def write(self, lists: list[UserList]) -> None:
        columns = list(zip(*rows(lists), strict=True)) or [()] * len(COLUMNS)
        arrays = [pa.array(list(col), type=f.type) for col, f in zip(columns, SCHEMA, strict=True)]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=SCHEMA))

    def close(self) -> None:
        self._writer.close()
