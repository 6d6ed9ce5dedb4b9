"""Item titles named in a request ("something like Star Wars"), matched word for word.

A title matches by its normal form without a leading article, or by its short form: the part
before " by ", ":", " (" or " - " ("Rising Island by Sam Ferreira" → "Rising Island"). The
longest match wins; a full title beats a short form of the same length. ``TitleSource`` is where
candidates come from: a :class:`TitleIndex` over known titles, or the engine's text index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from pulserec.llm.text import key

Key = tuple[str, ...]
CUES = ("like", "similar to", "such as", "in the vein of", "in the style of", "reminiscent of",
        "loved", "liked", "enjoyed", "fans of", "fan of", "more like")  # fmt: skip
NOT_CUES = frozenset({"would", "id", "wed", "youd", "theyd", "should", "might", "dont"})
MAX_WORDS = 12
MAX_SAME = 3  # a short form shared by more items than this names none of them
_SHORT = re.compile(r"\s+by\s+|:|\s\(|\s-\s")


class TitleSource(Protocol):
    """Items whose title may start the given request words: ``(item id, title)`` pairs."""

    def candidates(self, words: Sequence[str]) -> list[tuple[str, str]]: ...


def title_keys(title: str) -> list[tuple[Key, bool]]:
    """``(normal form, is the full title)`` for a title and its short form."""
    full = key(title, article=False)
    out = [(full, True)]
    short = key(_SHORT.split(title, maxsplit=1)[0], article=False)
    if short and short != full:
        out.append((short, False))
    return out


class TitleIndex:
    """Known titles, by the first word of each normal form."""

    def __init__(self, titles: Iterable[tuple[str, str]]) -> None:
        self._by_first: dict[str, list[tuple[str, str]]] = {}
        for item_id, title in titles:
            for form, _ in title_keys(title):
                if form:
                    self._by_first.setdefault(form[0], []).append((item_id, title))

    def candidates(self, words: Sequence[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for start in (0, 1):
            if len(words) > start:
                found += self._by_first.get(key(words[start])[0] if key(words[start]) else "", [])
        return list(dict.fromkeys(found))


def match_title(
    words: Sequence[str], source: TitleSource
) -> tuple[int, list[tuple[str, str]]] | None:
    """How many of ``words`` (from the start) name a title, and the items so named."""
    words = list(words[:MAX_WORDS])
    if not words:
        return None
    normal = [key(w) for w in words]
    skip = 1 if words[0] in ("the", "a", "an") else 0
    best: tuple[int, bool, list[tuple[str, str]]] | None = None
    for item_id, title in source.candidates(words):
        for form, full in title_keys(title):
            for start in {0, skip}:
                end = _prefix_end(normal, form, start)
                if end is None:
                    continue
                if best is None or (end, full) > (best[0], best[1]):
                    best = (end, full, [(item_id, title)])
                elif (end, full) == (best[0], best[1]):
                    best[2].append((item_id, title))
    if best is None:
        return None
    end, full, items = best
    items = list(dict.fromkeys(items))
    if not full and len(items) > MAX_SAME:
        return None
    return end, items[:MAX_SAME]


def _prefix_end(normal: list[Key], form: Key, start: int) -> int | None:
    """The word index after ``form`` when the words from ``start`` spell it exactly."""
    position, i = 0, start
    while position < len(form):
        if i >= len(normal):
            return None
        piece = normal[i]
        if not piece:  # punctuation inside a title
            i += 1
            continue
        if tuple(form[position : position + len(piece)]) != piece:
            return None
        position += len(piece)
        i += 1
    return i
