"""Stated tastes on a user's list: what they said they like leads it until their events speak,
what they ruled out never appears.

A :data:`TastesReader` (built by the composition root from the chat's catalog vocabulary)
reads the preferences' text into two masks over the catalog: items in a liked category, tag or
attribute value (None when the text names none) and items in a ruled-out one ("no metal", "no
explicit lyrics"). Exclusions hold on every list of the user; the liked items, ranked by their
text's similarity to the stated tastes, take a share of the list that shrinks from all of it
(no history) to none (``COLD_EVENTS`` positive events).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulserec.core.topk import top_k
from pulserec.engine.state.online_state import COLD_EVENTS

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]
FITS = 0.35  # cosine to the stated tastes from which an item "fits" them (nothing named)


@dataclass(frozen=True, slots=True)
class StatedTastes:
    """Masks over the catalog: liked (None: nothing named) and ruled out."""

    liked: Bools | None
    excluded: Bools


# preferences text -> (liked: None when nothing is named, ruled out), over the live catalog
TastesReader = Callable[[str], tuple[Bools | None, Bools]]


def cold_share(history_size: int) -> float:
    """The share of the list stated tastes lead: 1 with no history, 0 from ``COLD_EVENTS``."""
    return max(0.0, 1.0 - history_size / COLD_EVENTS)


def liked_items(
    vectors: npt.NDArray[np.floating],
    candidates: Bools,
    preferences: Float32s,
    liked: Bools | None,
    pool: int,
) -> tuple[Int32s, Float32s]:
    """Candidates in a liked name (every candidate with text when none is named, or none of
    them is left), best match to the stated tastes first."""
    within = candidates if liked is None else candidates & liked[: candidates.shape[0]]
    if not within.any():
        within = candidates
    indices = np.flatnonzero(within).astype(np.int32)
    if indices.size == 0:
        return indices, np.zeros(0, np.float32)
    similarity = np.asarray(vectors[indices], dtype=np.float32) @ preferences
    best, values = top_k(similarity.astype(np.float32), pool)
    return indices[best], values


def interleave(
    primary: Int32s, stated: Int32s, share: float
) -> tuple[Int32s, npt.NDArray[np.bool_]]:
    """``primary`` and ``stated`` merged so that every prefix holds about ``share`` of stated
    items (all of them first when ``share`` is 1); an item in both appears once, where it comes
    first. Returns the list and which positions came from ``stated``."""
    out: list[int] = []
    from_stated: list[bool] = []
    taken: set[int] = set()
    a, b = primary.tolist(), stated.tolist()
    i = j = count = 0
    while i < len(a) or j < len(b):
        want_stated = j < len(b) and (i >= len(a) or count < share * (len(out) + 1))
        item = b[j] if want_stated else a[i]
        if want_stated:
            j += 1
        else:
            i += 1
        if item in taken:
            continue
        taken.add(item)
        out.append(item)
        from_stated.append(want_stated)
        count += want_stated
    return np.asarray(out, dtype=np.int32), np.asarray(from_stated, dtype=bool)


def fitting(
    items: Int32s,
    tastes: StatedTastes | None,
    vectors: npt.NDArray[np.floating],
    preferences: Float32s | None,
) -> frozenset[int]:
    """The items of ``items`` that fit what the user stated: in a liked name when the text
    names one, else close enough to the stated tastes' text (never an item without text)."""
    if preferences is None or items.size == 0:
        return frozenset()
    if tastes is not None and tastes.liked is not None:
        inside = items < tastes.liked.shape[0]
        keep = np.zeros(items.shape[0], dtype=bool)
        keep[inside] = tastes.liked[items[inside]]
        return frozenset(items[keep].tolist())
    rows = np.asarray(vectors[items], dtype=np.float32)
    return frozenset(items[(rows @ preferences) >= FITS].tolist())
