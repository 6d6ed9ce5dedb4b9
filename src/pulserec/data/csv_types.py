"""Column types inferred in a CSV file (all strings): int, float or bool where every value is one.

A column is ``int`` when every non-null value is a whole number without leading zeros that fits
in 64 bits (so zip codes like ``02139`` and 20-digit barcodes stay strings), ``float`` when every
value is a decimal number (ints and decimals mixed) and finite, ``bool`` when every value is
``true`` or ``false`` (any of ``true True TRUE``); otherwise, or when the column is empty, string.
Records that cannot be used (``csv_text``) take no part.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulserec.data.csv_text import NULLS

_PATTERNS: dict[str, re.Pattern[str]] = {
    "int": re.compile(r"-?(?:0|[1-9][0-9]{0,17})"),
    "float": re.compile(
        r"-?(?:0|[1-9][0-9]{0,17}|[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?"
    ),
    "bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
}
Converter = Callable[[str], Any]
CONVERTERS: dict[str, Converter] = {
    "int": int,
    "float": float,
    "bool": lambda value: value.lower() == "true",
}


BLOCK_ROWS = 10_000


def _all_fit(values: list[str], kind: str) -> bool:
    if not all(map(_PATTERNS[kind].fullmatch, values)):
        return False
    return kind != "float" or all(map(math.isfinite, map(float, values)))


def infer_types(records: Iterable[list[str]], columns: Mapping[str, int]) -> dict[str, Converter]:
    """The converter of each of ``columns`` (name -> position) whose values all share a type."""
    candidates = {name: ["int", "float", "bool"] for name in columns}
    seen: set[str] = set()
    rows = iter(records)
    while candidates and (block := list(itertools.islice(rows, BLOCK_ROWS))):
        for name in list(candidates):
            at = columns[name]
            values = [cells[at] for cells in block if cells[at] not in NULLS]
            if not values:
                continue
            seen.add(name)
            candidates[name] = [kind for kind in candidates[name] if _all_fit(values, kind)]
            if not candidates[name]:
                del candidates[name]
    return {name: CONVERTERS[kinds[0]] for name, kinds in candidates.items() if name in seen}
