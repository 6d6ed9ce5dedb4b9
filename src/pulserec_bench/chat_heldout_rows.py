"""The shape of a held-out chat request (see :mod:`pulserec_bench.chat_heldout`)."""

from __future__ import annotations

from typing import Any

Y = None  # an open end of a (min, max) range
Row = tuple[str, str, dict[str, Any]]  # (kind, message, expected)
KINDS = (
    "titles", "categories", "tags", "attributes", "negations", "years", "prices", "relaxations",
)  # fmt: skip
