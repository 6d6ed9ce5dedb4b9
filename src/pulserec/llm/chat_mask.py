"""Constraints to one mask over a catalog, loosening the wanted ones (never the exclusions or
ranges) when too few items meet them all, and saying what was loosened.

Wanted: every included category, tag and attribute (several values of one attribute: any of
them). Excluded: each excluded name as a category and as a tag, excluded tags, excluded
attribute values. Ranges: numeric ``year`` and ``price``, noted and skipped when the catalog has
no such attribute. When fewer than ``min_all`` items meet everything, wanted conditions are
dropped one at a time, each time the one whose loss leaves the most items (the earlier-named
one is kept on ties), until enough items are left or one condition remains; what was dropped
goes into the semantic query instead, so it still ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pulserec.llm.catalog_reads import CatalogReads
from pulserec.llm.constraints import Constraints

Bools = npt.NDArray[np.bool_]
MIN_ALL_OF = 10


@dataclass(frozen=True)
class Wanted:
    """One wanted condition: how to name it, the words it adds to the query, its items, and
    the ``filter=`` string it is (None for several values of one attribute: any of them)."""

    label: str
    words: str
    mask: Bools
    filter: str | None = None


@dataclass
class MaskResult:
    """The mask, notes on what could not be checked, what was loosened and its words."""

    mask: Bools
    notes: list[str] = field(default_factory=list)
    relaxed: list[str] = field(default_factory=list)
    soft_text: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def wanted(catalog: CatalogReads, constraints: Constraints) -> list[Wanted]:
    """The wanted conditions, in the order they are listed in the constraints."""
    out = [Wanted(name, name.rsplit(">", 1)[-1].strip(), catalog.category_mask(name),
                  f"category:{name}") for name in constraints.include]  # fmt: skip
    out += [Wanted(f"tagged {tag}", tag, catalog.tag_mask(tag), f"tag:{tag}")
            for tag in constraints.tags]  # fmt: skip
    values: dict[str, list[str]] = {}
    for name, value in constraints.attributes:
        values.setdefault(name, []).append(value)
    for name, options in values.items():
        masks = [catalog.attribute_mask(name, value) for value in options]
        label = f"{name} {' or '.join(options)}"
        one = f"{name}:{options[0]}" if len(options) == 1 else None
        out.append(Wanted(label, " ".join(options), np.logical_or.reduce(masks), one))
    return out


def as_filters(catalog: CatalogReads, constraints: Constraints, result: MaskResult) -> list[str]:
    """The request as ``filter=`` strings (``constraints.filters``): the wanted conditions that
    held (not loosened), every exclusion, and the ranges the catalog can check."""
    held = set(result.kept) if result.relaxed else None
    out = [
        c.filter
        for c in wanted(catalog, constraints)
        if c.filter is not None and (held is None or c.label in held)
    ]
    out += [f"!category:{name}" for name in constraints.exclude]
    out += [f"!tag:{tag}" for tag in constraints.exclude_tags]
    out += [f"!{name}:{value}" for name, value in constraints.exclude_attributes]
    for attribute, low, high in (
        ("year", constraints.year_min, constraints.year_max),
        ("price", constraints.price_min, constraints.price_max),
    ):
        if (low is not None or high is not None) and not np.isnan(catalog.numeric(attribute)).all():
            out.append(f"{attribute}:{_end(low)}..{_end(high)}")
    return list(dict.fromkeys(out))


def _end(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def excluded(catalog: CatalogReads, constraints: Constraints) -> Bools:
    """Items that meet no exclusion."""
    keep = np.ones(catalog.size, dtype=bool)
    for name in constraints.exclude:
        keep &= ~catalog.category_mask(name) & ~catalog.tag_mask(name)
    for tag in constraints.exclude_tags:
        keep &= ~catalog.tag_mask(tag)
    for name, value in constraints.exclude_attributes:
        keep &= ~catalog.attribute_mask(name, value)
    return keep


def ranges(catalog: CatalogReads, constraints: Constraints, notes: list[str]) -> Bools:
    """Items inside the year and price ranges the catalog can check."""
    keep = np.ones(catalog.size, dtype=bool)
    for attribute, low, high in (
        ("year", constraints.year_min, constraints.year_max),
        ("price", constraints.price_min, constraints.price_max),
    ):
        if low is None and high is None:
            continue
        values = catalog.numeric(attribute)
        if np.isnan(values).all():
            notes.append(f"this catalog has no {attribute}, so that part was left out")
            continue
        inside = ~np.isnan(values)
        inside &= values >= (low if low is not None else -np.inf)
        inside &= values <= (high if high is not None else np.inf)
        keep &= inside
    return keep


def build_mask(
    catalog: CatalogReads, constraints: Constraints, min_all: int = MIN_ALL_OF
) -> MaskResult:
    """The mask for ``constraints`` over ``catalog``, loosened as the module says."""
    notes: list[str] = []
    base = catalog.servable() & excluded(catalog, constraints) & ranges(catalog, constraints, notes)
    conditions = wanted(catalog, constraints)
    result = MaskResult(base, notes)
    if not conditions:
        return result
    kept = list(conditions)

    def count(chosen: list[Wanted]) -> int:
        return int(np.logical_and.reduce([base, *(c.mask for c in chosen)]).sum())

    while len(kept) > 1 and count(kept) < min_all:
        scores = [count(kept[:j] + kept[j + 1 :]) for j in range(len(kept))]
        drop = max(range(len(kept)), key=lambda j: (scores[j], j))
        result.relaxed.append(kept[drop].label)
        result.soft_text.append(kept[drop].words)
        del kept[drop]
    result.mask = np.logical_and.reduce([base, *(c.mask for c in kept)])
    result.kept = [c.label for c in kept]
    if result.relaxed:
        every = " and ".join(c.label for c in conditions)
        left = " and ".join(result.kept)
        result.notes.append(
            f"fewer than {min_all} items are {every} together, so these are {left}"
            f" ({', '.join(result.relaxed)} only ranks them)"
        )
    return result
