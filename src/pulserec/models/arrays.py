"""Array-level helpers for model state: no pickle anywhere.

A model's state is a flat ``dict[str, ndarray]``. Keys under a ``module.`` segment are torch
weights and go to a ``.safetensors`` file; every other array goes to an ``.npz`` read back with
``allow_pickle=False`` (numeric, bool and unicode dtypes only; object arrays are refused).
This module imports nothing from the models, so the models can use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core import event_types
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions

State = dict[str, npt.NDArray[Any]]
TENSOR_SEGMENT = "module."
_COLUMNS = ("user_idx", "item_idx", "type_code", "value", "timestamp")
_TYPE_NAMES = "type_names"


def interactions_state(prefix: str, data: Interactions) -> State:
    """The event columns of ``data`` under ``prefix`` (the id maps are saved separately), with
    the event type names by code: what a saved code means does not depend on the ``[events]``
    table of the process that reads it back."""
    columns: tuple[npt.NDArray[Any], ...] = (
        data.user_idx,
        data.item_idx,
        data.type_code,
        data.value,
        data.timestamp,
    )
    out = {f"{prefix}{name}": column for name, column in zip(_COLUMNS, columns, strict=True)}
    out[f"{prefix}{_TYPE_NAMES}"] = np.array(event_types.names(), dtype=np.str_)
    return out


def interactions_from_state(prefix: str, state: State, users: IdMap, items: IdMap) -> Interactions:
    """The events saved by :func:`interactions_state`, over ``users`` and ``items``; type codes
    are mapped to this process's codes for the same names (state saved before names were kept
    has built-in types only, whose codes never change)."""
    user_idx, item_idx, type_code, value, timestamp = (
        np.array(state[f"{prefix}{column}"]) for column in _COLUMNS
    )
    saved = state.get(f"{prefix}{_TYPE_NAMES}")
    if saved is not None and type_code.size:
        codes = np.array([event_types.code_of(str(name)) for name in saved], dtype=np.int8)
        type_code = codes[type_code]
    return Interactions(users, items, user_idx, item_idx, type_code, value, timestamp)


def with_prefix(prefix: str, state: State) -> State:
    """``state`` with every key prefixed."""
    return {f"{prefix}{key}": value for key, value in state.items()}


def under(prefix: str, state: State) -> State:
    """The entries of ``state`` under ``prefix``, with the prefix stripped."""
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}


def placeholder_map(size: int) -> IdMap:
    """An IdMap of ``size`` made-up ids (``"0"``, ``"1"``, ...) for when the real one is absent."""
    return IdMap(str(index) for index in range(size))


def is_tensor_key(key: str) -> bool:
    """Whether ``key`` names torch weights (a ``module.`` segment)."""
    return key.startswith(TENSOR_SEGMENT) or f".{TENSOR_SEGMENT}" in key


def check_plain(state: State) -> None:
    """TypeError for any array that would need pickle (object dtype) or is not an ndarray."""
    for key, value in state.items():
        if not isinstance(value, np.ndarray) or value.dtype.hasobject:
            raise TypeError(f"state entry {key!r} is not a plain array: {type(value).__name__}")


def save_arrays(state: State, path: Path) -> None:
    """``state`` as an uncompressed ``.npz`` (fast to load)."""
    check_plain(state)
    arrays: dict[str, Any] = dict(state)
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def load_arrays(path: Path) -> State:
    """An ``.npz`` written by :func:`save_arrays`, read without pickle."""
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def save_tensors(state: State, path: Path) -> None:
    """Torch weights (as numpy arrays) in the safetensors format."""
    from safetensors.numpy import save_file

    check_plain(state)
    save_file({key: np.ascontiguousarray(value) for key, value in state.items()}, str(path))
    path.chmod(0o644)  # safetensors writes owner-only; the other artifact files are readable


def load_tensors(path: Path) -> State:
    """Weights written by :func:`save_tensors`."""
    from safetensors.numpy import load_file

    loaded: State = load_file(str(path))
    return loaded
