"""Who made an item: the attribute names that hold creators, read the same way everywhere
(filters, item text, chat, the page)."""

from __future__ import annotations

from collections.abc import Mapping

# attribute names that name who made an item, in the order they are read
CREATOR_FIELDS = (
    "creator",
    "creators",
    "artist",
    "artists",
    "author",
    "authors",
    "director",
    "directors",
    "band",
    "composer",
    "brand",
)


def creators_of(attributes: Mapping[str, object]) -> list[str]:
    """The item's creators' names, in :data:`CREATOR_FIELDS` order, each once."""
    out: list[str] = []
    for name in CREATOR_FIELDS:
        value = attributes.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        out += [v.strip() for v in values if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(out))
