"""How a model persists: one explicit protocol instead of reflection over its attributes.

A model is its constructor's keyword arguments (``init_params``, JSON-ready), its own learned
arrays (``state``; no pickle: numeric, bool or unicode dtypes), the models it is built around
(``children``, e.g. a hybrid's sources, saved and restored first), and the inputs it was built
over (``inputs``: the item text vectors and id maps, which a bundle stores once for all its
models). ``from_state`` is the inverse. A state key with a ``module.`` segment holds torch
weights (saved as safetensors); a key ending in ``.txt`` holds UTF-8 text as a uint8 array
(e.g. a LightGBM model, saved as a text file).

Classes opt in with :func:`persistable`, under an explicit key (``@persistable("als")``) that a
saved model names its class by: moving or renaming a module leaves saved bundles loadable.
:data:`MODEL_MODULES` says which module defines each key (imported on first load), and
:data:`LEGACY_KEYS` maps the ``module:qualname`` keys that bundles saved before explicit keys
carry to today's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Retriever

State = dict[str, npt.NDArray[Any]]
TEXT_SUFFIX = ".txt"


@dataclass(frozen=True)
class Inputs:
    """What a model was built over and gets back on load (None: it holds none)."""

    vectors: ItemVectors | None = None
    users: IdMap | None = None
    items: IdMap | None = None


class Persistable(Protocol):
    """A model that saves as params + arrays + children and comes back from them."""

    def init_params(self) -> dict[str, Any]: ...
    def state(self) -> State: ...
    def children(self) -> dict[str, Model]: ...
    def inputs(self) -> Inputs: ...

    @classmethod
    def from_state(
        cls,
        params: dict[str, Any],
        state: State,
        children: dict[str, Model],
        *,
        vectors: ItemVectors | None = None,
        users: IdMap | None = None,
        items: IdMap | None = None,
    ) -> Self: ...


class Model(Retriever, Persistable, Protocol):
    """A retriever that persists: what the registry builds and a bundle holds."""


ModelT = TypeVar("ModelT", bound=Model)
ClassLookup = Mapping[str, type[Model]]
PERSISTABLE: dict[str, type[Model]] = {}


# the module that defines each persistence key (imported when a saved model names the key)
MODEL_MODULES: dict[str, str] = {
    "pop": "pulserec.models.cf.popular",
    "itemknn": "pulserec.models.cf.knn",
    "userknn": "pulserec.models.cf.knn",
    "als": "pulserec.models.cf.als",
    "bpr": "pulserec.models.cf.bpr",
    "ease": "pulserec.models.cf.ease",
    "svd": "pulserec.models.cf.svd",
    "transitions": "pulserec.models.sequence.transitions",
    "content": "pulserec.models.text.content",
    "sequence": "pulserec.models.sequence.sequential",
    "hybrid": "pulserec.models.hybrid.learned",
    "mmr": "pulserec.models.hybrid.diversity",
}
# keys of bundles saved before explicit keys (``module:qualname``) -> today's keys; never shrinks
LEGACY_KEYS: dict[str, str] = {
    "pulserec.retrievers.popular:Popularity": "pop",
    "pulserec.retrievers.knn:ItemKNN": "itemknn",
    "pulserec.retrievers.knn:UserKNN": "userknn",
    "pulserec.retrievers.als:ALS": "als",
    "pulserec.retrievers.bpr:BPR": "bpr",
    "pulserec.retrievers.ease:EASE": "ease",
    "pulserec.retrievers.svd:BiasedMF": "svd",
    "pulserec.retrievers.transitions:Transitions": "transitions",
    "pulserec.retrievers.content:ContentRetriever": "content",
    "pulserec.retrievers.sequential:SequenceRetriever": "sequence",
    "pulserec.ranking.learned:HybridRanker": "hybrid",
    "pulserec.ranking.diversity:Diversified": "mmr",
}


def class_key(cls: type[Any]) -> str:
    """The persistence key ``cls`` was registered under (ValueError if it has none)."""
    key = getattr(cls, "persist_key", None)
    if not isinstance(key, str) or PERSISTABLE.get(key) is not cls:
        raise ValueError(f"{cls.__module__}.{cls.__qualname__} is not a persistable model class")
    return key


def is_persistable(cls: type[Any]) -> bool:
    """Whether ``cls`` opted in with :func:`persistable`."""
    key = getattr(cls, "persist_key", None)
    return isinstance(key, str) and PERSISTABLE.get(key) is cls


def persistable(key: str) -> Callable[[type[ModelT]], type[ModelT]]:
    """Class decorator: record the class in :data:`PERSISTABLE` under ``key``, the name saved
    models give it (mypy checks the protocol). A key is never reused for another class."""

    def register(cls: type[ModelT]) -> type[ModelT]:
        known = PERSISTABLE.get(key)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"persistence key {key!r} is taken by {known.__qualname__}")
        cls.persist_key = key  # type: ignore[attr-defined]
        PERSISTABLE[key] = cls
        return cls

    return register


def current_key(saved: str) -> str:
    """Today's key for a key found in a saved model (legacy ``module:qualname`` keys mapped)."""
    return LEGACY_KEYS.get(saved, saved)


def required(name: str, value: Any, owner: type[Any]) -> Any:
    """``value``, or a ValueError saying that ``owner`` needs ``name`` to load."""
    if value is None:
        raise ValueError(f"{owner.__name__} needs {name!r} to load (not saved, not given)")
    return value


def text_array(text: str) -> npt.NDArray[np.uint8]:
    """``text`` as a uint8 array of its UTF-8 bytes (a ``.txt`` state entry)."""
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()


def array_text(array: npt.NDArray[Any]) -> str:
    """The text of a ``.txt`` state entry."""
    return bytes(np.asarray(array, dtype=np.uint8)).decode("utf-8")
