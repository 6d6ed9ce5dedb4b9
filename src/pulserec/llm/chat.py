"""Conversational requests: read them in the catalog's vocabulary, then search, find similar
items or recommend within the constraints, rank down what was ruled out, and say what was done."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.engine import lookups
from pulserec.engine.core import Engine
from pulserec.engine.request import Request
from pulserec.engine.results import Ranked, RankedList
from pulserec.llm.chat_mask import MaskResult, build_mask
from pulserec.llm.chat_reply import sentence
from pulserec.llm.constraints import ConstraintExtractor, Constraints
from pulserec.llm.engine_vocabulary import EngineTitles, catalog_vocabulary

Bools = npt.NDArray[np.bool_]
_EMPTY = np.zeros(0, dtype=np.int32)
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
        catalog = self.engine.catalog
        stale = self._catalog_version != catalog.version
        due = time.monotonic() - self._built_at >= self.refresh_s
        if self._extractor is None or (stale and due):
            self._catalog_version = catalog.version
            self._built_at = time.monotonic()
            self._extractor = ConstraintExtractor(
                catalog_vocabulary(catalog),
                self.engine.query_encoder,
                self.threshold,
                EngineTitles(self.engine),
            )
        return self._extractor

    def mask(self, constraints: Constraints) -> tuple[Bools, list[str]]:
        """Items meeting the constraints (loosened if need be), and notes for the reply."""
        result = build_mask(self.engine.catalog, constraints)
        return result.mask, result.notes

    def reply(self, message: str, user_id: str | None = None, k: int = 10) -> dict[str, Any]:
        self.engine.catch_up()
        constraints = self.extractor().extract(message)
        result = build_mask(self.engine.catalog, constraints)
        fetch = min(1000, 3 * k + 10) if constraints.avoid else k
        text = " ".join([constraints.text, *result.soft_text]).strip()
        ranked = self._ranked(constraints, result, text, user_id, fetch)
        items, demoted = self._demoted(ranked.items, constraints.avoid)
        items = items[:k]
        body = constraints.as_json()
        body["relaxed"] = result.relaxed
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
            return lookups.search(engine, text, user_id, k, explain=True, mask=result.mask)
        return engine.rank(self._request(user_id, k, result.mask))

    def _like(
        self, constraints: Constraints, mask: Bools, text: str, user_id: str | None, k: int
    ) -> RankedList:
        """Items nearest to the named items' text (and the rest of the request's)."""
        engine = self.engine
        anchors = [engine.items.get(item_id) for item_id, _ in constraints.similar_to]
        rows = [engine.catalog.vector(a) for a in anchors if a is not None]
        vectors = [row for row in rows if row is not None]
        if text:
            vectors.append(engine.query_encoder.encode([text])[0])
        if not vectors:
            return engine.rank(self._request(user_id, k, mask))
        query = np.mean(np.stack(vectors), axis=0).astype(np.float32)
        query /= float(np.linalg.norm(query)) or 1.0
        request = self._request(user_id, k, mask)
        allowed = engine.allowed(request)
        named = np.array([a for a in anchors if a is not None and a < allowed.shape[0]], np.int64)
        allowed[named] = False
        items, scores = lookups.nearest(engine, query, max(engine.config.pool, 2 * k), allowed)
        n = min(k, items.size)
        return engine.answer(items[:n], scores[:n], ["similar"] * n, request)

    def _demoted(self, items: list[Ranked], avoid: tuple[str, ...]) -> tuple[list[Ranked], int]:
        """Items about a ruled-out phrase moved after the others (scores kept descending)."""
        if not avoid or not items:
            return items, 0
        engine = self.engine
        phrases = engine.query_encoder.encode(list(avoid))  # (P, dim)
        about = []
        for item in items:
            index = engine.items.get(item.id)
            vector = engine.catalog.vector(index) if index is not None else None
            about.append(vector is not None and float((phrases @ vector).max()) >= self.about)
        kept = [item for item, bad in zip(items, about, strict=True) if not bad]
        moved = [item for item, bad in zip(items, about, strict=True) if bad]
        if not moved:
            return items, 0
        floor = min((item.score for item in kept), default=0.0)
        moved = [_rescored(item, floor - 1.0 - 1e-3 * j) for j, item in enumerate(moved)]
        return kept + moved, len(moved)

    def _request(self, user_id: str | None, k: int, mask: Bools) -> Request:
        engine = self.engine
        user = engine.users.get(user_id) if user_id is not None else None
        if user is None:
            return Request(_EMPTY, _EMPTY, None, k, explain=True, mask=mask)
        states = engine.user_states
        return Request(
            states.history(user),
            states.seen(user),
            states.preferences(user),
            k,
            explain=True,
            mask=mask,
            user=user,
        )


def _rescored(item: Ranked, score: float) -> Ranked:
    return Ranked(item.id, score, item.sources, item.explanation, item.reasons)
