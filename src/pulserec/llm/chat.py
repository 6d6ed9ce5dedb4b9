"""Conversational requests: extract hard constraints, then search or recommend within them."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.engine import lookups
from pulserec.engine.core import Engine
from pulserec.engine.request import Request
from pulserec.llm.constraints import ConstraintExtractor, Constraints

Bools = npt.NDArray[np.bool_]
_EMPTY = np.zeros(0, dtype=np.int32)
MIN_ALL_OF = 10


class ChatService:
    """``POST /v1/chat``: free text in, constraints, a list and a one-line reply out."""

    def __init__(self, engine: Engine, threshold: float = 0.62) -> None:
        self.engine = engine
        self.threshold = threshold
        self._extractor: ConstraintExtractor | None = None
        self._catalog_version = -1

    def extractor(self) -> ConstraintExtractor:
        """The extractor over the catalog's current category names (rebuilt when it changes)."""
        catalog = self.engine.catalog
        if self._extractor is None or self._catalog_version != catalog.version:
            names = catalog.category_names()
            self._extractor = ConstraintExtractor(names, self.engine.query_encoder, self.threshold)
            self._catalog_version = catalog.version
        return self._extractor

    def mask(self, constraints: Constraints) -> tuple[Bools, list[str]]:
        """Items meeting every constraint the catalog can check, and notes on the others."""
        catalog = self.engine.catalog
        mask = np.ones(catalog.size, dtype=bool)
        if constraints.include:
            masks = [catalog.category_mask(name) for name in constraints.include]
            every = np.logical_and.reduce(masks) & catalog.servable()
            # "a funny sci-fi film" wants both; when too few items have all, any will do
            mask &= every if every.sum() >= MIN_ALL_OF else np.logical_or.reduce(masks)
        for name in constraints.exclude:
            mask &= ~catalog.category_mask(name)
        notes = list(constraints.notes)
        for attribute, low, high in (
            ("year", constraints.year_min, constraints.year_max),
            ("price", constraints.price_min, constraints.price_max),
        ):
            if low is None and high is None:
                continue
            values = catalog.numeric(attribute)
            if np.isnan(values).all():
                notes.append(f"this catalog has no {attribute}, so that part was left out")
                continue
            inside = ~np.isnan(values)
            inside &= values >= (low if low is not None else -np.inf)
            inside &= values <= (high if high is not None else np.inf)
            mask &= inside
        return mask, notes

    def reply(self, message: str, user_id: str | None = None, k: int = 10) -> dict[str, Any]:
        constraints = self.extractor().extract(message)
        mask, notes = self.mask(constraints)
        if constraints.text:
            ranked = lookups.search(
                self.engine, constraints.text, user_id, k, explain=True, mask=mask
            )
        else:
            ranked = self.engine.rank(self._request(user_id, k, mask))
        return {
            "reply": self._sentence(constraints, len(ranked.items), notes),
            "constraints": constraints.as_json(),
            "items": [item.as_json() for item in ranked.items],
            "model_version": ranked.model_version,
        }

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
        )

    @staticmethod
    def _sentence(constraints: Constraints, found: int, notes: list[str]) -> str:
        if found == 0:
            return "Nothing in the catalog meets all of that; try loosening a condition."
        parts = [f"Here are {found} picks"]
        if constraints.include:
            parts.append("in " + " and ".join(constraints.include))
        if constraints.text:
            parts.append(f'matching "{constraints.text}"')
        if constraints.year_min is not None or constraints.year_max is not None:
            low, high = constraints.year_min, constraints.year_max
            parts.append(
                f"from {low}-{high}"
                if low and high
                else f"from {low} on"
                if low
                else f"up to {high}"
            )
        if constraints.price_min is not None or constraints.price_max is not None:
            if constraints.price_max is not None:
                parts.append(f"at most {constraints.price_max:g}")
            if constraints.price_min is not None:
                parts.append(f"at least {constraints.price_min:g}")
        if constraints.exclude:
            parts.append("leaving out " + " and ".join(constraints.exclude))
        sentence = " ".join(parts) + "."
        return " ".join([sentence, *(note[0].upper() + note[1:] + "." for note in notes)])
