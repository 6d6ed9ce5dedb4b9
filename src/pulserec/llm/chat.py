"""Conversational requests: read them in the catalog's vocabulary, then search, find similar
items or recommend within the constraints, rank down what was ruled out, and say what was done."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.engine.facade import Engine
from pulserec.engine.serving.results import Ranked, RankedList
from pulserec.llm.chat_mask import MaskResult, as_filters, build_mask
from pulserec.llm.chat_reply import sentence
from pulserec.llm.constraints import ConstraintExtractor, Constraints
from pulserec.llm.engine_vocabulary import EngineTitles, catalog_vocabulary

Bools = npt.NDArray[np.bool_]
ABOUT = 0.35  # cosine of an item's text to a ruled-out phrase from which the item is "about" it


class ChatService:
    """``POST /v1/chat``: free text in, constraints, a list and a one-line reply out.

    The vocabulary (categories, tags, attribute values) is rebuilt when the catalog changed,
    at most every ``refresh_s`` seconds; titles are looked up per request in the text index.
    """

    def __init__(
        self,
        engine: Engine,
        threshold: float = 0.62,
        about: float = ABOUT,
        refresh_s: float = 2.0,
    ) -> None:
        self.engine = engine
        self.threshold = threshold
        self.about = about
        self.refresh_s = refresh_s
        self._extractor: ConstraintExtractor | None = None
        self._catalog_version = -1
        self._built_at = 0.0

    def extractor(self) -> ConstraintExtractor:
        """The extractor over the catalog's current vocabulary."""
        catalog = self.engine.catalog_view()
        stale = self._catalog_version != catalog.version
        due = time.monotonic() - self._built_at >= self.refresh_s
        if self._extractor is None or (stale and due):
            self._catalog_version = catalog.version
            self._built_at = time.monotonic()
            source = EngineTitles(self.engine)
            self._extractor = ConstraintExtractor(
                catalog_vocabulary(catalog),
                self.engine.query_encoder,
                self.threshold,
                source,
                source,
            )
        return self._extractor

    def mask(self, constraints: Constraints) -> tuple[Bools, list[str]]:
        """Items meeting the constraints (loosened if need be), and notes for the reply."""
        result = build_mask(self.engine.catalog_view(), constraints)
        return result.mask, result.notes

    def reply(
        self,
        message: str,
        user_id: str | None = None,
        k: int = 10,
        filters: list[str] | None = None,
    ) -> dict[str, Any]:
        """The reply to ``message``; ``filters`` (``filter=`` strings the request carries) hold
        beside what the message asks."""
        self.engine.catch_up()
        constraints = self.extractor().extract(message)
        catalog = self.engine.catalog_view()
        result = build_mask(catalog, constraints)
        given = list(filters or [])
        extra = self.engine.filter_mask(given)
        if extra is not None:
            result.mask = result.mask & extra
        fetch = min(1000, 3 * k + 10) if constraints.avoid else k
        text = " ".join([constraints.text, *result.soft_text]).strip()
        ranked = self._ranked(constraints, result, text, user_id, fetch)
        items, demoted = self._demoted(ranked.items, constraints.avoid)
        items = items[:k]
        body = constraints.as_json()
        body["relaxed"] = result.relaxed
        body["filters"] = list(dict.fromkeys([*as_filters(catalog, constraints, result), *given]))
        return {
            "reply": sentence(constraints, result, len(items), demoted),
            "constraints": body,
            "items": [item.as_json() for item in items],
            "model_version": ranked.model_version,
        }

    def _ranked(
        self, constraints: Constraints, result: MaskResult, text: str, user_id: str | None, k: int
    ) -> RankedList:
        engine = self.engine
        if constraints.similar_to:
            return self._like(constraints, result.mask, text, user_id, k)
        if text:
            return engine.search(text, user_id, k, explain=True, mask=result.mask)
        return self._recommend(user_id, k, result.mask)

    def _like(
        self, constraints: Constraints, mask: Bools, text: str, user_id: str | None, k: int
    ) -> RankedList:
        """Items nearest to the named items' text (and the rest of the request's)."""
        engine = self.engine
        named = [item_id for item_id, _ in constraints.similar_to]
        rows = [engine.item_vector(item_id) for item_id in named]
        vectors = [row for row in rows if row is not None]
        if text:
            vectors.append(engine.encode_query([text])[0])
        if not vectors:
            return self._recommend(user_id, k, mask)
        query = np.mean(np.stack(vectors), axis=0).astype(np.float32)
        query /= float(np.linalg.norm(query)) or 1.0
        return engine.near(query, k, user_id, mask, exclude_ids=named)

    def _demoted(self, items: list[Ranked], avoid: tuple[str, ...]) -> tuple[list[Ranked], int]:
        """Items about a ruled-out phrase moved after the others (scores kept descending)."""
        if not avoid or not items:
            return items, 0
        engine = self.engine
        phrases = engine.encode_query(list(avoid))  # (P, dim)
        about = []
        for item in items:
            vector = engine.item_vector(item.id)
            about.append(vector is not None and float((phrases @ vector).max()) >= self.about)
        kept = [item for item, bad in zip(items, about, strict=True) if not bad]
        moved = [item for item, bad in zip(items, about, strict=True) if bad]
        if not moved:
            return items, 0
        floor = min((item.score for item in kept), default=0.0)
        moved = [_rescored(item, floor - 1e-3 * (j + 1)) for j, item in enumerate(moved)]
        return kept + moved, len(moved)

    def _recommend(self, user_id: str | None, k: int, mask: Bools) -> RankedList:
        """The user's list (trending for an unknown one) within ``mask``, explained."""
        return self.engine.recommend(user_id, k, explain=True, mask=mask)


def _rescored(item: Ranked, score: float) -> Ranked:
    return Ranked(item.id, score, item.sources, item.explanation, item.reasons)
