"""Tests for the synthetic data generator: formats, determinism, integrity and realism."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest

from pulserec.core.schemas import EventIn, ItemIn, UserIn
from pulserec.core.types import EVENT_TYPES
from pulserec.data import synthetic
from pulserec.data.synthetic import DOMAINS, SynthSummary, write_synthetic

N_ITEMS, N_USERS, N_EVENTS = 500, 100, 5_000
PREFIX = {"ecommerce": "e", "news": "n", "music": "m"}
ALLOWED_TYPES = {
    "ecommerce": {"view", "click", "cart", "purchase", "rating", "like", "dislike", "search"},
    "news": {"view", "click", "skip", "like", "dislike", "search"},
    "music": {"view", "skip", "like", "dislike", "search"},
}
Data = dict[str, list[dict[str, Any]]]


def _read(out: Path) -> Data:
    return {
        name: [orjson.loads(line) for line in (out / f"{name}.jsonl").read_bytes().splitlines()]
        for name in ("items", "users", "events")
    }


@pytest.fixture(scope="module", params=DOMAINS)
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    domain: str = request.param
    out = tmp_path_factory.mktemp(domain)
    summary = write_synthetic(out, domain, N_ITEMS, N_USERS, N_EVENTS, seed=7, progress=False)
    return domain, summary, _read(out)


def test_summary_and_exact_counts(generated: Any) -> None:
    domain, summary, data = generated
    assert summary == SynthSummary(summary.out_dir, N_ITEMS, N_USERS, N_EVENTS)
    assert [len(data[k]) for k in ("items", "users", "events")] == [N_ITEMS, N_USERS, N_EVENTS]
    assert [i["id"] for i in data["items"]] == [f"{PREFIX[domain]}{n}" for n in range(N_ITEMS)]
    assert [u["id"] for u in data["users"]] == [f"u{n}" for n in range(N_USERS)]


def test_every_record_passes_the_import_schemas(generated: Any) -> None:
    _, _, data = generated
    for item in data["items"]:
        ItemIn.model_validate(item)
    for user in data["users"]:
        UserIn.model_validate(user)
    for event in data["events"]:
        EventIn.model_validate(event)


def test_items_have_domain_text_and_attributes(generated: Any) -> None:
    domain, _, data = generated
    categories = {i["categories"][0] for i in data["items"]}
    assert 15 <= len(categories) <= 30
    for item in data["items"]:
        assert item["title"] and item["description"].count(".") >= 2 and item["tags"]
        attributes = item["attributes"]
        if domain == "ecommerce":
            assert attributes["price"] == round(attributes["price"], 2) > 0
            assert attributes["brand"] in item["title"]
        elif domain == "news":
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attributes["published"])
        else:
            assert attributes["artist"] in item["title"] and "{" not in attributes["artist"]
            assert 1950 <= attributes["year"] <= 2024 and 60 <= attributes["duration_s"] <= 1800
    assert min(i["timestamp"] for i in data["items"]) < synthetic.START
    assert max(i["timestamp"] for i in data["items"]) < synthetic.START + synthetic.PERIOD_S


def test_text_tells_categories_apart(generated: Any) -> None:
    """Naive Bayes on description words, trained on half the items, labels the other half."""
    _, _, data = generated
    words = [
        (i["categories"][0], re.findall(r"[a-z]+", i["description"].lower())) for i in data["items"]
    ]
    train, test = words[::2], words[1::2]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for label, tokens in train:
        counts[label].update(tokens)
    vocabulary = {w for c in counts.values() for w in c}

    def score(label: str, tokens: list[str]) -> float:
        total = sum(counts[label].values()) + len(vocabulary)
        return sum(math.log((counts[label][w] + 1) / total) for w in tokens)

    right = sum(label == max(counts, key=lambda c: score(c, tokens)) for label, tokens in test)
    assert right / len(test) > 0.9


def test_users_have_tastes_and_some_preferences(generated: Any) -> None:
    _, _, data = generated
    labels = {i["categories"][0] for i in data["items"]}
    with_text = 0
    for user in data["users"]:
        favourites = user["attributes"]["favourite_categories"]
        assert 1 <= len(favourites) <= 3 and len(set(favourites)) == len(favourites)
        assert set(favourites) <= labels
        with_text += "preferences" in user
    assert 0.15 < with_text / N_USERS < 0.55


def test_events_refer_to_written_users_and_items(generated: Any) -> None:
    _, _, data = generated
    users = {u["id"] for u in data["users"]}
    items = {i["id"]: i["timestamp"] for i in data["items"]}
    for event in data["events"]:
        assert event["user_id"] in users
        if event["type"] != "search":
            assert event["item_id"] in items
            assert event["timestamp"] >= items[event["item_id"]]  # no event before its item


def test_event_types_values_and_queries(generated: Any) -> None:
    domain, _, data = generated
    types = Counter(e["type"] for e in data["events"])
    assert set(types) <= ALLOWED_TYPES[domain] <= set(EVENT_TYPES)
    assert types["view"] == max(types.values()) and types["search"] > 0
    if domain == "ecommerce":
        assert types["view"] > types["click"] > types["cart"] > types["purchase"] > 0
    for event in data["events"]:
        if event["type"] == "rating":
            assert 0.0 <= event["value"] <= 5.0
        else:
            assert "value" not in event
        if event["type"] == "search":
            assert event["query"].strip() and "item_id" not in event
        else:
            assert "query" not in event


def test_event_ids_unique_and_time_never_goes_back(generated: Any) -> None:
    domain, _, data = generated
    events = data["events"]
    assert [e["event_id"] for e in events] == [f"ev-{PREFIX[domain]}{n}" for n in range(N_EVENTS)]
    times = [e["timestamp"] for e in events]
    assert all(a <= b for a, b in pairwise(times))
    assert times[0] >= synthetic.START and times[-1] < synthetic.START + synthetic.PERIOD_S + 86_400


def test_taste_signal_is_real(generated: Any) -> None:
    """Users' positive interactions land in their top latent category far above its base rate."""
    _, _, data = generated
    top = {u["id"]: u["attributes"]["favourite_categories"][0] for u in data["users"]}
    category = {i["id"]: i["categories"][0] for i in data["items"]}
    base = Counter(category.values())
    positive = [e for e in data["events"] if e["type"] in {"click", "like", "purchase"}]
    hits = sum(category[e["item_id"]] == top[e["user_id"]] for e in positive)
    expected = sum(base[top[e["user_id"]]] / N_ITEMS for e in positive)
    assert len(positive) > 200
    assert hits > 4 * expected and hits / len(positive) > 0.4


def test_sessions_mix_tastes_and_funnels(generated: Any) -> None:
    domain, _, data = generated
    by_user = Counter(e["user_id"] for e in data["events"])
    counts = sorted(by_user.values(), reverse=True)
    assert sum(counts[:10]) > 0.25 * N_EVENTS  # heavy-tailed activity: top 10% > 25% of events
    if domain == "ecommerce":
        last_item: dict[str, str] = {}
        follow = 0
        for e in data["events"]:
            if e["type"] in {"cart", "purchase"}:
                follow += e["item_id"] == last_item.get(e["user_id"])
            if "item_id" in e:
                last_item[e["user_id"]] = e["item_id"]
        carts = sum(e["type"] in {"cart", "purchase"} for e in data["events"])
        assert follow > 0.8 * carts  # carts and purchases act on the item just seen


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_synthetic(tmp_path / name, "news", 200, 50, 2_000, seed=seed, progress=False)
        files = ("items", "users", "events")
        runs[name] = [(tmp_path / name / f"{k}.jsonl").read_bytes() for k in files]
    assert runs["a"] == runs["b"]
    assert all(x != y for x, y in zip(runs["a"], runs["c"], strict=True))


def test_many_chunks_keep_counts_order_and_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "EVENT_CHUNK", 300)
    monkeypatch.setattr(synthetic, "TEXT_CHUNK", 64)
    write_synthetic(tmp_path, "music", 300, 150, 4_321, seed=1, progress=False)
    data = _read(tmp_path)
    assert [len(data[k]) for k in ("items", "users", "events")] == [300, 150, 4_321]
    times = [e["timestamp"] for e in data["events"]]
    assert all(a <= b for a, b in pairwise(times))
    assert len({e["event_id"] for e in data["events"]}) == 4_321


def test_tiny_sizes_work(tmp_path: Path) -> None:
    write_synthetic(tmp_path, "ecommerce", 1, 1, 1, progress=False)
    data = _read(tmp_path)
    assert [len(data[k]) for k in ("items", "users", "events")] == [1, 1, 1]
    assert (
        data["users"][0]["attributes"]["favourite_categories"] == data["items"][0]["categories"][:1]
    )


@pytest.mark.parametrize(
    ("domain", "sizes", "seed", "message"),
    [
        ("books", (10, 10, 10), 0, "unknown domain 'books'"),
        ("news", (0, 10, 10), 0, "n_items must be a positive integer"),
        ("news", (10, -1, 10), 0, "n_users must be a positive integer"),
        ("music", (10, 10, 2.5), 0, "n_events must be a positive integer"),
        ("music", (10, 10, 10), -1, "seed must be a non-negative integer"),
    ],
)
def test_bad_arguments_raise(
    tmp_path: Path, domain: str, sizes: tuple[Any, ...], seed: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_synthetic(tmp_path, domain, sizes[0], sizes[1], sizes[2], seed=seed, progress=False)
    assert not list(tmp_path.iterdir())
