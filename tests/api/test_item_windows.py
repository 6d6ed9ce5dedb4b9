"""``available_from`` / ``expires_at`` over HTTP: future times accepted (unlike an event's
timestamp), a window that closes before it opens is a 422, the item shows its window, and an
item outside its window is served by no route; a store file from before the columns opens."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from fastapi.testclient import TestClient

from pulserec.storage import SqliteStore
from tests.api.test_recommend import assert_error, ids, ok


def test_windows_are_stored_shown_and_honoured(client: TestClient) -> None:
    now = time.time()
    items = [
        {"id": "live", "title": "On sale now", "expires_at": now + 3600},
        {"id": "soon", "title": "Coming soon", "available_from": now + 3600},
        {"id": "over", "title": "Sale over", "expires_at": "2001-01-01T00:00:00Z"},
    ]
    assert ok(client.post("/v1/items", json={"items": items})) == {"upserted": 3}
    shown = ok(client.get("/v1/items/soon"))
    assert shown["available_from"].endswith("Z") and shown["expires_at"] is None
    listed = set(ids(ok(client.get("/v1/popular", params={"k": 10}))))
    assert listed == {"live"}
    assert set(ids(ok(client.get("/v1/search", params={"q": "sale", "k": 10})))) == {"live"}
    assert set(ids(ok(client.get("/v1/recommend/anyone", params={"k": 10})))) == {"live"}


def test_a_window_that_closes_before_it_opens_is_a_422(client: TestClient) -> None:
    item = {"id": "x", "title": "X", "available_from": 2_000_000_000, "expires_at": 1_900_000_000}
    assert_error(client.post("/v1/items", json={"items": [item]}), 422, "validation_error")
    late = {"id": "y", "title": "Y", "timestamp": time.time() + 86_400}
    assert_error(client.post("/v1/items", json={"items": [late]}), 422, "validation_error")


def test_a_store_file_from_before_windows_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE items (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT,"
            " description TEXT, tags TEXT NOT NULL DEFAULT '[]', categories TEXT NOT NULL"
            " DEFAULT '[]', attributes TEXT NOT NULL DEFAULT '{}', hidden INTEGER NOT NULL"
            " DEFAULT 0, placeholder INTEGER NOT NULL DEFAULT 0, timestamp REAL)"
        )
        old.execute("INSERT INTO items (id, title) VALUES ('a', 'Alpha')")
    store = SqliteStore(path)
    try:
        item = store.get_item("a")
        assert item is not None and item.title == "Alpha" and item.expires_at is None
    finally:
        store.close()
