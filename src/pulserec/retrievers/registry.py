"""Models by name, as ``pulserec evaluate --models`` and the engine's config name them.

Each entry gives a constructor taking keyword hyper-parameters, the defaults that match the
peers' defaults (for parity figures), and a small search space tuned on the validation split.
The collaborative-filtering family (``pop itemknn userknn als bpr ease svd``) is registered
here, on import; the model modules never import this one, so there is no import cycle (and
torch is imported only when a BPR model is fitted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulserec.retrievers.als import ALS
from pulserec.retrievers.base import Retriever
from pulserec.retrievers.bpr import BPR
from pulserec.retrievers.ease import EASE
from pulserec.retrievers.knn import ItemKNN, UserKNN
from pulserec.retrievers.popular import Popularity
from pulserec.retrievers.svd import BiasedMF


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


def load_models() -> dict[str, ModelSpec]:
    """Every registered model (kept for callers that load the registry explicitly)."""
    return MODELS


def names() -> list[str]:
    """The registered model names, in registration order."""
    return list(MODELS)


def make(name: str, **params: Any) -> Retriever:
    """A fresh, unfitted model: defaults overridden by ``params``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    spec = MODELS[name]
    return spec.build(**{**spec.defaults, **params})


# Defaults: the peers' defaults where a parity figure is reported (EASE l2=250; ItemKNN k=100,
# shrink=0, as RecBole), otherwise values tuned on ml-100k's random split (validation part).
# Search spaces stay small (<= 8 points each) so tuning the whole family takes about a minute.
register(
    "pop",
    ModelSpec(Popularity, {"half_life_days": None}, {"half_life_days": [None, 30.0, 90.0]}),
)
register(
    "itemknn",
    ModelSpec(
        ItemKNN,
        {"k": 100, "shrink": 0.0, "similarity": "cosine"},
        {"k": [50, 100, 200, 400], "shrink": [0.0, 10.0]},
    ),
)
register(
    "userknn",
    ModelSpec(
        UserKNN,
        {"k": 100, "shrink": 0.0, "similarity": "cosine"},
        {"k": [25, 50, 100, 200], "similarity": ["cosine", "pearson"]},
    ),
)
register(
    "als",
    ModelSpec(
        ALS,
        {"factors": 64, "regularization": 50.0, "alpha": 5.0, "iterations": 15, "seed": 0},
        {"regularization": [30.0, 50.0, 100.0], "alpha": [5.0, 10.0]},
    ),
)
register(
    "bpr",
    ModelSpec(
        BPR,
        {"factors": 64, "lr": 0.005, "reg": 0.01, "epochs": 20, "seed": 0},
        {"reg": [0.005, 0.01], "epochs": [20, 30]},
    ),
)
register("ease", ModelSpec(EASE, {"l2": 250.0}, {"l2": [100.0, 250.0, 500.0, 1000.0]}))
register(
    "svd",
    ModelSpec(
        BiasedMF,
        {"factors": 50, "lr": 0.01, "reg": 0.1, "epochs": 30, "seed": 0},
        {"factors": [20, 50], "epochs": [30, 40]},
        rating=True,
    ),
)
