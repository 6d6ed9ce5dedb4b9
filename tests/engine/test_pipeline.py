"""The request path's steps one by one, over a real engine's Served view
(engine/serving/pipeline.py)."""

from __future__ import annotations

import numpy as np

from pulserec.engine.runtime import Runtime
from pulserec.engine.serving import pipeline
from pulserec.engine.serving.request import Request
from pulserec.engine.state.online_state import EMPTY


def _request(**options: object) -> Request:
    return Request(EMPTY, EMPTY, None, **options)  # type: ignore[arg-type]


def test_allowed_items_apply_category_mask_and_exclusions(runtime: Runtime) -> None:
    engine = runtime.engine
    served = engine._served()
    items = engine.state.items
    everything = pipeline.allowed_items(served, _request())
    assert everything.sum() == 40
    garden = pipeline.allowed_items(served, _request(category="Garden"))
    assert {items.id_of(i) for i in np.flatnonzero(garden)} == {f"garden-{n}" for n in range(10)}
    mask = np.zeros(everything.shape[0], dtype=bool)
    mask[[items.get("space-1"), items.get("space-2")]] = True
    excluded = np.array([items.get("space-2")], dtype=np.int32)
    request = Request(EMPTY, excluded, None, mask=mask)
    assert [items.id_of(i) for i in np.flatnonzero(pipeline.allowed_items(served, request))] == [
        "space-1"
    ]


def test_filled_tops_up_from_popularity_without_repeating(runtime: Runtime) -> None:
    served = runtime.engine._served()
    allowed = pipeline.allowed_items(served, _request())
    first = np.array([runtime.engine.state.items.get("garden-3")], dtype=np.int32)
    listed = (first, np.array([0.9], dtype=np.float32), ["itemknn"])
    items, scores, sources = pipeline.filled(served, listed, allowed, 6)
    assert items.shape[0] == 6 and len(set(items.tolist())) == 6 and items[0] == first[0]
    assert sources == ["itemknn"] + ["trending"] * 5
    assert np.all(np.diff(scores) < 0)  # the fill ranks below what the models proposed
    assert pipeline.filled(served, listed, allowed, 1) == listed  # long enough: unchanged


def test_serving_prefers_the_asked_then_the_configured_then_any(runtime: Runtime) -> None:
    served = runtime.engine._served()
    bundle = served.bundle
    assert bundle is not None and list(bundle.models) == ["itemknn"]
    assert pipeline.serving(served, bundle, ("itemknn",)) == ["itemknn"]
    assert pipeline.serving(served, bundle, ("absent",)) == ["itemknn"]  # configured
    other = pipeline.Served(
        served.state,
        bundle,
        served.config.__class__(models=("als",), item_encoder="hashing", query_encoder="hashing"),
        served.explainer,
        served.stored_items,
        None,
        served.has_fresh,
    )
    assert pipeline.serving(other, bundle, None) == ["itemknn"]  # trained under another config


def test_rank_pages_without_overlap_and_answers_every_slot(runtime: Runtime) -> None:
    engine = runtime.engine
    context = engine.state.context("u20")
    first = Request(context.history, context.seen, None, k=5, user=context.user)
    second = Request(context.history, context.seen, None, k=5, offset=5, user=context.user)
    page_one = pipeline.rank(engine._served(), first).items
    page_two = pipeline.rank(engine._served(), second).items
    ids = [r.id for r in page_one] + [r.id for r in page_two]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert not set(ids) & set(engine.state.items.ids_of(context.seen))


def test_a_huge_offset_costs_what_the_end_of_the_catalog_costs(
    runtime: Runtime, monkeypatch: object
) -> None:
    engine = runtime.engine
    depths: list[int] = []
    original = pipeline.depth_for

    def recording(need: int, pool: int) -> int:
        depths.append(need)
        return original(need, pool)

    monkeypatch.setattr(pipeline, "depth_for", recording)  # type: ignore[attr-defined]
    catalog = len(engine.state.items)
    assert engine.recommend("u20", k=10, offset=100_000_000).items == []
    last = engine.recommend("u20", k=10, offset=catalog - 3, exclude_seen=False).items
    assert 0 < len(last) <= 3
    assert depths and max(depths) <= catalog  # never a list longer than the catalog
