"""Models by name, as ``pulserec evaluate --models`` and the engine's config name them.

Each entry gives a constructor taking keyword hyper-parameters, the defaults that match the
peers' defaults (for parity figures), and a small search space tuned on the validation split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulserec.retrievers.base import Retriever


@dataclass(frozen=True)
class ModelSpec:
    """How to build, and what to try, for one named model."""

    build: Callable[..., Retriever]
    defaults: dict[str, Any] = field(default_factory=dict)
    search_space: dict[str, list[Any]] = field(default_factory=dict)
    rating: bool = False


MODELS: dict[str, ModelSpec] = {}


def register(name: str, spec: ModelSpec) -> None:
    """Add a model under ``name`` (each retriever module registers itself)."""
    MODELS[name] = spec


def make(name: str, **params: Any) -> Retriever:
    """A fresh, unfitted model: defaults overridden by ``params``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    spec = MODELS[name]
    return spec.build(**{**spec.defaults, **params})
