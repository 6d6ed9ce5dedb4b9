"""The search benchmark's query sets keep the no-shared-words rule; its metric code works end to
end on a tiny hand-made catalog (hashing encoder, so no model is loaded)."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.types import Event, EventType, Item
from pulserec.data.vocabularies import VOCABULARIES
from pulserec.encoders import load_encoder
from pulserec.encoders.texts import item_text
from pulserec.storage import MemoryStore
from pulserec_bench.search import Case, compare, evaluate
from pulserec_bench.search_queries import (
    MOVIE_QUERIES,
    SHOP_QUERIES,
    Queries,
    clashes,
    shared_words,
    split,
    violations,
)

ML_GENRES = [
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
    "Western",
]  # fmt: skip
SETS = {"ml-100k": MOVIE_QUERIES, "ecommerce": SHOP_QUERIES}


def test_labels_are_the_data_sets_own() -> None:
    assert sorted(MOVIE_QUERIES) == sorted(ML_GENRES)
    assert list(SHOP_QUERIES) == [c.label for c in VOCABULARIES["ecommerce"].categories]


@pytest.mark.parametrize("name", SETS)
def test_no_query_shares_a_word_with_any_label(name: str) -> None:
    queries = SETS[name]
    assert violations(queries) == []
    for texts in queries.values():
        for text in texts:
            assert shared_words(text, list(queries)) == []


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("a great sci-fi movie", "sci"),
        ("SCIENCE FICTION fi", "fi"),
        ("children's classics", "children"),
        ("film noir", "film"),
        ("Noir detectives", "noir"),
        ("a romantic evening", "romantic"),
        ("the old west", "west"),
        ("two wars", "wars"),
        ("a thrilling ride", "thrilling"),
    ],
)
def test_the_check_catches_genre_words_and_near_forms(query: str, word: str) -> None:
    assert word in shared_words(query, ML_GENRES)


def test_near_forms_and_fair_words() -> None:
    assert clashes("toy", "toys") and clashes("tools", "tools") and clashes("babies", "baby")
    assert clashes("table", "tablets") and clashes("pets", "pet")
    assert not clashes("warm", "war") and not clashes("actor", "action")
    assert shared_words("cowboys on the frontier", ML_GENRES) == []


@pytest.mark.parametrize("name", SETS)
def test_split_is_disjoint_and_covers_every_label(name: str) -> None:
    queries: Queries = SETS[name]
    tuning, held_out = split(queries)
    assert not {t for _, t in tuning} & {t for _, t in held_out}
    assert len(tuning) + len(held_out) == sum(len(v) for v in queries.values())
    assert {label for label, _ in held_out} == set(queries) == {label for label, _ in tuning}
    assert all(len(texts) >= 4 for texts in queries.values())
    assert split(queries) == (tuning, held_out)


THEMES = {
    "Space": ("rocket orbit", "galaxy nebula", "astronaut capsule"),
    "Food": ("sourdough bread", "tomato soup", "lemon tart"),
}


def _store() -> tuple[MemoryStore, list[Item]]:
    store, items, events = MemoryStore(), [], []
    for theme, titles in THEMES.items():
        for n, title in enumerate(titles):
            items.append(Item(f"{theme}-{n}", title, categories=(theme, f"{theme}-{n}")))
    stamp = 1_700_000_000.0
    for theme in THEMES:
        for _ in range(2):
            for n in range(3):
                stamp += 60.0
                events.append(Event(f"fan-{theme}", f"{theme}-{n}", EventType.CLICK, stamp))
    store.upsert_items(items)
    store.append_events(events)
    return store, items


def test_exact_matches_rank_the_right_item_first() -> None:
    store, items = _store()
    hashing = load_encoder("hashing")
    pairs = [(item.id, item_text(item, "generic")) for item in items]
    figures = compare(store, "generic", pairs, hashing, hashing)
    assert set(figures) == {"bm25", "semantic"}  # nobody has 5 events with one item
    for system in figures.values():
        assert system["ndcg@10"] == pytest.approx(1.0)
        assert system["mrr@10"] == pytest.approx(1.0)


def test_paraphrases_score_within_bounds_and_get_a_personal_system() -> None:
    store, _ = _store()
    hashing = load_encoder("hashing")
    pairs = [("Space", "a trip to the stars"), ("Food", "something to bake"), ("Space", "orbit")]
    figures = compare(store, "generic", pairs, hashing, hashing)
    assert set(figures) == {"bm25", "semantic", "semantic+personal"}
    for system in figures.values():
        for name in ("ndcg@10", "recall@10", "precision@10", "mrr@10"):
            assert 0.0 <= system[name] <= 1.0
    assert figures["bm25"]["mrr@10"] == pytest.approx(1 / 3)  # only "orbit" matches a word


def test_evaluate_computes_ndcg_from_the_ranking() -> None:
    cases = [Case("x", "q", np.array([2], dtype=np.int64))]
    figures = evaluate(lambda case: [9, 2, 3], cases)
    assert figures["ndcg@10"] == pytest.approx(1 / np.log2(3))
    assert figures["mrr@10"] == pytest.approx(0.5)
    assert evaluate(lambda case: [], cases)["ndcg@10"] == 0.0
