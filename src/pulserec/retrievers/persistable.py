"""How a model persists: one explicit protocol instead of reflection over its attributes.

A model is its constructor's keyword arguments (``init_params``, JSON-ready), its own learned
arrays (``state``; no pickle: numeric, bool or unicode dtypes), the models it is built around
(``children``, e.g. a hybrid's sources, saved and restored first), and the inputs it was built
over (``inputs``: the item text vectors and id maps, which a bundle stores once for all its
models). ``from_state`` is the inverse. A state key with a ``module.`` segment holds torch
weights (saved as safetensors); a key ending in ``.txt`` holds UTF-8 text as a uint8 array
(e.g. a LightGBM model, saved as a text file).

Classes opt in with :func:`persistable`, which records them under :func:`class_key` so that a
saved model names its class without any code being looked up by attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt

from pulserec.ids import IdMap
from pulserec.item_vectors import ItemVectors
from pulserec.retrievers.base import Retriever

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


def class_key(cls: type[Any]) -> str:
    """``module:qualname``, the name a saved model gives its class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def persistable(cls: type[ModelT]) -> type[ModelT]:
    """Class decorator: record ``cls`` in :data:`PERSISTABLE` (mypy checks the protocol)."""
    PERSISTABLE[class_key(cls)] = cls
    return cls


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
