"""The contract every Store backend passes (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

from pulserec.core.types import Event, EventType, ExperimentRecord, Impression, Item, User
from pulserec.storage import Store


def _event(
    user: str, item: str | None, ts: float, event_id: str | None = None, **kw: object
) -> Event:
    kind = kw.pop("type", EventType.VIEW)
    return Event(user_id=user, item_id=item, type=kind, timestamp=ts, event_id=event_id, **kw)  # type: ignore[arg-type]


def test_items_upsert_replace_and_keep_their_place(store: Store) -> None:
    store.upsert_items([Item("a", "Alpha", tags=("x",)), Item("b", "Beta")])
    store.upsert_items([Item("a", "Alpha 2", categories=("c",), attributes={"year": 1999})])
    item = store.get_item("a")
    assert item == Item("a", "Alpha 2", categories=("c",), attributes={"year": 1999})
    listed, total = store.list_items(0, 10)
    assert [i.id for i in listed] == ["a", "b"] and total == 2
    assert [i.id for i in store.list_items(1, 10)[0]] == ["b"]


def test_unknown_and_deleted_items_are_gone(store: Store) -> None:
    assert store.get_item("nope") is None
    store.upsert_items([Item("a", "Alpha")])
    assert store.delete_item("a") is True
    assert store.delete_item("a") is False
    assert store.get_item("a") is None
    assert store.list_items(0, 10) == ([], 0)


def test_get_items_reads_many_at_once_leaving_unknown_ids_out(store: Store) -> None:
    store.upsert_items([Item(f"i{n}", f"Item {n}") for n in range(5)])
    store.append_events([_event("u", "ghost", 1.0)])  # a placeholder is an item too
    found = store.get_items(["i3", "nope", "i0", "ghost", "i3", "i4"])
    assert list(found) == ["i3", "i0", "ghost", "i4"]  # the order asked, each once
    assert found["i0"] == Item("i0", "Item 0") and found["ghost"].placeholder
    assert store.get_items([]) == {} and store.get_items(["nope"]) == {}
    store.delete_item("i0")
    assert list(store.get_items(["i0", "i1"])) == ["i1"]


def test_get_items_reads_lists_longer_than_a_query_takes(store: Store) -> None:
    store.upsert_items([Item(f"i{n:04d}", f"Item {n}") for n in range(2500)])
    asked = [f"i{n:04d}" for n in range(2599, -1, -1)]  # 100 unknown ones first
    assert list(store.get_items(asked)) == asked[100:]


def test_iter_items_yields_every_item_in_listing_order(store: Store) -> None:
    store.upsert_items([Item(f"i{n}", f"Item {n}") for n in range(7)])
    store.append_events([_event("u", "late", 1.0)])  # a placeholder, listed after them
    store.upsert_items([Item("i2", "Item 2 again")])  # keeps its place
    store.delete_item("i4")
    pages = list(store.iter_items(batch=3))
    assert [len(page) for page in pages] == [3, 3, 1]
    listed = [item for page in pages for item in page]
    assert listed == store.list_items(0, 100)[0]
    assert [i.id for i in listed] == ["i0", "i1", "i2", "i3", "i5", "i6", "late"]
    assert listed[2].title == "Item 2 again"
    assert [len(page) for page in store.iter_items(batch=7)] == [7]  # no empty page at the end
    assert [i.id for page in store.iter_items() for i in page] == [i.id for i in listed]


def test_iter_users_yields_every_user_in_listing_order(store: Store) -> None:
    store.upsert_users([User(f"u{n}", {"n": n}) for n in range(5)])
    store.append_events([_event("new", "i", 1.0)])  # an unknown user is created
    store.upsert_users([User("u0", {}, "likes jazz")])  # keeps its place
    store.delete_user("u3")
    pages = list(store.iter_users(batch=2))
    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [user for page in pages for user in page]
    assert [u.id for u in listed] == ["u0", "u1", "u2", "u4", "new"]
    assert listed == store.list_users(0, 100)[0]
    assert listed[0] == User("u0", {}, "likes jazz")


def test_an_empty_store_iterates_nothing(store: Store) -> None:
    assert list(store.iter_items()) == [] and list(store.iter_users(batch=1)) == []
    assert store.get_items(["a"]) == {}
    with pytest.raises(ValueError):
        next(store.iter_items(batch=0))


def test_users_upsert_and_delete_removes_their_events(store: Store) -> None:
    store.upsert_users([User("u1", {"age": 3}, "likes jazz"), User("u2")])
    store.append_events([_event("u1", "i1", 1.0), _event("u2", "i1", 2.0, "e2")])
    assert store.get_user("u1") == User("u1", {"age": 3}, "likes jazz")
    assert store.delete_user("u1") is True
    assert store.get_user("u1") is None
    assert store.user_events("u1", 10) == [] and store.count_user_events("u1") == 0
    assert store.counts().events == 1
    assert store.delete_user("u1") is False


def test_events_create_unknown_users_and_placeholder_items(store: Store) -> None:
    store.upsert_items([Item("known", "Known")])
    result = store.append_events([_event("u", "known", 5.0), _event("u", "new", 6.0)])
    assert result.accepted == 2 and result.duplicates == 0
    assert result.new_users == ("u",) and result.new_items == ("new",)
    placeholder = store.get_item("new")
    assert placeholder is not None and placeholder.placeholder and placeholder.title is None
    assert store.get_user("u") == User("u")
    store.upsert_items([Item("new", "Now titled")])
    now = store.get_item("new")
    assert now is not None and not now.placeholder and now.title == "Now titled"


def test_event_ids_deduplicate_across_and_within_batches(store: Store) -> None:
    first = store.append_events([_event("u", "i", 1.0, "e1"), _event("u", "i", 2.0, "e1")])
    assert (first.accepted, first.duplicates) == (1, 1)
    retry = store.append_events([_event("u", "other", 9.0, "e1"), _event("u", "i", 3.0, "e3")])
    assert (retry.accepted, retry.duplicates) == (1, 1)
    anonymous = store.append_events([_event("u", "i", 4.0), _event("u", "i", 4.0)])
    assert (anonymous.accepted, anonymous.duplicates) == (2, 0)
    assert store.counts().events == 4
    assert store.count_user_events("u") == 4


def test_user_events_newest_first_with_arrival_breaking_ties(store: Store) -> None:
    store.append_events(
        [
            _event("u", "old", 1.0, "a"),
            _event("u", "tie1", 5.0, "b"),
            _event("u", "tie2", 5.0, "c"),
            _event("u", "mid", 3.0, "d"),
            _event("v", "x", 9.0, "e"),
        ]
    )
    assert [e.event_id for e in store.user_events("u", 10)] == ["c", "b", "d", "a"]
    assert [e.event_id for e in store.user_events("u", 2)] == ["c", "b"]


def test_events_round_trip_every_field(store: Store) -> None:
    rating = _event("u", "i", 7.5, "r", type=EventType.RATING, value=4.5)
    search = _event("u", None, 8.0, "s", type=EventType.SEARCH, query="space opera")
    play = _event("u", "i", 9.0, "p", type="play", attributes={"ms_played": 183_000})
    store.append_events([rating, search, play])
    assert store.user_events("u", 10) == [play, search, rating]


def test_iter_events_pages_in_arrival_order(store: Store) -> None:
    events = [_event(f"u{i % 7}", f"i{i}", float(100 - i), f"e{i}") for i in range(25)]
    store.append_events(events)
    pages = list(store.iter_events(batch_size=10))
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [e for page in pages for e in page] == events


def test_failed_batch_stores_nothing(store: Store) -> None:
    store.append_events([_event("u", "i", 1.0, "e1")])
    broken = [_event("u", "j", 2.0, "e2"), "not an event"]
    with pytest.raises(Exception):  # noqa: B017 - any failure must roll the whole batch back
        store.append_events(broken)  # type: ignore[list-item]
    assert store.counts().events == 1
    assert store.get_item("j") is None


def test_counts(store: Store) -> None:
    store.upsert_items([Item("a", "A")])
    store.upsert_users([User("u")])
    store.append_events([_event("u", "a", 1.0), _event("w", "b", 2.0)])
    counts = store.counts()
    assert (counts.items, counts.users, counts.events) == (2, 2, 2)


def test_search_users_finds_ids_containing_the_text(store: Store) -> None:
    store.upsert_users([User(f"user-{n:03d}") for n in range(300)] + [User("Ärger-USER-x")])
    found, total = store.search_users("er-29", 0, 100)
    assert [u.id for u in found] == [f"user-{n}" for n in range(290, 300)] and total == 10
    assert [u.id for u in store.search_users("USER-00", 2, 3)[0]] == [
        "user-002",
        "user-003",
        "user-004",
    ]
    assert store.search_users("user-x", 0, 10)[0] == [User("Ärger-USER-x")]  # ASCII letters fold
    assert store.search_users("ä", 0, 10) == ([], 0)  # non-ASCII letters are compared as is
    assert store.search_users("%", 0, 10) == ([], 0)  # no pattern syntax
    assert store.search_users("", 0, 5)[1] == 301
    store.delete_user("user-299")
    assert store.search_users("er-29", 0, 100)[1] == 9


def test_all_user_events_in_arrival_order(store: Store) -> None:
    events = [_event("u", f"i{n}", float(100 - n), f"e{n}") for n in range(5)]
    store.append_events([*events, _event("v", "x", 1.0, "other")])
    assert store.all_user_events("u") == events
    assert store.all_user_events("nobody") == []
    store.delete_user("u")
    assert store.all_user_events("u") == []


def test_event_sequence_cuts_a_snapshot_and_is_never_reused(store: Store) -> None:
    assert store.event_seq() == 0
    store.append_events([_event("a", "x", 1.0, "1"), _event("b", "y", 2.0, "2")])
    cut = store.event_seq()
    assert cut == 2
    store.append_events([_event("c", "z", 3.0, "3")])
    assert [e.event_id for b in store.iter_events(until=cut) for e in b] == ["1", "2"]
    store.delete_user("c")  # the newest event goes; its number must not come back
    assert store.event_seq() == 3
    store.append_events([_event("d", "z", 4.0, "4")])
    assert store.event_seq() == 4
    assert [e.event_id for b in store.iter_events(until=cut) for e in b] == ["1", "2"]
    assert [e.event_id for b in store.iter_events() for e in b] == ["1", "2", "4"]


def test_every_write_appends_one_log_entry_in_order(store: Store) -> None:
    import numpy as np

    assert store.high_water() == 0 and store.entries(0) == []
    vectors = np.array([[1.0, 0.0], [np.nan, np.nan]], dtype=np.float32)
    store.upsert_items([Item("a", "Alpha"), Item("b", "Beta")], vectors)
    store.upsert_users([User("u", preferences="tea")], [np.array([0.0, 1.0], np.float32)])
    store.append_events([_event("u", "a", 1.0, "e1"), _event("v", "c", 2.0, "e2")])
    store.append_events([_event("u", "a", 1.0, "e1")])  # a duplicate only: nothing changed
    store.delete_item("b")
    store.delete_item("nope")
    store.delete_user("v")
    kinds = [(e.seq, e.kind) for e in store.entries(0)]
    assert kinds == [
        (1, "items"),
        (2, "users"),
        (3, "events"),
        (4, "delete_item"),
        (5, "delete_user"),
    ]
    assert store.high_water() == 5
    assert store.entries(3, limit=1)[0].payload == {"id": "b"}
    events = store.entries(2)[0].payload
    assert [e.event_id for e in store.events_in(events["first"], events["last"])] == ["e1"]
    assert store.cut().log_seq == 5
    assert store.item_vectors(["a", "b"])["a"].tolist() == [1.0, 0.0]
    assert "b" not in store.item_vectors(["a", "b"])
    assert store.user_vectors(["u"])["u"].tolist() == [0.0, 1.0]
    store.upsert_items([Item("a", "Alpha, new text")])  # no vector given: the old one is stale
    assert store.item_vectors(["a"]) == {}
    store.put_item_vectors(["a"], np.array([[0.5, 0.5]], np.float32))
    assert store.item_vectors(["a"])["a"].tolist() == [0.5, 0.5]
    assert store.high_water() == 6  # keeping a computed vector changes nothing served


def test_concurrent_writers_get_gapless_ordered_entries(store: Store) -> None:
    import threading

    def write(worker: int) -> None:
        for n in range(20):
            store.append_events([_event(f"w{worker}", f"i{n}", float(n), f"{worker}-{n}")])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = store.entries(0, limit=1000)
    assert [e.seq for e in entries] == list(range(1, 81))
    ranges = [(e.payload["first"], e.payload["last"]) for e in entries]
    assert ranges == sorted(ranges) and all(a == b for a, b in ranges)
    assert [a for a, _ in ranges] == list(range(1, 81))


# -- experiments: definitions and impressions --------------------------------------------------
def test_experiments_are_created_once_stopped_once_and_logged(store: Store) -> None:
    seen: list[list[ExperimentRecord]] = []
    record = ExperimentRecord("e1", {"id": "e1", "variants": []}, 10.0)

    def admit(stored: list[ExperimentRecord]) -> ExperimentRecord:
        seen.append(stored)
        return ExperimentRecord("e1", {**record.definition, "traffic_range": [0, 1]}, 10.0)

    before = store.high_water()
    created = store.create_experiment(record, admit)
    assert created is not None and created.definition["traffic_range"] == [0, 1]
    assert seen == [[]]
    assert store.create_experiment(record, admit) is None  # the id exists: admit not asked
    assert len(seen) == 1
    assert [e.id for e in store.experiments()] == ["e1"]
    stopped = store.stop_experiment("e1", 20.0)
    assert stopped is not None and stopped.stopped_at == 20.0
    again = store.stop_experiment("e1", 30.0)
    assert again is not None and again.stopped_at == 20.0  # stopping twice changes nothing
    assert store.stop_experiment("nope", 30.0) is None
    kinds = [e.kind for e in store.entries(before)]
    assert kinds == ["experiment", "experiment"]


def test_an_admission_that_refuses_stores_nothing(store: Store) -> None:
    def refuse(stored: list[ExperimentRecord]) -> ExperimentRecord:
        raise ValueError("no traffic left")

    with pytest.raises(ValueError, match="no traffic"):
        store.create_experiment(ExperimentRecord("e", {}, 1.0), refuse)
    assert store.experiments() == []


def test_impressions_are_kept_once_and_events_carry_their_impression(store: Store) -> None:
    shown = [
        Impression("i1", "e", "a", "u1", 100.0, ("x", "y"), (), 1.5),
        Impression("i2", "e", "b", "u2", 101.0, ("y", "z"), (0, 1), 2.0),
        Impression("i3", "other", "a", "u3", 102.0, ("x",)),
    ]
    before = store.high_water()
    store.append_impressions(shown)
    store.append_impressions(shown[:1])  # a retried batch: nothing new, nothing logged
    assert [e.kind for e in store.entries(before)] == ["impressions"]
    assert store.impressions("e") == shown[:2]
    click = _event("u1", "x", 105.0, "c1", type=EventType.CLICK, impression_id="i1")
    store.append_events([click, _event("u3", "x", 106.0), _event("u1", "y", 50.0)])
    assert store.user_events("u1", 10)[0].impression_id == "i1"
    assert store.experiment_events("e", 100.0) == [click]  # u3 was not in "e"; 50 is before
    assert store.delete_user("u1")
    assert [i.id for i in store.impressions("e")] == ["i2"]


def test_a_secret_is_created_once_and_the_same_for_every_reader(store: Store) -> None:
    first = store.secret("dp-noise")
    assert len(first) == 32
    assert store.secret("dp-noise") == first
    assert store.secret("another") != first
    assert store.high_water() == 0  # a secret is not a change: nothing is logged
