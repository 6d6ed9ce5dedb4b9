"""Item filters: ``filter=`` predicates over the catalog, one mask per request.

A filter reads ``name:value`` (equality), ``!name:value`` (negation) or ``name:lo..hi`` (an
inclusive numeric range, either end open: ``year:1990..``, ``price:..20``). ``name`` is
``category``, ``tag``, ``creator`` (any of the creator attributes: ``artist``, ``author``...)
or an item attribute. Equality on an attribute matches a string (any case, accents folded), an
element of a list of strings, a boolean written ``true``/``false`` or a number. Several filters
are ANDed. A name no item has is an error that names it (:class:`FilterError`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulserec.engine.state.catalog import Catalog

Bools = npt.NDArray[np.bool_]
MAX_FILTERS = 20
MAX_FILTER_LENGTH = 300
KEYWORDS = ("category", "tag", "creator")


class FilterError(ValueError):
    """A filter (or rule) that cannot be read, or names what no item has; ``field`` is the
    request parameter it came from."""

    def __init__(self, message: str, field: str = "filter") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Predicate:
    """One filter: equality (``value``) or a numeric range (``low``/``high``), maybe negated."""

    name: str
    value: str | None = None
    low: float | None = None
    high: float | None = None
    negate: bool = False

    @property
    def is_range(self) -> bool:
        return self.value is None

    def text(self) -> str:
        """The filter as a client writes it (``!explicit:true``, ``year:1990..1999``)."""
        if self.value is not None:
            body = self.value
        else:
            body = f"{_number(self.low)}..{_number(self.high)}"
        return f"{'!' if self.negate else ''}{self.name}:{body}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def parse(raw: str) -> Predicate:
    """One filter string to a predicate; FilterError says what is wrong."""
    text = raw.strip()
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(f"a filter is at most {MAX_FILTER_LENGTH} characters")
    negate = text.startswith("!")
    text = text[1:].strip() if negate else text
    name, colon, body = text.partition(":")
    name, body = name.strip(), body.strip()
    if not colon or not name or not body:
        raise FilterError(f"{raw!r} is not name:value, !name:value or name:lo..hi")
    low_text, dots, high_text = body.partition("..")
    if dots:
        low, high = _bound(low_text, raw), _bound(high_text, raw)
        if low is None and high is None:
            raise FilterError(f"{raw!r}: a range needs at least one end")
        if low is not None and high is not None and low > high:
            raise FilterError(f"{raw!r}: the range's low end is above its high end")
        return Predicate(name, None, low, high, negate)
    return Predicate(name, body, negate=negate)


def _bound(text: str, raw: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FilterError(f"{raw!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise FilterError(f"{raw!r}: {text!r} is not a finite number")
    return value


def parse_all(raws: list[str]) -> list[Predicate]:
    """Every filter of a request (at most :data:`MAX_FILTERS`)."""
    if len(raws) > MAX_FILTERS:
        raise FilterError(f"at most {MAX_FILTERS} filters in one request")
    return [parse(raw) for raw in raws if raw.strip()]


def check_names(catalog: Catalog, predicates: list[Predicate]) -> None:
    """FilterError naming the first predicate whose name no item has."""
    attributes: set[str] | None = None
    for predicate in predicates:
        name = predicate.name
        if predicate.is_range:
            if not catalog.has_numeric(name):
                raise FilterError(f"no item has a number for {name!r}, so it has no range")
            continue
        if name == "category":
            known = bool(catalog.category_names())
        elif name == "tag":
            known = bool(catalog.tag_names())
        elif name == "creator":
            known = bool(catalog.creator_fields())
        else:
            attributes = catalog.attribute_names() if attributes is None else attributes
            known = name in attributes
        if not known:
            raise FilterError(f"no item has {_described(name)}")


def _described(name: str) -> str:
    if name == "creator":
        return "a creator (an artist, author, creator... attribute)"
    if name in ("category", "tag"):
        return f"a {name}"
    return f"an attribute {name!r}"


def mask_of(catalog: Catalog, predicates: list[Predicate]) -> Bools | None:
    """(size,) mask of the items every predicate keeps; None for no predicates."""
    if not predicates:
        return None
    check_names(catalog, predicates)
    keep = np.ones(catalog.size, dtype=bool)
    for predicate in predicates:
        matched = matches(catalog, predicate)
        keep &= ~matched if predicate.negate else matched
    return keep


def matches(catalog: Catalog, predicate: Predicate) -> Bools:
    """(size,) the items ``predicate`` holds for, its negation left aside."""
    name, value = predicate.name, predicate.value
    if value is None:
        numbers = catalog.numeric(name)
        low = -np.inf if predicate.low is None else predicate.low
        high = np.inf if predicate.high is None else predicate.high
        with np.errstate(invalid="ignore"):
            return (numbers >= low) & (numbers <= high)
    if name == "category":
        return catalog.category_mask(value).copy()
    if name == "tag":
        return catalog.tag_mask(value).copy()
    if name == "creator":
        return catalog.creator_mask(value)
    matched = catalog.attribute_mask(name, value).copy()
    number = _as_number(value)
    if number is not None and catalog.has_numeric(name):
        matched |= catalog.numeric(name) == number
    return matched


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
