"""The engine's request path: lists, filters, fresh items, deletes and explanations."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pulserec.core.types import Event, EventType, Item
from pulserec.engine.runtime import Runtime

from .conftest import THEMES, catalog


def ids(runtime: Runtime, user: str, **options: object) -> list[str]:
    return [r.id for r in runtime.engine.recommend(user, **options).items]  # type: ignore[arg-type]


def test_trained_models_serve_a_users_theme(runtime: Runtime) -> None:
    listed = ids(runtime, "u10", k=5)
    assert runtime.engine.model_version.startswith("v0001")
    assert len(listed) == 5
    assert all(i.startswith("cooking-") for i in listed[:3])


def test_seen_items_are_excluded_unless_asked(runtime: Runtime) -> None:
    seen = {e.item_id for e in runtime.engine.store.user_events("u10", 100)}
    assert not seen & set(ids(runtime, "u10", k=20))
    assert seen & set(ids(runtime, "u10", k=40, exclude_seen=False))


def test_an_event_changes_the_very_next_list(runtime: Runtime) -> None:
    before = ids(runtime, "u10", k=10)
    runtime.ingestor.add_events([Event("u10", before[0], EventType.CLICK, 1_800_000_000.0)])
    after = ids(runtime, "u10", k=10)
    assert before[0] not in after
    assert after != before


def test_a_new_user_moves_with_their_first_clicks(runtime: Runtime) -> None:
    cold = ids(runtime, "newcomer", k=5)
    assert cold  # trending, never an error
    clicks = [
        Event("newcomer", f"garden-{n}", EventType.CLICK, 1_800_000_000.0 + n) for n in range(3)
    ]
    runtime.ingestor.add_events(clicks)
    warm = ids(runtime, "newcomer", k=5)
    assert sum(i.startswith("garden-") for i in warm) >= 3


def test_stated_preferences_give_a_first_list(runtime: Runtime) -> None:
    listed = runtime.engine.recommend("fan", k=5, explain=True)
    assert sum(r.id.startswith("space-") for r in listed.items) >= 3
    assert any(reason["kind"] == "preferences" for reason in listed.items[0].reasons or [])


def test_category_filter_and_paging(runtime: Runtime) -> None:
    music = ids(runtime, "u10", k=8, category="music")
    assert music and all(i.startswith("music-") for i in music)
    first, second = ids(runtime, "u10", k=3), ids(runtime, "u10", k=3, offset=3)
    assert first + second == ids(runtime, "u10", k=6)


def test_a_new_item_is_recommendable_searchable_and_similar_at_once(runtime: Runtime) -> None:
    words = THEMES["cooking"]
    runtime.ingestor.add_items(
        [Item("cooking-new", "Cooking story new", f"{words} {words}", ("Cooking",))]
    )
    assert "cooking-new" in ids(runtime, "u10", k=10)
    assert "cooking-new" in [r.id for r in runtime.engine.search(words, k=5).items]
    assert "cooking-new" in [r.id for r in runtime.engine.similar("cooking-1", 5).items]


def test_a_like_on_an_item_newer_than_the_models_moves_the_next_list(runtime: Runtime) -> None:
    """The new item stands in as its nearest known item by text: a cooking fan who likes a
    brand-new garden item gets garden items from the models, not only the same list."""
    words = THEMES["garden"]
    runtime.ingestor.add_items([Item("garden-new", "Garden story new", words, ("Garden",))])
    before = runtime.engine.recommend("u10", k=10)
    runtime.ingestor.add_events([Event("u10", "garden-new", EventType.LIKE, 1_800_000_000.0)])
    after = runtime.engine.recommend("u10", k=10)
    assert [(r.id, r.score) for r in after.items] != [(r.id, r.score) for r in before.items]
    model_garden = [
        r.id for r in after.items if r.id.startswith("garden-") and r.id != "garden-new"
    ]
    assert model_garden and not [r for r in before.items if r.id.startswith("garden-")]


def test_deleted_and_hidden_items_vanish_everywhere_at_once(runtime: Runtime) -> None:
    engine = runtime.engine
    target = ids(runtime, "u10", k=1)[0]
    runtime.ingestor.delete_item(target)
    hidden = ids(runtime, "u10", k=1)[0]
    item = engine.store.get_item(hidden)
    assert item is not None
    runtime.ingestor.add_items(
        [Item(hidden, item.title, item.description, item.tags, item.categories, hidden=True)]
    )
    everywhere = (
        ids(runtime, "u10", k=40)
        + [r.id for r in engine.search(THEMES["cooking"], k=40).items]
        + [r.id for r in engine.similar("cooking-1", 40).items]
        + [r.id for r in engine.popular(40).items]
        + [r.id for r in engine.session(["cooking-1"], 40).items]
    )
    assert target not in everywhere
    assert hidden not in everywhere


def test_explanations_only_cite_true_evidence(runtime: Runtime) -> None:
    engine = runtime.engine
    history = {e.item_id for e in engine.store.user_events("u20", 100)}
    listed = engine.recommend("u20", k=10, explain=True)
    assert all(r.explanation for r in listed.items)
    cited = 0
    for ranked in listed.items:
        item = engine.store.get_item(ranked.id)
        assert item is not None
        for reason in ranked.reasons or []:
            if reason["kind"] == "history":
                assert set(reason["item_ids"]) <= history
                cited += len(reason["item_ids"])
            if reason["kind"] == "attribute":
                assert reason["value"] in item.categories
    assert cited > 0


def test_popular_windows_and_bad_window(runtime: Runtime) -> None:
    top = [r.id for r in runtime.engine.popular(3, "30d").items]
    assert top[0] == "space-0"
    try:
        runtime.engine.popular(3, "soon")
    except ValueError as error:
        assert "window" in str(error)
    else:
        raise AssertionError("a bad window must be refused")


def test_answers_are_reused_only_while_nothing_they_depend_on_changed(runtime: Runtime) -> None:
    engine = runtime.engine
    first = engine.recommend("u30", k=5)
    assert engine.recommend("u30", k=5) is first  # same state: the same answer object
    hits = engine.answers.hits
    runtime.ingestor.add_events([Event("u31", "music-1", EventType.CLICK, 1_800_000_000.0)])
    assert engine.recommend("u30", k=5) is first  # another user's event: still valid
    assert engine.answers.hits == hits + 1
    runtime.ingestor.add_events([Event("u30", first.items[0].id, EventType.CLICK, 1_800_000_001.0)])
    assert first.items[0].id not in [r.id for r in engine.recommend("u30", k=5).items]
    again = engine.recommend("u30", k=5)
    runtime.ingestor.add_items([Item("music-new", "Music story new", THEMES["music"], ("Music",))])
    assert engine.recommend("u30", k=5) is not again  # the catalog changed


def test_explanations_go_through_the_rewriter_when_one_is_configured(runtime: Runtime) -> None:
    seen: list[tuple[str, str]] = []

    def rewrite(grounded: str, title: str, reasons: list[dict[str, object]]) -> str:
        seen.append((grounded, title))
        return f"{title}: {grounded}"

    runtime.engine.rewrite = rewrite
    listed = runtime.engine.recommend("u20", k=3, explain=True)
    assert len(seen) == 3
    for ranked, (grounded, title) in zip(listed.items, seen, strict=True):
        assert ranked.explanation == f"{title}: {grounded}"
        assert grounded.startswith("Because") or grounded.startswith("Recommended")


def test_explanations_read_their_titles_in_one_store_read_per_list(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, reads = runtime.engine.store, []
    real = store.get_items

    def counted(item_ids: Sequence[str]) -> dict[str, Item]:
        reads.append(list(item_ids))
        return real(item_ids)

    monkeypatch.setattr(store, "get_items", counted)
    monkeypatch.setattr(store, "get_item", lambda item_id: pytest.fail("a read per item"))
    runtime.engine.rewrite = lambda grounded, title, reasons: f"{title}: {grounded}"
    listed = runtime.engine.recommend("u20", k=5, explain=True)
    history = [r for ranked in listed.items for r in ranked.reasons or [] if r["kind"] == "history"]
    assert history  # the sentences name items the user engaged with, by their stored titles
    named = next(r for r in listed.items if any(x["kind"] == "history" for x in r.reasons or []))
    assert "you clicked Garden story" in (named.explanation or "")
    titles = {item.id: item.title for item in catalog()}
    assert [(r.explanation or "").split(":")[0] for r in listed.items] == [
        titles[r.id] for r in listed.items
    ]
    assert len(reads) == 2  # the history items' titles, then the listed items' (the rewriter's)
