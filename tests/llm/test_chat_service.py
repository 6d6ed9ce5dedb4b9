"""ChatService over a real engine (hashing encoder): tags, relaxation, similar items, demotion."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.types import Item
from pulserec.engine.facade import Engine
from pulserec.engine.state.catalog import Catalog
from pulserec.llm.chat import ChatService
from pulserec.llm.chat_mask import build_mask
from pulserec.llm.constraints import Constraints
from tests.engine.conftest import build, filled_store


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    store = filled_store()
    yield build(store, None, ("itemknn",)).engine
    store.close()


def _catalog() -> Catalog:
    catalog = Catalog(IdMap(), 4)
    items = [
        Item(f"m{n}", f"Mystery {n}", categories=("Mystery",),
             tags=("cozy",) + (("crime",) if n % 2 else ()), attributes={"brand": "Acme"})
        for n in range(12)
    ] + [Item(f"c{n}", f"Crime {n}", categories=("Crime",), attributes={"brand": "Zed"})
         for n in range(3)]  # fmt: skip
    catalog.upsert(items, None)
    return catalog


def test_catalog_indexes_tags_and_string_attributes_and_forgets_them() -> None:
    catalog = _catalog()
    assert catalog.tag_names() == ["cozy", "crime"]
    assert int(catalog.tag_mask("CRIME").sum()) == 6
    assert catalog.attribute_values() == {"brand": ["Acme", "Zed"]}
    assert int(catalog.attribute_mask("brand", "zed").sum()) == 3
    catalog.upsert([Item("m1", "Mystery 1", categories=("Mystery",))], None)
    assert int(catalog.tag_mask("crime").sum()) == 5
    catalog.remove("c0")
    assert catalog.attribute_count("brand", "Zed") == 2


def test_an_excluded_category_also_rules_out_items_tagged_with_it() -> None:
    catalog = _catalog()
    result = build_mask(catalog, Constraints(include=("Mystery",), exclude=("Crime",)))
    ids = {catalog.items.id_of(int(i)) for i in np.flatnonzero(result.mask)}
    assert ids == {f"m{n}" for n in range(0, 12, 2)}


def test_too_few_items_with_everything_loosens_one_condition_and_says_so() -> None:
    catalog = _catalog()
    result = build_mask(catalog, Constraints(include=("Mystery", "Crime")))
    assert result.relaxed == ["Crime"]  # dropping it leaves 12 items, dropping Mystery 3
    assert int(result.mask.sum()) == 12
    assert "fewer than 10 items are Mystery and Crime together" in result.notes[0]
    assert result.soft_text == ["Crime"]


def test_exclusions_and_ranges_are_never_loosened() -> None:
    catalog = _catalog()
    result = build_mask(catalog, Constraints(include=("Mystery",), exclude_tags=("cozy",)))
    assert result.relaxed == [] and not result.mask.any()


def test_the_reply_says_what_was_relaxed(engine: Engine) -> None:
    body = ChatService(engine).reply("space and cooking")
    assert body["constraints"]["relaxed"] == ["Cooking"]
    assert "Fewer than 10 items are Space and Cooking together" in body["reply"]
    assert all(item["id"].startswith("space-") for item in body["items"])


def test_like_a_title_finds_similar_items_not_the_item_itself(engine: Engine) -> None:
    body = ChatService(engine).reply("something like Garden story 3")
    assert body["constraints"]["similar_to"] == [{"id": "garden-3", "title": "Garden story 3"}]
    ids = [item["id"] for item in body["items"]]
    assert "garden-3" not in ids
    assert all(i.startswith("garden-") for i in ids[:9])
    assert "like Garden story 3" in body["reply"]


def test_items_about_a_ruled_out_phrase_are_ranked_last(engine: Engine) -> None:
    body = ChatService(engine, about=0.3).reply("garden things, nothing about bloom")
    ids = [item["id"] for item in body["items"]]
    assert set(ids[-2:]) == {"garden-4", "garden-9"}  # the two whose text says "bloom" twice
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert "2 about bloom ranked last" in body["reply"]
