"""One normal form for the words of requests and of catalog names, so the two can be compared.

Lower case, accents folded ("Björk" → "bjork", "café" → "cafe"); ``&`` is "and"; hyphens,
slashes and punctuation split words; apostrophes go
("children's" → "childrens"); each word is reduced to a singular stem ("jackets" →
"jacket"). A leading article is dropped from names (``key(..., article=False)``).
"""

from __future__ import annotations

import re

from pulserec.core.text import without_accents

_TOKEN = re.compile(r"[a-z0-9]+")
_ARTICLES = frozenset({"the", "a", "an"})
_KEEP = frozenset({"news", "series", "species", "chess", "glass", "jeans", "ss", "us"})


def singular(word: str) -> str:
    """A crude singular stem that only has to map both sides to the same form ("stories",
    "story" → "stori"; "movies", "movie" → "movi"); never shown to anyone."""
    if len(word) <= 3 or word in _KEEP:
        return word
    if word.endswith(("ies", "ches", "shes", "xes", "sses")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ie"):
        return word[:-1]
    if word.endswith("y") and len(word) > 3:
        return word[:-1] + "i"
    return word


def fold(text: str) -> str:
    """``text`` in lower case with its accents removed."""
    return without_accents(text.lower())


def words(text: str) -> list[str]:
    """The raw lower-case words of ``text`` (no singulars), ``&`` read as "and"."""
    text = fold(text).replace("&", " and ").replace("'", "").replace("\u2019", "")
    return _TOKEN.findall(text)


def key(text: str, article: bool = True) -> tuple[str, ...]:
    """The normal form of a name or phrase; ``article=False`` drops a leading "the/a/an"."""
    out = tuple(singular(word) for word in words(text))
    if not article and len(out) > 1 and out[0] in _ARTICLES:
        out = out[1:]
    return out
