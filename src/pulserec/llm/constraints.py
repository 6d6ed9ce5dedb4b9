"""Free text to constraints in a catalog's own vocabulary. Rules, no generative model.

In order: titles after "like", "similar to", "loved"... (:mod:`.titles`) become ``similar_to``;
year and price ranges (:mod:`.ranges`) come out; the rest is read phrase by phrase, longest
first, against the catalog's categories, tags and attribute values (:mod:`.vocabulary`). A
phrase after "no", "not", "without", "nothing", "except", "avoid"... (up to the next comma, "but",
or an "and" not followed by another name) is excluded: a category (and items tagged so), a tag or
an attribute value. Every negated phrase is also kept in ``avoid``, so items whose text is about
it can be ranked down. Content words nothing matched are the semantic query; for those (not the
subject after "about"), the query encoder may still find a category whose name is close enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from pulserec.core.creators import CREATOR_FIELDS
from pulserec.encoders.base import Encoder
from pulserec.llm.ranges import extract_prices, extract_years
from pulserec.llm.text import fold, key
from pulserec.llm.titles import CUES, NOT_CUES, TitleSource, match_title
from pulserec.llm.vocabulary import Term, Vocabulary

__all__ = ["ConstraintExtractor", "Constraints", "extract_prices", "extract_years"]

_NEGATION_TEXT = (
    "no not without nothing except avoid never none dont neither nor excluding minus hate hates"
    " dislike dislikes cant"  # "I hate metal", "can't stand country"
)
NEGATIONS = frozenset(_NEGATION_TEXT.split())
_STOP_TEXT = (
    "a an the i me my we our you some any something anything for from of with to in on and or"
    " but please want looking look find show give recommend recommendation recommendations need"
    " would like love really very too so that which is are be it its this these those about"
    " good great nice best film films movie movies one ones item items thing things story"
    " stories song songs music playlist playlists track tracks tune tunes piece pieces article"
    " articles news stuff gear"
    " equipment product products set made released watch listen read buy get see make what else"
    " whole kind sort type lot lots more other another just also maybe around by at into"
    " can could will should something's id im it's there here cheap budget"
)
# the work one message may cost is bounded, whatever its length: titles looked up after at most
# this many cues ("like X", "similar to Y"), words guessed by embedding at most this many
MAX_TITLE_CUES = 5
MAX_GUESSES = 16
# a guessed category must beat the runner-up by this much: a word close to every category alike
# ("music", "tunes" in a music catalog) names the catalog, not one of its categories
GUESS_MARGIN = 0.05
STOPWORDS = frozenset(_STOP_TEXT.split())
_TOKEN = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?|&|[,.;!?:()\[\]]")
_BOUNDARY = frozenset(",.;!?:()[]") | {"but"}  # a negation's scope ends at these


MAX_CREATOR_ITEMS = 10  # "like <a creator>": the items of theirs a request stands for


class CreatorSource(Protocol):
    """A creator's items as ``(item id, title)`` pairs (``name`` is the attribute: ``artist``)."""

    def items_by(self, name: str, value: str) -> list[tuple[str, str]]: ...


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
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()  # (name, value): any value of a name will do
    exclude_attributes: tuple[tuple[str, str], ...] = ()
    similar_to: tuple[tuple[str, str], ...] = ()  # (item id, title)
    avoid: tuple[str, ...] = ()  # negated phrases: items about them are ranked down

    def as_json(self) -> dict[str, Any]:
        """The ``constraints`` object of ``POST /v1/chat``."""
        return {
            "include": list(self.include),
            "exclude": list(self.exclude),
            "tags": list(self.tags),
            "exclude_tags": list(self.exclude_tags),
            "attributes": _grouped(self.attributes),
            "exclude_attributes": _grouped(self.exclude_attributes),
            "similar_to": [{"id": i, "title": t} for i, t in self.similar_to],
            "year_min": self.year_min,
            "year_max": self.year_max,
            "price_min": self.price_min,
            "price_max": self.price_max,
            "avoid": list(self.avoid),
            "text": self.text,
            "notes": list(self.notes),
        }


def _grouped(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


@dataclass
class _Found:
    """Accumulates one reading."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)
    exclude_attributes: list[tuple[str, str]] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)  # words right after "about"
    avoid: list[str] = field(default_factory=list)

    def add(self, terms: list[Term], negated: bool) -> None:
        for term in terms:
            if term.kind == "category":
                (self.exclude if negated else self.include).append(term.name)
            elif term.kind == "tag":
                (self.exclude_tags if negated else self.tags).append(term.name)
            else:
                pair = (term.name, term.value)
                (self.exclude_attributes if negated else self.attributes).append(pair)


def _tokens(text: str) -> list[str]:
    return [t.replace("\u2019", "").replace("'", "") for t in _TOKEN.findall(text)]


def _unique(values: list[Any], drop: list[Any] | None = None) -> tuple[Any, ...]:
    banned = set(drop or ())
    return tuple(v for v in dict.fromkeys(values) if v not in banned)


class ConstraintExtractor:
    """Reads requests against one catalog's vocabulary (and, optionally, its titles)."""

    def __init__(
        self,
        categories: list[str] | Vocabulary,
        encoder: Encoder | None = None,
        threshold: float = 0.62,
        titles: TitleSource | None = None,
        creators: CreatorSource | None = None,
    ) -> None:
        self.vocabulary = (
            categories if isinstance(categories, Vocabulary) else Vocabulary(categories)
        )
        self.encoder = encoder
        self.threshold = threshold
        self.titles = titles
        self.creators = creators
        self._names = sorted(
            {n for n in self.vocabulary.categories.values() if ">" not in n}, key=str.lower
        )
        self._name_vectors: npt.NDArray[np.float32] | None = None
        if encoder is not None and self._names:
            self._name_vectors = encoder.encode(self._names)

    def _by_embedding(self, words: list[str]) -> list[str]:
        if self._name_vectors is None or self.encoder is None or not words:
            return []
        similarity = self.encoder.encode(words) @ self._name_vectors.T  # (W, C)
        best = similarity.argmax(axis=1)
        second = np.sort(similarity, axis=1)[:, -2] if similarity.shape[1] > 1 else None
        return [
            self._names[b]
            for w, b in enumerate(best)
            if similarity[w, b] >= self.threshold
            and (second is None or similarity[w, b] - second[w] >= GUESS_MARGIN)
        ]

    def _similar(self, tokens: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """Tokens with titles after a cue taken out, and the items those titles name."""
        if self.titles is None and self.creators is None:
            return tokens, []
        out: list[str] = []
        found: list[tuple[str, str]] = []
        i, tried = 0, 0
        while i < len(tokens):
            cue = _cue_length(tokens, i) if tried < MAX_TITLE_CUES else 0
            if cue:
                tried += 1
                rest = tokens[i + cue :]
                match = match_title(rest, self.titles) if self.titles is not None else None
                by = self._creator(rest)
                if by is not None and (match is None or by[0] >= match[0]):
                    match = by  # "like Daft Punk": the creator's items, not a title's words
                elif match is not None and self._is_vocabulary(rest[: match[0]]):
                    match = None
                if match is not None:
                    found += match[1]
                    i += cue + match[0]
                    continue
            out.append(tokens[i])
            i += 1
        return out, found

    def _creator(self, words: list[str]) -> tuple[int, list[tuple[str, str]]] | None:
        """How many of ``words`` (from the start) name a creator, and (some of) their items."""
        if self.creators is None:
            return None
        for n in range(min(self.vocabulary.longest, len(words)), 0, -1):
            if any(w in _BOUNDARY for w in words[:n]):
                continue
            terms = self.vocabulary.resolve(key(" ".join(words[:n])))
            named = [t for t in terms if t.kind == "attribute" and t.name in CREATOR_FIELDS]
            items = [pair for t in named for pair in self.creators.items_by(t.name, t.value)]
            if items:
                return n, list(dict.fromkeys(items))[:MAX_CREATOR_ITEMS]
        return None

    def _is_vocabulary(self, words: list[str]) -> bool:
        content = [w for w in words if w not in STOPWORDS]
        return len(content) <= 1 and bool(self.vocabulary.resolve(key(" ".join(words))))

    def extract(self, message: str) -> Constraints:
        tokens, similar = self._similar(_tokens(fold(message)))
        text = " " + " ".join(tokens) + " "
        year_min, year_max, text = extract_years(text)
        price_min, price_max, text = extract_prices(text)
        found = self._read(_tokens(text))
        guesses = [
            w for w in found.leftover if len(w) > 3 and w not in found.subjects and not w.isdigit()
        ][:MAX_GUESSES]
        found.include += [n for n in self._by_embedding(guesses) if n not in found.exclude]
        text_words = [w for w in found.leftover if not w.isdigit()]
        return Constraints(
            include=_unique(found.include, found.exclude),
            exclude=_unique(found.exclude),
            year_min=year_min,
            year_max=year_max,
            price_min=price_min,
            price_max=price_max,
            text=" ".join(text_words),
            tags=_unique(found.tags, found.exclude_tags),
            exclude_tags=_unique(found.exclude_tags),
            attributes=_unique(found.attributes, found.exclude_attributes),
            exclude_attributes=_unique(found.exclude_attributes),
            similar_to=_unique(similar),
            avoid=_unique(found.avoid),
        )

    def _read(self, tokens: list[str]) -> _Found:
        found = _Found()
        negated, about, i = False, False, 0
        phrase: list[str] = []  # the negated words so far, for ``avoid``
        while i < len(tokens):
            token = tokens[i]
            if token in _BOUNDARY or (token == "and" and not self._starts_term(tokens, i + 1)):
                negated, about = False, False
                found.avoid += [" ".join(phrase)] if phrase else []
                phrase = []
                i += 1
                continue
            if token in NEGATIONS:
                negated = True
                i += 1
                continue
            if token in ("and", "or", "nor"):
                found.avoid += [" ".join(phrase)] if phrase else []
                phrase = []
                i += 1
                continue
            length, terms = self._longest(tokens, i, negated)
            if terms:
                found.add(terms, negated)
                if negated:
                    phrase += tokens[i : i + length]
                i += length
                about = False
                continue
            if token == "about":
                about = True
            elif token not in STOPWORDS:
                if negated:
                    phrase.append(token)
                else:
                    found.leftover.append(token)
                    if about:
                        found.subjects.add(token)
                about = False
            i += 1
        found.avoid += [" ".join(phrase)] if phrase else []
        return found

    def _longest(self, tokens: list[str], i: int, negated: bool) -> tuple[int, list[Term]]:
        top = min(self.vocabulary.longest, len(tokens) - i)
        for n in range(top, 0, -1):
            words = tokens[i : i + n]
            if any(w in _BOUNDARY for w in words):
                continue
            if n == 1 and words[0] in _GENERIC:
                return 0, []
            terms = self.vocabulary.resolve(key(" ".join(words)), negated)
            if terms:
                return n, terms
        return 0, []

    def _starts_term(self, tokens: list[str], i: int) -> bool:
        """Whether a name starts right at ``i`` ("no horror and thrillers", not "and a ...")."""
        return i < len(tokens) and bool(self._longest(tokens, i, False)[1])


_GENERIC = frozenset({"a", "an", "the", "and", "or", "for", "of", "with", "to", "in", "on", "by"})


def _cue_length(tokens: list[str], i: int) -> int:
    """The number of tokens of a title cue starting at ``i`` (0: none)."""
    if i > 0 and tokens[i - 1] in NOT_CUES:
        return 0
    for cue in CUES:
        parts = cue.split()
        if tokens[i : i + len(parts)] == parts:
            return len(parts)
    return 0
