"""Grounded explanations: each reason is evidence that really holds for this user and item, and
each sentence names that evidence as it was.

- ``history``: the user's own items nearest to the recommended one by text vector, only items
  whose latest event an explanation may cite (:meth:`pulserec.core.feedback.Feedback.citable`:
  positive ones and views, never a low rating, a dislike or a skip), and only when they are
  really close; ``events`` says what each one was, and the sentence says it in the words of
  its type's label ("you rated Fargo 5", "you bought X", "you viewed Y", a music deployment's
  "you played X", "you added Y to a playlist"). Items of an anonymous session have no stored
  events: "you engaged with X";
- ``attribute``: categories the item has that recur among those citable items;
- ``trending``: the item is in ``OnlineState.trending_now()`` (the current ``popular`` top 50, with
  events in its window);
- ``query`` / ``preferences``: the search phrase or stated tastes the list was built from.

An item with none of these gets one sentence true of where it came from (its ``source``): a
popularity fill says which horizon it is popular over, a model's pick says it comes from what
people with similar histories engage with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core import event_types
from pulserec.core.types import EventType
from pulserec.engine.state.popularity import ALL_TIME, RECENT, WINDOW

Int32s = npt.NDArray[np.int32]
Int8s = npt.NDArray[np.int8]
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]

HISTORY_MIN_COSINE = 0.35
MAX_NAMED_ITEMS = 2
FILL_SOURCE = "trending"
_UNKNOWN = ("engaged with", "")
_FILLS = {
    WINDOW: "Among the items people engaged with in the last day.",
    RECENT: "Among the most popular items of the last 30 days.",
    ALL_TIME: "Among the most popular items overall.",
}
_UNRANKED_FILL = "Added to complete the list."
_BY_SOURCE = {
    "pop": "Among the most popular items overall.",
    "content": "Recommended for its similarity to what you engaged with.",
}
_COLLABORATIVE = "Recommended from what people with similar histories engage with."
_NO_EVIDENCE = "Recommended from the catalog."


@dataclass(frozen=True)
class Evidence:
    """What a request knows that explanations may cite.

    ``kinds``/``values``: per history item, its latest event's type code and value (NaN: none);
    ``citable``: which history items a reason may name. All three are None when the history
    has no stored events (an anonymous session): its items are named as engaged with.
    """

    history: Int32s  # the user's items, most recent last
    trending: frozenset[int]
    query: str | None = None
    preferences: frozenset[int] = frozenset()  # items that fit the user's stated tastes
    kinds: Int8s | None = None
    values: Float32s | None = None
    citable: Bools | None = None


class Explainer:
    """Turns evidence into structured reasons and one sentence per recommended item."""

    def __init__(
        self,
        vectors: Callable[[], npt.NDArray[np.floating]],
        has_vector: Callable[[], npt.NDArray[np.bool_]],
        categories_of: Callable[[int], tuple[str, ...]],
        titles_of: Callable[[Sequence[int]], list[str]],
        category_label: str = "category",
    ) -> None:
        self._vectors = vectors
        self._has_vector = has_vector
        self._categories_of = categories_of
        self._titles_of = titles_of  # one read of the store for many items
        self.category_label = category_label

    def explain(
        self,
        items: Int32s,
        evidence: Evidence,
        sources: Sequence[str] | None = None,
        tiers: Int8s | None = None,
    ) -> list[tuple[str, list[dict[str, Any]]]]:
        """One ``(sentence, reasons)`` per item in ``items``; ``sources`` (each item's) and
        ``tiers`` (each item's popularity tier) word the sentence of an item without reasons."""
        positions = np.arange(evidence.history.size, dtype=np.int32)
        if evidence.citable is not None:
            positions = positions[evidence.citable]
        cited = evidence.history[positions]
        nearest = self._nearest_history(items, cited)
        common = self._common_categories(cited)
        found = []
        for row, item in enumerate(items.tolist()):
            reasons: list[dict[str, Any]] = []
            if evidence.query:
                reasons.append({"kind": "query", "text": evidence.query})
            if nearest[row].size:
                reasons.append(self._history_reason(evidence, positions[nearest[row]]))
            shared = [c for c in self._categories_of(item) if c in common][:2]
            reasons.extend(
                {"kind": "attribute", "name": self.category_label, "value": c} for c in shared
            )
            if item in evidence.preferences:
                reasons.append({"kind": "preferences"})
            if item in evidence.trending:
                reasons.append({"kind": "trending"})
            source = sources[row] if sources is not None else None
            tier = int(tiers[row]) if tiers is not None else None
            found.append((reasons, _fallback(source, tier, evidence.history.size > 0)))
        titles = self._titles([reason for reasons, _ in found for reason in reasons])
        return [(self.sentence(reasons, fallback, titles), reasons) for reasons, fallback in found]

    def _titles(self, reasons: Sequence[dict[str, Any]]) -> dict[int, str]:
        """The title of every item a ``history`` reason names, read at once."""
        named = list(
            dict.fromkeys(i for r in reasons if r["kind"] == "history" for i in r["item_ids"])
        )
        return dict(zip(named, self._titles_of(named), strict=True)) if named else {}

    def _history_reason(self, evidence: Evidence, positions: Int32s) -> dict[str, Any]:
        """A ``history`` reason naming ``evidence.history[positions]`` with their events."""
        reason: dict[str, Any] = {
            "kind": "history",
            "item_ids": evidence.history[positions].tolist(),
        }
        if evidence.kinds is not None and evidence.values is not None:
            events: list[dict[str, Any]] = []
            for kind, value in zip(
                evidence.kinds[positions].tolist(), evidence.values[positions].tolist(), strict=True
            ):
                event: dict[str, Any] = {"type": event_types.name_of(kind)}
                if not np.isnan(value):
                    event["value"] = value
                events.append(event)
            reason["events"] = events
        return reason

    def _nearest_history(self, items: Int32s, history: Int32s) -> list[Int32s]:
        """For each item, the positions in ``history`` of up to two items nearest to it by
        text (only really close ones)."""
        empty = np.zeros(0, dtype=np.int32)
        out: list[Int32s] = [empty] * len(items)
        has = self._has_vector()
        usable = np.flatnonzero(history < has.shape[0]).astype(np.int32)
        usable = usable[has[history[usable]]] if usable.size else usable
        if usable.size == 0 or items.size == 0:
            return out
        vectors = self._vectors()
        ok = (items < has.shape[0]) & has[np.minimum(items, has.shape[0] - 1)]
        chosen = history[usable]
        similarity = np.asarray(
            vectors[np.where(ok, items, 0)] @ vectors[chosen].T, dtype=np.float32
        )  # (k, H)
        similarity[~ok] = -np.inf
        similarity[items[:, None] == chosen[None, :]] = -np.inf
        count = min(MAX_NAMED_ITEMS, usable.size)
        best = np.argsort(-similarity, axis=1, kind="stable")[:, :count]
        for row in range(len(items)):
            close = best[row][similarity[row, best[row]] >= HISTORY_MIN_COSINE]
            out[row] = usable[close]
        return out

    def _common_categories(self, history: Int32s) -> set[str]:
        """Categories on at least a fifth of the user's recent items (and at least two)."""
        recent = history[-50:].tolist()
        counts = Counter(c for item in recent for c in self._categories_of(item))
        needed = max(2, len(recent) // 5)
        return {c for c, n in counts.items() if n >= needed}

    def sentence(
        self,
        reasons: Sequence[dict[str, Any]],
        fallback: str = _NO_EVIDENCE,
        titles: dict[int, str] | None = None,
    ) -> str:
        """One plain sentence from the reasons, in the order they were found (``fallback``
        when there are none); ``titles``: those of the items the reasons name, when already
        read."""
        titles = titles if titles is not None else self._titles(reasons)
        parts: list[str] = []
        attributes = [r["value"] for r in reasons if r["kind"] == "attribute"]
        for reason in reasons:
            kind = reason["kind"]
            if kind == "query":
                parts.append(f'it matches your request "{reason["text"]}"')
            elif kind == "history":
                parts.append("you " + _what_you_did(reason, titles))
            elif kind == "attribute" and reason["value"] == attributes[0]:
                parts.append(f"you often choose {_joined(attributes)}")
            elif kind == "preferences":
                parts.append("it fits the tastes you described")
            elif kind == "trending":
                parts.append("it is popular right now")
        if not parts:
            return fallback
        return f"Because {_joined(parts, ', ', ', and ')}."


def _what_you_did(reason: dict[str, Any], titles: dict[int, str]) -> str:
    """``rated Fargo 5 and Heat 4``, ``bought X and viewed Y``, ``engaged with X``."""
    events = reason.get("events") or [None] * len(reason["item_ids"])
    groups: dict[tuple[str, str], list[str]] = {}
    for item, event in zip(reason["item_ids"], events, strict=True):
        title = titles[item]
        verb = _verb(event["type"]) if event else _UNKNOWN
        if event and "value" in event and event["type"] == EventType.RATING.value:
            title = f"{title} {event['value']:g}"
        groups.setdefault(verb, []).append(title)
    return _joined([f"{verb} {_joined(names)}{tail}" for (verb, tail), names in groups.items()])


def _verb(type_name: str) -> tuple[str, str]:
    """What the user did, in the words of the type's label around the titles (``("played",
    "")``, ``("added", " to your cart")``); a type no table defines any more: ``engaged with``."""
    code = event_types.CODES.get(type_name)
    if code is None:
        return _UNKNOWN
    return event_types.kind_of(code).words


def _fallback(source: str | None, tier: int | None, has_history: bool) -> str:
    """The sentence for an item without reasons, true of its source."""
    if source == FILL_SOURCE:
        return _FILLS.get(tier, _UNRANKED_FILL) if tier is not None else _UNRANKED_FILL
    if source in _BY_SOURCE:
        return _BY_SOURCE[source] if has_history or source == "pop" else _NO_EVIDENCE
    if source is None or not has_history:
        return _NO_EVIDENCE
    return _COLLABORATIVE


def _joined(parts: Sequence[str], separator: str = ", ", last: str = " and ") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return separator.join(parts[:-1]) + last + parts[-1]
