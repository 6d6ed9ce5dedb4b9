"""Free text to hard constraints: categories to include or exclude, year and price ranges, and
what is left as a semantic query. Rules and the catalog's own vocabulary, no generative model.

Categories are found three ways, in order: the catalog's own names (and plurals), everyday
synonyms (:mod:`.lexicon`), then, for content words nothing matched, the query encoder's
similarity to each category name. A category named after "no", "not", "without", "nothing",
"except" or "avoid" (up to the next "but", "and", comma or stop) is excluded instead.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.encoders.base import Encoder
from pulserec.llm.lexicon import SYNONYMS

NEGATIONS = ("no", "not", "without", "nothing", "except", "avoid", "never", "none")
_STOP_TEXT = (
    "a an the i me my we our you some any something anything for from of with to in on and or"
    " but please want looking look find show give recommend recommendation recommendations need"
    " would like love really very too so that which is are be it its this these those about"
    " good great nice best film films movie movies one ones item items thing things story"
)
STOPWORDS = frozenset(_STOP_TEXT.split())
_DECADE = re.compile(r"\b(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b")
_BETWEEN_YEARS = re.compile(r"\bbetween\s+((?:19|20)\d\d)\s+and\s+((?:19|20)\d\d)\b")
_BEFORE = re.compile(r"\b(?:before|older than|earlier than|pre-?)\s*((?:19|20)\d\d)\b")
_AFTER = re.compile(r"\b(?:after|newer than|later than|since)\s+((?:19|20)\d\d)\b")
_YEAR = re.compile(r"\b(?:from|in|of)\s+((?:19|20)\d\d)\b")
_MONEY = r"\$?\s*(\d+(?:\.\d+)?)\s*(?:dollars|usd|bucks|\$)?"
_PRICE_BETWEEN = re.compile(rf"\bbetween\s+{_MONEY}\s+and\s+{_MONEY}")
_PRICE_MAX = re.compile(rf"\b(?:under|below|less than|cheaper than|up to|at most|max)\s+{_MONEY}")
_PRICE_MIN = re.compile(rf"\b(?:over|above|more than|at least|min)\s+{_MONEY}")
_WORD = re.compile(r"[a-z0-9&'\-]+")


@dataclass(frozen=True)
class Constraints:
    """What a request demands; ``text`` is the rest, for semantic matching."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    price_min: float | None = None
    price_max: float | None = None
    text: str = ""
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _decade(match: re.Match[str]) -> tuple[int, int]:
    if match.group(1):
        start = int(match.group(1) + match.group(2) + "0")
    else:
        digit = int(match.group(3))
        start = (2000 if digit <= 2 else 1900) + 10 * digit
    return start, start + 9


def extract_years(text: str) -> tuple[int | None, int | None, str]:
    """Year bounds from decades ("90s"), ranges, "before/after YEAR", "from YEAR"."""
    if m := _BETWEEN_YEARS.search(text):
        return int(m.group(1)), int(m.group(2)), text.replace(m.group(0), " ")
    low: int | None = None
    high: int | None = None
    if m := _DECADE.search(text):
        low, high = _decade(m)
        text = text.replace(m.group(0), " ")
    if m := _BEFORE.search(text):
        high, text = int(m.group(1)) - 1, text.replace(m.group(0), " ")
    if m := _AFTER.search(text):
        since = m.group(0).startswith("since")
        low, text = int(m.group(1)) + (0 if since else 1), text.replace(m.group(0), " ")
    if low is None and high is None and (m := _YEAR.search(text)):
        low = high = int(m.group(1))
        text = text.replace(m.group(0), " ")
    return low, high, text


def extract_prices(text: str) -> tuple[float | None, float | None, str]:
    """Price bounds from "under 100", "over $50", "between 20 and 40 dollars"."""
    if m := _PRICE_BETWEEN.search(text):
        return float(m.group(1)), float(m.group(2)), text.replace(m.group(0), " ")
    low: float | None = None
    high: float | None = None
    if m := _PRICE_MAX.search(text):
        high, text = float(m.group(1)), text.replace(m.group(0), " ")
    if m := _PRICE_MIN.search(text):
        low, text = float(m.group(1)), text.replace(m.group(0), " ")
    return low, high, text


class ConstraintExtractor:
    """Reads requests against one catalog's category names."""

    def __init__(
        self, categories: list[str], encoder: Encoder | None = None, threshold: float = 0.62
    ) -> None:
        self.names = {c.lower(): c for c in categories}
        self.encoder = encoder
        self.threshold = threshold
        self._name_vectors: npt.NDArray[np.float32] | None = None
        if encoder is not None and categories:
            self._name_vectors = encoder.encode(list(self.names.values()))

    def _lookup(self, phrase: str) -> str | None:
        for candidate in (phrase, phrase.rstrip("s"), SYNONYMS.get(phrase, "")):
            if candidate and candidate in self.names:
                return self.names[candidate]
        return None

    def _by_embedding(self, words: list[str]) -> list[str]:
        if self._name_vectors is None or self.encoder is None or not words:
            return []
        similarity = self.encoder.encode(words) @ self._name_vectors.T  # (W, C)
        best = similarity.argmax(axis=1)
        names = list(self.names.values())
        return [names[b] for w, b in enumerate(best) if similarity[w, b] >= self.threshold]

    def extract(self, message: str) -> Constraints:
        text = " " + message.lower().replace("science fiction", "sci-fi") + " "
        year_min, year_max, text = extract_years(text)
        price_min, price_max, text = extract_prices(text)
        include: list[str] = []
        exclude: list[str] = []
        leftover: list[str] = []
        ignored: list[str] = []
        for clause in re.split(r"[,.;!?]|\bbut\b|\band\b", text):
            words = _WORD.findall(clause)
            negated = False
            position = 0
            while position < len(words):
                word = words[position]
                if word in NEGATIONS:
                    negated = True
                    position += 1
                    continue
                pair = " ".join(words[position : position + 2])
                found = self._lookup(pair) if position + 1 < len(words) else None
                step = 2 if found else 1
                found = found or self._lookup(word)
                if found:
                    (exclude if negated else include).append(found)
                elif word not in STOPWORDS and not word.isdigit():
                    (ignored if negated else leftover).append(word)
                position += step
        matched = self._by_embedding([w for w in leftover if len(w) > 3])
        include += [name for name in matched if name not in exclude]
        include = [c for c in dict.fromkeys(include) if c not in exclude]
        return Constraints(
            tuple(include),
            tuple(dict.fromkeys(exclude)),
            year_min,
            year_max,
            price_min,
            price_max,
            " ".join(leftover),
            tuple(f"could not apply: not {word}" for word in ignored),
        )
