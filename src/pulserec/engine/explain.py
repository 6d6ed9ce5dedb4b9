"""Grounded explanations: each reason is evidence that really holds for this user and item.

- ``history``: the user's own items nearest to the recommended one by text vector (only items
  that are in the user's history, and only when they are really close);
- ``attribute``: categories the item has that recur in the user's history;
- ``trending``: the item is among the most popular right now;
- ``query`` / ``preferences``: the search phrase or stated tastes the list was built from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Int32s = npt.NDArray[np.int32]

HISTORY_MIN_COSINE = 0.35
MAX_NAMED_ITEMS = 2


@dataclass(frozen=True)
class Evidence:
    """What a request knows that explanations may cite."""

    history: Int32s  # the user's positive items, most recent last
    trending: frozenset[int]
    query: str | None = None
    preferences: bool = False


class Explainer:
    """Turns evidence into structured reasons and one sentence per recommended item."""

    def __init__(
        self,
        vectors: Callable[[], npt.NDArray[np.floating]],
        has_vector: Callable[[], npt.NDArray[np.bool_]],
        categories_of: Callable[[int], tuple[str, ...]],
        title_of: Callable[[int], str],
        category_label: str = "category",
    ) -> None:
        self._vectors = vectors
        self._has_vector = has_vector
        self._categories_of = categories_of
        self._title_of = title_of
        self.category_label = category_label

    def explain(self, items: Int32s, evidence: Evidence) -> list[tuple[str, list[dict[str, Any]]]]:
        """One ``(sentence, reasons)`` per item in ``items``."""
        nearest = self._nearest_history(items, evidence.history)
        common = self._common_categories(evidence.history)
        out = []
        for position, item in enumerate(items.tolist()):
            reasons: list[dict[str, Any]] = []
            if evidence.query:
                reasons.append({"kind": "query", "text": evidence.query})
            if nearest[position]:
                reasons.append({"kind": "history", "item_ids": nearest[position]})
            shared = [c for c in self._categories_of(item) if c in common][:2]
            reasons.extend(
                {"kind": "attribute", "name": self.category_label, "value": c} for c in shared
            )
            if evidence.preferences:
                reasons.append({"kind": "preferences"})
            if item in evidence.trending:
                reasons.append({"kind": "trending"})
            out.append((self.sentence(reasons), reasons))
        return out

    def _nearest_history(self, items: Int32s, history: Int32s) -> list[list[int]]:
        """For each item, up to two of the user's items nearest to it by text (indices)."""
        empty: list[list[int]] = [[] for _ in range(len(items))]
        has = self._has_vector()
        history = history[(history < has.shape[0])]
        history = history[has[history]] if history.size else history
        if history.size == 0 or items.size == 0:
            return empty
        vectors = self._vectors()
        ok = (items < has.shape[0]) & has[np.minimum(items, has.shape[0] - 1)]
        similarity = np.asarray(
            vectors[np.where(ok, items, 0)] @ vectors[history].T, dtype=np.float32
        )  # (k, H)
        similarity[~ok] = -np.inf
        similarity[items[:, None] == history[None, :]] = -np.inf
        count = min(MAX_NAMED_ITEMS, history.size)
        best = np.argsort(-similarity, axis=1, kind="stable")[:, :count]
        for row in range(len(items)):
            close = best[row][similarity[row, best[row]] >= HISTORY_MIN_COSINE]
            empty[row] = history[close].tolist()
        return empty

    def _common_categories(self, history: Int32s) -> set[str]:
        """Categories on at least a fifth of the user's recent items (and at least two)."""
        recent = history[-50:].tolist()
        counts = Counter(c for item in recent for c in self._categories_of(item))
        needed = max(2, len(recent) // 5)
        return {c for c, n in counts.items() if n >= needed}

    def sentence(self, reasons: Sequence[dict[str, Any]]) -> str:
        """One plain sentence from the reasons, in the order they were found."""
        parts: list[str] = []
        attributes = [r["value"] for r in reasons if r["kind"] == "attribute"]
        for reason in reasons:
            kind = reason["kind"]
            if kind == "query":
                parts.append(f'it matches your search "{reason["text"]}"')
            elif kind == "history":
                titles = _joined([self._title_of(i) for i in reason["item_ids"]])
                parts.append(f"you liked {titles}")
            elif kind == "attribute" and reason["value"] == attributes[0]:
                parts.append(f"you often choose {_joined(attributes)}")
            elif kind == "preferences":
                parts.append("it fits the tastes you described")
            elif kind == "trending":
                parts.append("it is trending right now")
        if not parts:
            return "Recommended from what similar people engage with."
        return f"Because {_joined(parts, ', ')}."


def _joined(parts: Sequence[str], separator: str = ", ") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return separator.join(parts[:-1]) + " and " + parts[-1]
