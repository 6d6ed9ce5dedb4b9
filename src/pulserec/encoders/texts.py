"""The text the language model reads for an item, one function per domain.

- ``movie``: "Title (year). Genres: a, b." (MovieLens; the form the benchmarks use)
- ``ecommerce``: "Title. Category: c. description Tags: a, b."
- ``news``: "Title. Section: c. description"
- ``music``: "Title by Artist. Genre: c. Tags: a, b."
- ``generic``: title, description, categories and tags, whichever are present.
Placeholder items (no title yet) have no text: they return "".
"""

from __future__ import annotations

from collections.abc import Callable

from pulserec.core.types import Item


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


def generic_text(item: Item) -> str:
    return _join(
        _sentence(item.title),
        _sentence(item.description),
        _list("Categories", item.categories),
        _list("Tags", item.tags),
    )


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
    try:
        return ITEM_TEXT[domain](item)
    except KeyError:
        raise ValueError(f"unknown domain {domain!r} (known: {', '.join(ITEM_TEXT)})") from None
