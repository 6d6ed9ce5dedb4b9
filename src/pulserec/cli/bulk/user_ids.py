"""The users to export: from a file (``--users``) with the API's id rule."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from pulserec.core.schemas import MAX_ID_LENGTH

ID_COLUMNS = ("user_id", "id")


class UsersFileError(ValueError):
    """A users file that cannot be read or holds an id that breaks the rule."""


def read_user_ids(path: Path) -> list[str]:
    """Ids from ``path``: a ``user_id`` (or ``id``) column of CSV, JSONL or Parquet, else one id
    per line (blank lines skipped). Repeats are kept once, in first order."""
    try:
        ids = _read(path)
    except (OSError, ValueError, KeyError) as exc:
        raise UsersFileError(f"cannot read users from {path}: {exc}") from None
    for number, user_id in enumerate(ids, start=1):
        if not 1 <= len(user_id) <= MAX_ID_LENGTH or not user_id.isprintable():
            reason = f"ids are 1-{MAX_ID_LENGTH} printable characters"
            raise UsersFileError(f"{path}: user {number} ({user_id[:40]!r}) is not valid: {reason}")
    return list(dict.fromkeys(ids))


def _read(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = pq.read_table(path)
        return [str(v) for v in table.column(_column(table.column_names)).to_pylist()]
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            column = _column(reader.fieldnames or [])
            return [row[column] for row in reader if row[column]]
    lines = path.read_text(encoding="utf-8").splitlines()
    if suffix == ".jsonl":
        rows = [orjson.loads(line) for line in lines if line.strip()]
        return [str(row[_column(list(row))]) for row in rows]
    return [line.strip() for line in lines if line.strip()]


def _column(names: Sequence[str]) -> str:
    for name in ID_COLUMNS:
        if name in names:
            return name
    raise ValueError(f"no {' or '.join(ID_COLUMNS)} column (columns: {', '.join(names)})")
