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
from typing import TYPE_CHECKING, Any, cast

from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Retriever
from pulserec.models.cf.als import ALS
from pulserec.models.cf.bpr import BPR
from pulserec.models.cf.ease import EASE
from pulserec.models.cf.knn import ItemKNN, UserKNN
from pulserec.models.cf.popular import Popularity
from pulserec.models.cf.svd import BiasedMF
from pulserec.models.persistable import Model, is_persistable
from pulserec.models.sequence.transitions import Transitions

if TYPE_CHECKING:
    from pulserec.models.hybrid.learned import HybridRanker


@dataclass(frozen=True)
class ModelSpec:
    """How to build, and what to try, for one named model."""

    build: Callable[..., Retriever]
    defaults: dict[str, Any] = field(default_factory=dict)
    search_space: dict[str, list[Any]] = field(default_factory=dict)
    rating: bool = False
    needs_vectors: bool = False  # built with ``vectors=ItemVectors`` (item text embeddings)
    protocol_params: dict[str, dict[str, Any]] = field(default_factory=dict)


MODELS: dict[str, ModelSpec] = {}


def register(name: str, spec: ModelSpec) -> None:
    """Add a model under ``name`` (each retriever module registers itself)."""
    MODELS[name] = spec


def names() -> list[str]:
    """The registered model names, in registration order."""
    return list(MODELS)


def make(name: str, vectors: ItemVectors | None = None, **params: Any) -> Retriever:
    """A fresh, unfitted model: defaults overridden by ``params``; text models get ``vectors``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    spec = MODELS[name]
    if spec.needs_vectors:
        if vectors is None:
            raise ValueError(f"model {name!r} needs item text vectors")
        return spec.build(vectors=vectors, **{**spec.defaults, **params})
    return spec.build(**{**spec.defaults, **params})


def make_model(name: str, vectors: ItemVectors | None = None, **params: Any) -> Model:
    """:func:`make`, typed as the persistable model it is (TypeError for a class that has not
    opted in with ``@persistable``)."""
    model = make(name, vectors, **params)
    if not is_persistable(type(model)):
        raise TypeError(f"model {name!r} ({type(model).__name__}) is not persistable")
    return cast(Model, model)


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


# the next-item family: cheap counted transitions (the costly network is registered below)
register(
    "transitions",
    ModelSpec(
        Transitions,
        {"window": 20, "decay": 0.9, "recent": 30, "recent_decay": 0.8},
        {"window": [3, 10], "recent_decay": [0.5, 0.8]},
    ),
)


# Models that read item text (built with ``vectors=``). The hybrid learns its ranker on each
# user's most recent events (what a server faces next); where a protocol tests on something
# else it learns on the same kind of holdout: a random sample of each user's events (the
# deployment setting for catalogs whose order does not matter), or the events after a global
# time cut (a horizon of weeks, the deployment setting for lists refreshed rarely).
_HOLDOUT_AS_TESTED = {"random": {"holdout": "random"}, "temporal": {"holdout": "cut"}}


def _content(vectors: ItemVectors, **params: Any) -> Retriever:
    from pulserec.models.text.content import ContentRetriever

    return ContentRetriever(vectors, **params)


def _sequence(vectors: ItemVectors, **params: Any) -> Retriever:
    from pulserec.models.sequence.sequential import SequenceRetriever

    return SequenceRetriever(vectors, **params)


HYBRID_SOURCES = (
    "ease",
    "als",
    "itemknn",
    "userknn",
    "pop",
    "content",
    "transitions",
    "sequence",
)


def hybrid(
    vectors: ItemVectors, without: tuple[str, ...] = (), learned: bool = True, **params: Any
) -> HybridRanker:
    """Every source (with its registered defaults) but ``without``, fused by the ranker."""
    from pulserec.models.hybrid.learned import HybridRanker

    names = [name for name in HYBRID_SOURCES if name not in without]
    sources = {name: make_model(name, vectors=vectors) for name in names}
    return HybridRanker(sources, item_text=vectors, learned=learned, **params)


register(
    "content",
    ModelSpec(
        _content,
        {"half_life": None, "rating_center": None},
        {"half_life": [20.0, 50.0, None], "rating_center": [None, 3.0]},
        needs_vectors=True,
    ),
)
register(
    "sequence", ModelSpec(_sequence, {"epochs": 12, "lr": 3e-3, "seed": 0}, needs_vectors=True)
)
# DP-SGD (pulserec.models.sequence.dp_sgd): one example per user, items through their public text
_PRIVATE_SEQUENCE = {
    "seed": 0,
    "dropout": 0.0,
    "dp_epochs": 25,
    "dp_batch_size": 128,
    "dp_lr": 3e-3,
    "dp_text_dim": 64,
}
register(
    "sequence-dp8",
    ModelSpec(_sequence, {**_PRIVATE_SEQUENCE, "dp_epsilon": 8.0}, needs_vectors=True),
)
register(
    "sequence-dp1",
    ModelSpec(_sequence, {**_PRIVATE_SEQUENCE, "dp_epsilon": 1.0}, needs_vectors=True),
)
register(
    "hybrid", ModelSpec(hybrid, {"seed": 0}, needs_vectors=True, protocol_params=_HOLDOUT_AS_TESTED)
)
register(
    "hybrid-no-content",
    ModelSpec(
        hybrid,
        {"seed": 0, "without": ("content",)},
        needs_vectors=True,
        protocol_params=_HOLDOUT_AS_TESTED,
    ),
)
register(
    "hybrid-no-sequence",
    ModelSpec(
        hybrid,
        {"seed": 0, "without": ("sequence",)},
        needs_vectors=True,
        protocol_params=_HOLDOUT_AS_TESTED,
    ),
)
register(
    "hybrid-rrf",
    ModelSpec(
        hybrid,
        {"seed": 0, "learned": False},
        needs_vectors=True,
        protocol_params=_HOLDOUT_AS_TESTED,
    ),
)


def _diversified(vectors: ItemVectors, diversity: float = 0.3, **params: Any) -> Retriever:
    """The hybrid with MMR re-ranking over item text vectors."""
    from pulserec.models.hybrid.diversity import Diversified

    return Diversified(hybrid(vectors, **params), vectors, diversity=diversity)


register(
    "hybrid-mmr",
    ModelSpec(
        _diversified,
        {"seed": 0, "diversity": 0.3},
        needs_vectors=True,
        protocol_params=_HOLDOUT_AS_TESTED,
    ),
)
