"""A catalog's own words: category names (and the leaves of ``A > B`` paths), tags and the
values of its string attributes, looked up by normal form (:mod:`.text`).

``resolve`` reads one phrase in this order: a category's name, an everyday word for a category
(:mod:`.lexicon`), a tag (or an everyday spelling of one), an attribute value, then a topic word
for a category. Under negation a topic word does not stand for its category ("no robots" is not
"no sci-fi"): it finds a tag of that name or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pulserec.llm.lexicon import EQUIVALENTS, SYNONYMS, TOPICS
from pulserec.llm.text import key

Key = tuple[str, ...]
Kind = Literal["category", "tag", "attribute"]
MAX_VALUES_SHARE = 0.5  # an attribute with more distinct values than this share is an id
MIN_VALUES_KEPT = 50
# words that ask for a boolean attribute to be false ("clean" songs are not explicit)
FLAG_OPPOSITES = {
    "explicit": ("clean", "non explicit", "family friendly", "kid friendly", "radio edit"),
    "adult": ("family friendly", "kid friendly"),
}


@dataclass(frozen=True)
class Term:
    """What a phrase names: a category, a tag, or ``name`` = ``value`` of an attribute."""

    kind: Kind
    name: str
    value: str = ""
    topic: bool = False  # found through a narrower word (only a hint of the category)


def _spellings() -> dict[Key, tuple[Key, ...]]:
    out: dict[Key, tuple[Key, ...]] = {}
    for group in EQUIVALENTS:
        keys = tuple(dict.fromkeys(key(member) for member in group))
        for k in keys:
            out[k] = keys
    return out


_GROUPS = _spellings()
_SYNONYMS = {key(word): key(concept) for word, concept in SYNONYMS.items()}
_TOPICS = {key(word): key(concept) for word, concept in TOPICS.items()}


def _forms(concept: Key) -> tuple[Key, ...]:
    return _GROUPS.get(concept, (concept,))


class Vocabulary:
    """Phrase → :class:`Term` over one catalog's names."""

    def __init__(
        self,
        categories: Iterable[str],
        tags: Iterable[str] = (),
        attributes: Mapping[str, Iterable[str]] | None = None,
        flags: Iterable[str] = (),
    ) -> None:
        self.categories: dict[Key, str] = {}
        leaves: dict[Key, str] = {}
        for name in categories:
            self.categories.setdefault(key(name), name)
            if ">" in name:
                leaves.setdefault(key(name.rsplit(">", 1)[1]), name)
        for k, name in leaves.items():
            self.categories.setdefault(k, name)
        self.tags: dict[Key, str] = {}
        for tag in tags:
            self.tags.setdefault(key(tag), tag)
        self.values: dict[Key, list[tuple[str, str]]] = {}
        self.loose_values: dict[Key, list[tuple[str, str]]] = {}
        for name, values in (attributes or {}).items():
            for value in values:
                self.values.setdefault(key(value), []).append((name, value))
                self.loose_values.setdefault(key(value, article=False), []).append((name, value))
        for name in flags:  # "explicit" names explicit:true; "clean" explicit:false
            self.values.setdefault(key(name.replace("_", " ")), []).append((name, "true"))
            for word in FLAG_OPPOSITES.get(name.lower(), ()):
                self.values.setdefault(key(word), []).append((name, "false"))
        self.longest = max(
            (len(k) for table in (self.categories, self.tags, self.values) for k in table),
            default=1,
        )
        self.longest = max(self.longest, 3)

    def _category(self, concept: Key) -> str | None:
        for form in _forms(concept):
            if form in self.categories:
                return self.categories[form]
        return None

    def _tag(self, concept: Key) -> str | None:
        for form in _forms(concept):
            if form in self.tags:
                return self.tags[form]
        return None

    def resolve(self, phrase: Key, negated: bool = False) -> list[Term]:
        """The terms ``phrase`` names (several only for an attribute value shared by names)."""
        if not phrase:
            return []
        if phrase in self.categories:
            return [Term("category", self.categories[phrase])]
        concept = _SYNONYMS.get(phrase, phrase)
        if (name := self._category(concept)) is not None:
            return [Term("category", name)]
        if (name := self._tag(concept)) is not None:
            return [Term("tag", name)]
        values = self.values.get(phrase) or self.loose_values.get(phrase)
        if values:
            return [Term("attribute", n, v) for n, v in values]
        topic = _TOPICS.get(phrase)
        if topic is not None and not negated and (name := self._category(topic)) is not None:
            return [Term("category", name, topic=True)]
        return []


def attribute_vocabulary(
    values: Mapping[str, list[str]], counts: Mapping[str, int]
) -> dict[str, list[str]]:
    """Attributes worth reading requests against: those whose values repeat (brand, colour,
    artist), not ids or timestamps (distinct values above half the items that have one)."""
    kept: dict[str, list[str]] = {}
    for name, names in values.items():
        having = counts.get(name, len(names))
        if len(names) <= MIN_VALUES_KEPT or len(names) <= MAX_VALUES_SHARE * having:
            kept[name] = names
    return kept
