"""What only the SQLite store promises: WAL, rollback mid-write, reopening, URLs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pulserec.core.types import Event, EventType, Item
from pulserec.storage import DB_FILENAME, MemoryStore, SqliteStore, open_store


def test_wal_mode_and_full_sync(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    conn = store._reader()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "t.db", synchronous="sometimes")


def test_a_failure_mid_batch_rolls_everything_back(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    unbindable = Event("new-user", "new-item", EventType.VIEW, 1.0, value=object())  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - sqlite3 cannot bind the value
        store.append_events([Event("new-user", "other", EventType.VIEW, 1.0), unbindable])
    assert store.get_user("new-user") is None and store.get_item("new-item") is None
    assert store.counts().events == 0
    store.close()


def test_reopen_sees_everything(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.upsert_items([Item("a", "Alpha", tags=("t",))])
    store.append_events([Event("u", "a", EventType.LIKE, 2.0, event_id="e")])
    store.close()
    reopened = SqliteStore(tmp_path / "s.db")
    assert reopened.get_item("a") == Item("a", "Alpha", tags=("t",))
    assert (
        reopened.append_events([Event("u", "a", EventType.LIKE, 2.0, event_id="e")]).duplicates == 1
    )
    reopened.close()


def test_concurrent_writers_never_duplicate(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    batch = [Event("u", f"i{n}", EventType.VIEW, float(n), event_id=f"e{n}") for n in range(200)]
    threads = [threading.Thread(target=store.append_events, args=(batch,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counts().events == 200
    store.close()


def test_open_store_by_url_or_directory(tmp_path: Path) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    by_dir = open_store(tmp_path / "data")
    assert isinstance(by_dir, SqliteStore) and by_dir.path == tmp_path / "data" / DB_FILENAME
    by_dir.close()
    by_url = open_store(f"sqlite://{tmp_path / 'x.db'}")
    assert isinstance(by_url, SqliteStore) and by_url.path == tmp_path / "x.db"
    by_url.close()
    with pytest.raises(ValueError, match="scheme"):
        open_store("mysql://nope")
