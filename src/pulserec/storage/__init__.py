"""Storage backends, opened by URL: ``sqlite:///path/db.sqlite`` (default) or ``memory://``."""

from __future__ import annotations

from pathlib import Path

from pulserec.storage.base import AppendResult, Store, StoreCounts
from pulserec.storage.memory import MemoryStore
from pulserec.storage.sqlite import SqliteStore

DB_FILENAME = "pulserec.sqlite3"

__all__ = ["AppendResult", "MemoryStore", "SqliteStore", "Store", "StoreCounts", "open_store"]


def open_store(target: str | Path) -> Store:
    """Open a store by URL, or a data directory (the SQLite file inside it)."""
    text = str(target)
    if text.startswith("memory://"):
        return MemoryStore()
    if text.startswith("sqlite://"):
        return SqliteStore(text.removeprefix("sqlite://"))
    if "://" in text:
        raise ValueError(f"unknown store URL scheme in {text!r} (use sqlite:// or memory://)")
    return SqliteStore(Path(text) / DB_FILENAME)
