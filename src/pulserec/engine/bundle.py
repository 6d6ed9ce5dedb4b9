"""A trained set of models, swapped into the engine as one immutable unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulserec.retrievers.base import Retriever


@dataclass(frozen=True)
class ModelBundle:
    """Models by name, the number of items they were trained on, and where they came from."""

    version: str
    models: dict[str, Retriever]
    n_items: int
    meta: dict[str, Any] = field(default_factory=dict)
