"""The text the language model reads for an item, one function per domain.

- ``movie``: "Title (year). Genres: a, b." (MovieLens; the form the benchmarks use)
- ``ecommerce``: "Title. Category: c. description Tags: a, b."
- ``news``: "Title. Section: c. description"
- ``music``: "Title by Artist. Genre: c. Tags: a, b."
- ``generic``: "Title by Creator." (creators from :data:`~pulserec.core.creators.CREATOR_FIELDS`
  attributes: ``artist``, ``author``...), description, categories and tags, whichever are present.
- ``fields:<name>,<name>...``: the catalog's own choice, in that order: ``title``, ``creator``
  ("by X"), ``description``, ``categories``, ``tags``, or any attribute ("Album: X.").
Placeholder items (no title yet) have no text: they return "".
"""

from __future__ import annotations

from collections.abc import Callable

from pulserec.core.creators import creators_of
from pulserec.core.types import Item

FIELDS_PREFIX = "fields:"
TEXT_FIELDS = ("title", "creator", "description", "categories", "tags")


def _join(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _list(label: str, values: tuple[str, ...]) -> str | None:
    return f"{label}: {', '.join(values)}." if values else None


def _sentence(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def movie_text(item: Item) -> str:
    """The text a language model reads for a movie: ``"Title (year). Genres: a, b."``.

    The ``" (year)"`` part is left out when the year is unknown and the ``" Genres: ..."`` part
    when the movie has no genres. A movie without a title reads as ``"Unknown title"``.
    """
    text = item.title or "Unknown title"
    year = item.attributes.get("year")
    if year is not None:
        text += f" ({year})"
    text += "."
    if item.categories:
        text += f" Genres: {', '.join(item.categories)}."
    return text


def ecommerce_text(item: Item) -> str:
    return _join(
        _sentence(item.title),
        _list("Category", item.categories),
        _sentence(item.description),
        _list("Tags", item.tags),
    )


def news_text(item: Item) -> str:
    return _join(
        _sentence(item.title), _list("Section", item.categories), _sentence(item.description)
    )


def music_text(item: Item) -> str:
    artist = item.attributes.get("artist")
    head = f"{item.title} by {artist}." if artist else _sentence(item.title)
    return _join(head, _list("Genre", item.categories), _list("Tags", item.tags))


def _titled(item: Item) -> str | None:
    """ "Title by A, B." when the item names creators, else the title as a sentence."""
    title = (item.title or "").strip()
    named = title.casefold()
    creators = [c for c in creators_of(item.attributes) if c.casefold() not in named]
    if creators and title:  # a title that already names its creator keeps its own words
        return _sentence(f"{title} by {', '.join(creators)}")
    return _sentence(item.title)


def generic_text(item: Item) -> str:
    return _join(
        _titled(item),
        _sentence(item.description),
        _list("Categories", item.categories),
        _list("Tags", item.tags),
    )


def fields_text(item: Item, fields: list[str]) -> str:
    """The text from the configured ``fields``, in order (see the module)."""
    parts: list[str | None] = []
    for name in fields:
        if name == "title":
            parts.append(_sentence(item.title))
        elif name == "creator":
            creators = creators_of(item.attributes)
            parts.append(f"By {', '.join(creators)}." if creators else None)
        elif name == "description":
            parts.append(_sentence(item.description))
        elif name == "categories":
            parts.append(_list("Categories", item.categories))
        elif name == "tags":
            parts.append(_list("Tags", item.tags))
        else:
            parts.append(_attribute(name, item.attributes.get(name)))
    return _join(*parts)


def _attribute(name: str, value: object) -> str | None:
    label = name.replace("_", " ").capitalize()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, list | tuple):
        return _list(label, tuple(str(v) for v in value if str(v).strip()))
    text = str(value).strip()
    return f"{label}: {text}." if text else None


def fields_recipe(fields: tuple[str, ...] | list[str]) -> str:
    """The ``domain`` string that builds item text from ``fields`` (``fields:title,album``)."""
    names = [f.strip() for f in fields if f.strip()]
    if not names or any("," in n for n in names):
        raise ValueError("text_fields must be non-empty names without commas")
    return FIELDS_PREFIX + ",".join(names)


ITEM_TEXT: dict[str, Callable[[Item], str]] = {
    "movie": movie_text,
    "ecommerce": ecommerce_text,
    "news": news_text,
    "music": music_text,
    "generic": generic_text,
}


def item_text(item: Item, domain: str = "generic") -> str:
    """The model's text for ``item`` in ``domain``; "" for a placeholder with no title."""
    if item.placeholder or not item.title:
        return ""
    if domain.startswith(FIELDS_PREFIX):
        return fields_text(item, domain[len(FIELDS_PREFIX) :].split(","))
    try:
        return ITEM_TEXT[domain](item)
    except KeyError:
        raise ValueError(f"unknown domain {domain!r} (known: {', '.join(ITEM_TEXT)})") from None
