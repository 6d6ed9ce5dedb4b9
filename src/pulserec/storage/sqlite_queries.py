"""Module-level SQL helpers of :class:`~pulserec.storage.sqlite.SqliteStore`: lookups by id in
chunks of ``PARAMS_PER_QUERY`` (under SQLite's limit on bound parameters) and vector rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.storage import rows as convert

PARAMS_PER_QUERY = 900
Floats = npt.NDArray[np.float32]


def existing(conn: sqlite3.Connection, query: str, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the query (with one ``IN ({})`` placeholder) finds, in chunks."""
    found: set[str] = set()
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), PARAMS_PER_QUERY):
        chunk = unique[start : start + PARAMS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(query.format(marks), chunk))
    return found


def write_vectors(conn: sqlite3.Connection, table: str, ids: list[str], vectors: list[Any]) -> None:
    """Store each id's vector as float32 bytes; a None or NaN vector removes the row."""
    keep, drop = convert.vector_rows(ids, vectors)
    conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", keep)
    conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in drop])


def read_vectors(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> dict[str, Floats]:
    """The stored vectors of ``ids`` in ``table`` (absent ids left out)."""
    out: dict[str, Floats] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), PARAMS_PER_QUERY):
        chunk = unique[start : start + PARAMS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id, vector FROM {table} WHERE id IN ({marks})"
        for record_id, blob in conn.execute(query, chunk):
            out[record_id] = np.frombuffer(blob, dtype=np.float32)
    return out
