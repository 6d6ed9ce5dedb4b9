"""Forgetting that sticks, on every Store backend (memory, SQLite, PostgreSQL): a deleted user
leaves a tombstone (a keyed hash, never the id) that refuses their replayed events, user
records and impressions; the change log keeps their id only in the deletion's own entry."""

from __future__ import annotations

import time

import orjson
import pytest

from pulserec.core.types import Event, EventType, Impression, User
from pulserec.storage import Store, memory, postgres_tombstones, sqlite_tombstones
from pulserec.storage.tombstones import SECRET_NAME, tombstone_hash


def _click(user: str, item: str, event_id: str | None) -> Event:
    return Event(user, item, EventType.CLICK, 1_700_000_000.0, event_id=event_id)


def _impression(impression_id: str, user: str) -> Impression:
    return Impression(impression_id, "exp", "a", user, time.time(), ("i1",), (0,), 1.0)


def test_replayed_events_of_a_deleted_user_are_refused_as_forgotten(store: Store) -> None:
    batch = [_click("gone", "i1", "e1"), _click("gone", "i2", "e2"), _click("kept", "i1", "e3")]
    store.append_events(batch)
    assert store.delete_user("gone")
    assert store.forgotten(["gone", "kept", "never"]) == {"gone"}
    fresh = _click("kept", "i9", "e4")
    again = store.append_events([*batch, _click("gone", "i3", None), fresh])  # ids and new ones
    assert again.forgotten == (0, 1, 3)  # the batch is refused whole, as the API validates it
    assert (again.accepted, again.duplicates, again.stored) == (0, 0, ())
    assert store.get_user("gone") is None and store.count_user_events("gone") == 0
    assert store.count_user_events("kept") == 1
    grouped = store.append_event_batches([[_click("gone", "i1", "e1")], [_click("x", "i", "e9")]])
    assert [r.forgotten for r in grouped] == [(0,), ()] and grouped[1].accepted == 1
    assert store.get_user("gone") is None


def test_a_deleted_user_record_comes_back_only_when_restored(store: Store) -> None:
    store.upsert_users([User("gone", {"age": 31}, "jazz")])
    store.delete_user("gone")
    assert store.upsert_users([User("gone", {"age": 31}), User("new")]) == 1  # a re-import
    assert store.get_user("gone") is None and store.get_user("new") is not None
    assert store.upsert_users([User("gone", {"age": 32})], restore=True) == 1
    assert store.get_user("gone") == User("gone", {"age": 32})
    assert store.forgotten(["gone"]) == set()
    assert store.append_events([_click("gone", "i1", "e1")]).accepted == 1


def test_impressions_of_a_deleted_user_are_refused(store: Store) -> None:
    store.upsert_users([User("gone"), User("kept")])
    store.delete_user("gone")
    store.append_impressions([_impression("m1", "gone"), _impression("m2", "kept")])
    assert [i.id for i in store.impressions("exp")] == ["m2"]
    assert store.user_impressions("gone") == [] and len(store.user_impressions("kept")) == 1


def test_the_tombstone_holds_a_keyed_hash_and_the_log_keeps_no_other_copy(store: Store) -> None:
    store.upsert_users([User("gone-user-id"), User("other")])
    store.append_events([_click("gone-user-id", "i1", "e1")])
    store.delete_user("gone-user-id")
    entries = store.entries(0, 1000)
    holding = [e for e in entries if b"gone-user-id" in orjson.dumps(e.payload)]
    assert [e.kind for e in holding] == ["delete_user"]  # followers apply it by id
    users_entry = next(e for e in entries if e.kind == "users")
    assert users_entry.payload["ids"] == ["other"]
    digest = tombstone_hash(store.secret(SECRET_NAME), "gone-user-id")
    assert len(digest) == 64 and "gone-user-id" not in digest


@pytest.mark.parametrize("restore", [False, True])
def test_deleting_twice_keeps_one_tombstone(store: Store, restore: bool) -> None:
    store.upsert_users([User("u")])
    store.delete_user("u")
    store.upsert_users([User("u")], restore=restore)
    assert store.delete_user("u") is restore  # only a restored user exists to delete again
    assert store.forgotten(["u"]) == {"u"}


def test_a_delete_entry_keeps_the_id_only_for_the_keep_window(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_users([User("early"), User("late")])
    store.delete_user("early")
    assert store.entries(1, 10)[0].payload == {"id": "early"}  # followers apply it by id
    for module in (memory, sqlite_tombstones, postgres_tombstones):
        monkeypatch.setattr(module, "LOG_ID_KEEP_S", 0.0)
    time.sleep(0.01)
    store.delete_user("late")  # the next deletion hashes entries past the window
    digest = tombstone_hash(store.secret(SECRET_NAME), "early")
    assert store.entries(1, 10)[0].payload == {"id": "", "hash": digest}
    assert not any(b'"early"' in orjson.dumps(e.payload) for e in store.entries(0, 100))
    assert store.forgotten(["early", "late"]) == {"early", "late"}  # the tombstones stay


def test_tombstones_expire_after_their_retention(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_users([User("u")])
    store.delete_user("u")
    for module in (memory, sqlite_tombstones, postgres_tombstones):
        monkeypatch.setattr(module, "TOMBSTONE_RETENTION_S", 0.0)
    time.sleep(0.01)
    assert store.forgotten(["u"]) == set()
    assert store.append_events([_click("u", "i", "e1")]).accepted == 1
