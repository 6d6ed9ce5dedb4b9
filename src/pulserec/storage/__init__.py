"""Storage backends, opened by URL: ``sqlite:///path/db.sqlite`` (default), ``memory://`` or
``postgresql://user@host:port/db`` (needs the ``scale`` extra)."""

from __future__ import annotations

from pathlib import Path

from pulserec.storage.base import AppendResult, Store, StoreCounts, StoreUnavailable
from pulserec.storage.memory import MemoryStore
from pulserec.storage.sqlite import SqliteStore

DB_FILENAME = "pulserec.sqlite3"

__all__ = [
    "AppendResult",
    "MemoryStore",
    "SqliteStore",
    "Store",
    "StoreCounts",
    "StoreUnavailable",
    "open_store",
]


def open_store(target: str | Path) -> Store:
    """Open a store by URL, or a data directory (the SQLite file inside it)."""
    text = str(target)
    if text.startswith("memory://"):
        return MemoryStore()
    if text.startswith("sqlite://"):
        return SqliteStore(text.removeprefix("sqlite://"))
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from pulserec.storage.postgres import PostgresStore
        except ImportError as exc:  # pragma: no cover - the scale extra is not installed
            raise ValueError(f"{text}: PostgreSQL needs pip install 'pulserec[scale]'") from exc
        return PostgresStore(text)
    if "://" in text:
        raise ValueError(
            f"unknown store URL scheme in {text!r} (use sqlite://, memory:// or postgresql://)"
        )
    return SqliteStore(Path(text) / DB_FILENAME)
