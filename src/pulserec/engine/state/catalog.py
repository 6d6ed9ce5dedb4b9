"""Item-side serving state: which items may be served, their categories and text vectors.

Arrays are aligned with the shared items ``IdMap`` and grow with it. Text vectors live twice:
in a dense table (row = item index; for taste vectors, MMR and explanations) and in a
``VectorIndex`` (exact or HNSW; for search, similar items and fresh-item retrieval).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from pulserec.core.creators import CREATOR_FIELDS
from pulserec.core.ids import IdMap
from pulserec.core.text import without_accents
from pulserec.core.types import Item
from pulserec.index import VectorIndex, make_index

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]


class Catalog:
    """Live items: servable mask, categories, vectors and the vector index."""

    def __init__(
        self,
        items: IdMap,
        dim: int,
        index: VectorIndex | None = None,
        dtype: str = "float32",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.items = items
        self.dim = dim
        self.index = index if index is not None else make_index(dim)
        self._lock = threading.Lock()
        self._servable = np.zeros(0, dtype=bool)
        self._has_vector = np.zeros(0, dtype=bool)
        self._vectors = np.zeros((0, dim), dtype=dtype)
        self._categories: dict[str, set[int]] = {}
        self._item_categories: dict[int, tuple[str, ...]] = {}
        self._masks: OrderedDict[str, Bools] = OrderedDict()  # at most KEPT_MASKS
        self.version = 0  # bumped by every change to what may be served
        self._numeric: dict[str, npt.NDArray[np.float64]] = {}  # attribute -> value (NaN: none)
        self._tags = _Labels()  # tag -> items
        self._strings = _Labels()  # "attribute\x00value" -> items (string attributes)
        self._flags = _Labels()  # "attribute\x00true|false" -> items (boolean attributes)
        # availability windows (available_from, expires_at; NaN: open), by the wall clock
        self.clock = clock
        self._starts = np.full(0, np.nan)
        self._ends = np.full(0, np.nan)
        self._windowed: set[int] = set()
        self._live: Bools | None = None  # servable and inside its window, for _live_version
        self._live_version = -1
        self._next_change = math.inf  # when the next window opens or closes
        self._names_cache: tuple[int, tuple[frozenset[str], frozenset[str]]] = (
            -1,
            (frozenset(), frozenset()),
        )

    # -- growth -----------------------------------------------------------------------------
    def _grow(self, size: int) -> None:
        if size <= self._servable.shape[0]:
            return
        capacity = max(size, 2 * self._servable.shape[0], 1024)
        self._servable = _resized(self._servable, capacity)
        self._has_vector = _resized(self._has_vector, capacity)
        self._starts = _widened(self._starts, capacity)
        self._ends = _widened(self._ends, capacity)
        vectors = np.zeros((capacity, self.dim), dtype=self._vectors.dtype)
        vectors[: self._vectors.shape[0]] = self._vectors
        self._vectors = vectors

    @property
    def size(self) -> int:
        """The number of item indices handed out (arrays are read up to here)."""
        return len(self.items)

    # -- writes -----------------------------------------------------------------------------
    def upsert(self, items: list[Item], vectors: Float32s | None) -> Int32s:
        """Register items (``vectors`` row per item, or None rows via a NaN first column)."""
        indices = np.array([self.items.add(item.id) for item in items], dtype=np.int32)
        with self._lock:
            self.version += 1
            self._grow(self.size)
            for index, item in zip(indices.tolist(), items, strict=True):
                self._servable[index] = not item.hidden
                self._set_window(index, item.available_from, item.expires_at)
                self._set_categories(index, item.categories)
                self._set_numeric(index, item.attributes)
                self._tags.set(index, item.tags)
                self._strings.set(index, _string_attributes(item.attributes))
                self._flags.set(index, _flag_attributes(item.attributes))
            if vectors is not None:
                has = ~np.isnan(vectors[:, 0]) if len(vectors) else np.zeros(0, dtype=bool)
                self._vectors[indices[has]] = vectors[has]
                self._has_vector[indices] = has
                self.index.remove(indices[~has].astype(np.int64))
                if has.any():
                    self.index.upsert(indices[has].astype(np.int64), vectors[has])
        return indices

    def _set_window(self, index: int, start: float | None, end: float | None) -> None:
        self._starts[index] = np.nan if start is None else start
        self._ends[index] = np.nan if end is None else end
        if start is None and end is None:
            self._windowed.discard(index)
        else:
            self._windowed.add(index)

    def mark_placeholders(self, item_ids: list[str]) -> None:
        """Items known only from events: servable by collaborative models, no text."""
        indices = [self.items.add(i) for i in item_ids]
        with self._lock:
            self.version += 1
            self._grow(self.size)
            self._servable[indices] = True

    def _set_categories(self, index: int, categories: tuple[str, ...]) -> None:
        for old in self._item_categories.pop(index, ()):
            key = old.lower()
            self._categories.get(key, set()).discard(index)
            self._masks.pop(key, None)
        kept = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
        if kept:
            self._item_categories[index] = kept
        for category in kept:
            key = category.lower()
            self._categories.setdefault(key, set()).add(index)
            self._masks.pop(key, None)

    def _set_numeric(self, index: int, attributes: dict[str, object]) -> None:
        for name, column in self._numeric.items():
            if name not in attributes and index < column.shape[0]:
                column[index] = np.nan
        for name, value in attributes.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            column = self._numeric.get(name, np.zeros(0))
            if column.shape[0] <= index:
                grown = np.full(max(index + 1, 2 * column.shape[0], 1024), np.nan)
                grown[: column.shape[0]] = column
                column = grown
            column[index] = float(value)
            self._numeric[name] = column

    def numeric(self, name: str) -> npt.NDArray[np.float64]:
        """(size,) values of a numeric attribute (``year``, ``price``...), NaN where absent."""
        column = self._numeric.get(name)
        out = np.full(self.size, np.nan)
        if column is not None:
            n = min(self.size, column.shape[0])
            out[:n] = column[:n]
        return out

    def category_names(self) -> list[str]:
        """Every category as items spell it (one spelling per lower-case name)."""
        names: dict[str, str] = {}
        for categories in list(self._item_categories.values()):
            for category in categories:
                names.setdefault(category.lower(), category)
        return sorted(names.values())

    def remove(self, item_id: str) -> int | None:
        """Forget a deleted item everywhere at once; returns its former index."""
        index = self.items.get(item_id)
        if index is None:
            return None
        with self._lock:
            self.version += 1
            self._servable[index] = False
            self._has_vector[index] = False
            self._set_window(index, None, None)
            self._set_categories(index, ())
            self._tags.set(index, ())
            self._strings.set(index, ())
            self._flags.set(index, ())
            self.index.remove(np.array([index], dtype=np.int64))
        self.items.remove(item_id)
        return index

    # -- reads ------------------------------------------------------------------------------
    def tick(self) -> None:
        """Move the version when an item's window opened or closed since the last read, so
        every answer cached against the version is computed again (the engine calls this
        before each read)."""
        if self.clock() >= self._next_change and self._live_version == self.version:
            with self._lock:
                self.version += 1

    def servable(self) -> Bools:
        """(size,) mask of items that may appear in results: not hidden, not deleted, and
        inside their availability window now."""
        if not self._windowed:
            self._next_change = math.inf
            return self._servable[: self.size]
        self.tick()
        live, version = self._live, self.version
        if live is None or self._live_version != version or live.shape[0] < self.size:
            now = self.clock()
            n = self.size
            starts, ends = self._starts[:n], self._ends[:n]
            with np.errstate(invalid="ignore"):
                inside = ~(starts > now) & ~(ends <= now)
                later = np.concatenate([starts[starts > now], ends[ends > now]])
            live = self._servable[:n] & inside
            self._next_change = float(later.min()) if later.size else math.inf
            self._live, self._live_version = live, version
        return live[: self.size]

    def servable_or_hidden(self, index: int) -> bool:
        """Whether ``index`` is a live catalog item (hidden ones included)."""
        return 0 <= index < self.size and self.items.id_of_or_none(index) is not None

    def has_vector(self) -> Bools:
        return self._has_vector[: self.size]

    def vectors(self) -> npt.NDArray[np.floating]:
        """(size, dim) text vectors (zero rows where an item has none)."""
        return self._vectors[: self.size]

    def vector(self, index: int) -> Float32s | None:
        if 0 <= index < self.size and self._has_vector[index]:
            row: Float32s = self._vectors[index].astype(np.float32)
            return row
        return None

    def categories_of(self, index: int) -> tuple[str, ...]:
        return self._item_categories.get(index, ())

    def has_category(self, category: str) -> bool:
        """Whether any item is in ``category`` (case-insensitive)."""
        return bool(self._categories.get(category.strip().lower()))

    def category_mask(self, category: str) -> Bools:
        """(size,) mask of items in ``category`` (case-insensitive), cached until it changes;
        names no item has are not cached, so unknown names cost no memory."""
        key = category.strip().lower()
        members = self._categories.get(key)
        if not members:
            return np.zeros(self.size, dtype=bool)
        mask = self._masks.get(key)
        if mask is None or mask.shape[0] < self.size:
            mask = np.zeros(self.size, dtype=bool)
            mask[np.fromiter(members, dtype=np.int64, count=len(members))] = True
            _keep(self._masks, key, mask)
        return mask[: self.size]

    def tag_names(self) -> list[str]:
        """Every tag items carry (one spelling per lower-case name)."""
        return self._tags.names()

    def tag_mask(self, tag: str) -> Bools:
        """(size,) mask of items tagged ``tag`` (case-insensitive)."""
        return self._tags.mask(tag, self.size)

    def attribute_values(self) -> dict[str, list[str]]:
        """String attributes and their values, e.g. ``{"brand": ["Soleway", ...]}``."""
        out: dict[str, list[str]] = {}
        for key in self._strings.names():
            name, value = key.split(_SEP, 1)
            out.setdefault(name, []).append(value)
        return out

    def attribute_count(self, name: str, value: str) -> int:
        """How many items have string attribute ``name`` equal to ``value``."""
        return self._strings.count(f"{name}{_SEP}{value}")

    def attribute_mask(self, name: str, value: str) -> Bools:
        """(size,) mask of items whose attribute ``name`` is ``value``: a string (any case,
        accents folded), one of a list of strings, or a boolean as ``true``/``false``."""
        mask = self._strings.mask(f"{name}{_SEP}{value}", self.size)
        if fold(value) in ("true", "false"):
            mask = mask | self._flags.mask(f"{name}{_SEP}{value}", self.size)
        return mask

    def flag_names(self) -> list[str]:
        """Boolean attributes some item has (``explicit``, ``in_stock``...)."""
        return sorted({label.split(_SEP, 1)[0] for label in self._flags.names()})

    def attribute_names(self) -> set[str]:
        """Every attribute name some item has a usable value for (string, list of strings,
        boolean or number); read once per catalog version."""
        return set(self._names()[0])

    def has_numeric(self, name: str) -> bool:
        """Whether some item has a number for attribute ``name``."""
        return name in self._names()[1]

    def _names(self) -> tuple[frozenset[str], frozenset[str]]:
        """(every attribute name, the numeric ones), cached until the catalog changes: a
        filtered list or a search asks for them on every request."""
        version, cached = self._names_cache
        if version == self.version:
            return cached
        numeric = frozenset(
            n for n, column in self._numeric.items() if bool(np.isfinite(column[: self.size]).any())
        )
        names = {label.split(_SEP, 1)[0] for label in self._strings.names()}
        names.update(self.flag_names())
        found = (frozenset(names | numeric), numeric)
        self._names_cache = (self.version, found)
        return found

    def creator_fields(self) -> list[str]:
        """The attribute names that hold creators here (``artist``, ``author``...)."""
        present = self.attribute_names()
        return [name for name in CREATOR_FIELDS if name in present]

    def creator_mask(self, name: str) -> Bools:
        """(size,) mask of items whose creator (any of :data:`CREATOR_FIELDS`) is ``name``."""
        mask = np.zeros(self.size, dtype=bool)
        for field in self.creator_fields():
            mask |= self.attribute_mask(field, name)
        return mask

    def creator_names(self) -> list[str]:
        """Every creator's name as items spell it."""
        values = self.attribute_values()
        return sorted({v for field in self.creator_fields() for v in values.get(field, [])})


_SEP = "\x00"


def fold(text: str) -> str:
    """A label's matching form: trimmed, case-folded, accents removed ("Björk" -> "bjork",
    "Motörhead" -> "motorhead")."""
    return without_accents(text.strip().casefold())


def _flag_attributes(attributes: dict[str, object]) -> tuple[str, ...]:
    """``name\x00true|false`` per boolean attribute."""
    return tuple(
        f"{name}{_SEP}{'true' if value else 'false'}"
        for name, value in attributes.items()
        if isinstance(value, bool) and _SEP not in name
    )


def _string_attributes(attributes: dict[str, object]) -> tuple[str, ...]:
    """``name\x00value`` per string value and string list element."""
    out: list[str] = []
    for name, value in attributes.items():
        if _SEP in name:
            continue
        if isinstance(value, str) and value.strip():
            out.append(f"{name}{_SEP}{value.strip()}")
        elif isinstance(value, list | tuple):
            out.extend(
                f"{name}{_SEP}{v.strip()}" for v in value[:100] if isinstance(v, str) and v.strip()
            )
    return tuple(out)


class _Labels:
    """Items per case-insensitive label (tags, attribute values), with cached masks."""

    def __init__(self) -> None:
        self._members: dict[str, set[int]] = {}
        self._spelling: dict[str, str] = {}
        self._of: dict[int, tuple[str, ...]] = {}
        self._masks: OrderedDict[str, Bools] = OrderedDict()  # at most KEPT_MASKS

    def set(self, index: int, labels: tuple[str, ...]) -> None:
        for old in self._of.pop(index, ()):
            members = self._members.get(old)
            if members is not None:
                members.discard(index)
                if not members:
                    del self._members[old]
                    self._spelling.pop(old, None)
            self._masks.pop(old, None)
        kept = tuple(dict.fromkeys(label.strip() for label in labels if label.strip()))
        keys = tuple(dict.fromkeys(fold(label) for label in kept))
        if keys:
            self._of[index] = keys
        for label in kept:
            key = fold(label)
            self._members.setdefault(key, set()).add(index)
            self._spelling.setdefault(key, label)
            self._masks.pop(key, None)

    def names(self) -> list[str]:
        return sorted(self._spelling.values())

    def count(self, label: str) -> int:
        return len(self._members.get(fold(label), ()))

    def mask(self, label: str, size: int) -> Bools:
        key = fold(label)
        members = self._members.get(key)
        if not members:  # unknown labels are not cached
            return np.zeros(size, dtype=bool)
        mask = self._masks.get(key)
        if mask is None or mask.shape[0] < size:
            mask = np.zeros(size, dtype=bool)
            mask[np.fromiter(members, dtype=np.int64, count=len(members))] = True
            _keep(self._masks, key, mask)
        return mask[:size]


KEPT_MASKS = 256  # cached masks per kind: a filter on every artist in turn holds no more


def _keep(masks: OrderedDict[str, Bools], key: str, mask: Bools) -> None:
    """Cache ``mask`` under ``key``, dropping the least recently cached beyond KEPT_MASKS."""
    masks[key] = mask
    masks.move_to_end(key)
    while len(masks) > KEPT_MASKS:
        masks.popitem(last=False)


def _widened(array: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    out = np.full(size, np.nan)
    out[: array.shape[0]] = array
    return out


def _resized(array: Bools, size: int) -> Bools:
    out = np.zeros(size, dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
