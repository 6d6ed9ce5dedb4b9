"""One trained model as a directory of plain files, and back.

``model.json``: format, registry name and params, and the object tree: each node's class, its
constructor parameters, and its children (a hybrid's ``sources`` in order, a wrapper's
``base``). ``state.npz``: every array, children's under ``<child>.``. ``weights.safetensors``:
torch weights (keys with a ``module.`` segment). ``ranker.txt``: a LightGBM ranker's text model.
``vectors.npz`` / ``users.json`` / ``items.json``: the item text vectors and id maps the model
was trained with, when it holds them (bundles keep one shared copy instead).

A node's class is rebuilt with ``from_state(params, state, ...)``; what else it takes
(``vectors``, ``item_text``, ``users``, ``items``, ``sources``, ``base``, ``ranker_text``) is
read off its signature.
"""

from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulserec.artifacts.arrays import (
    State,
    is_tensor_key,
    load_arrays,
    load_tensors,
    save_arrays,
    save_tensors,
    state_of,
    under,
)
from pulserec.artifacts.idmaps import load_idmap, load_vectors, save_idmap, save_vectors
from pulserec.ids import IdMap
from pulserec.interactions import Interactions
from pulserec.item_vectors import ItemVectors
from pulserec.retrievers.base import Retriever
from pulserec.retrievers.registry import MODELS

FORMAT = 1
MODEL_FILE, STATE_FILE, TENSOR_FILE = "model.json", "state.npz", "weights.safetensors"
VECTORS_FILE, USERS_FILE, ITEMS_FILE = "vectors.npz", "users.json", "items.json"
_NOT_PARAMS = frozenset({"self", "vectors", "item_text", "sources", "base"})


def write_json(path: Path, value: Any) -> None:
    """``value`` as indented JSON (numpy scalars become Python numbers)."""
    text = json.dumps(value, indent=2, default=lambda v: v.item() if hasattr(v, "item") else v)
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def children(model: Any) -> tuple[str, dict[str, Any]]:
    """The models inside ``model`` and the ``from_state`` argument that takes them back: a
    hybrid's ``sources`` by name, or a wrapper's ``base``."""
    sources = getattr(model, "sources", None)
    if isinstance(sources, dict):
        return "sources", dict(sources)
    base = getattr(model, "base", None)
    return "base", ({"base": base} if base is not None else {})


def vectors_of(model: Any) -> ItemVectors | None:
    """The item text vectors ``model`` (or a model inside it) was built with."""
    for attribute in ("vectors", "item_text"):
        found = getattr(model, attribute, None)
        if isinstance(found, ItemVectors):
            return found
    return next((v for c in children(model)[1].values() if (v := vectors_of(c))), None)


def id_maps_of(model: Any) -> tuple[IdMap | None, IdMap | None]:
    """The (users, items) maps ``model`` holds (None where it holds none)."""
    data = getattr(model, "data_", None)
    if isinstance(data, Interactions):
        return data.users, data.items
    items = getattr(model, "items_", None)
    found: tuple[IdMap | None, IdMap | None] = (None, items if isinstance(items, IdMap) else None)
    for child in children(model)[1].values():
        users, child_items = id_maps_of(child)
        found = (found[0] or users, found[1] or child_items)
    return found


def init_params(model: Any) -> dict[str, Any]:
    """``model``'s constructor arguments: its ``init_params()``, else the same-named attributes."""
    own = getattr(model, "init_params", None)
    if own is not None:
        return dict(own())
    names = [p for p in inspect.signature(type(model).__init__).parameters if p not in _NOT_PARAMS]
    missing = [p for p in names if not hasattr(model, p)]
    if missing:
        raise TypeError(f"cannot record {type(model).__name__}'s parameters {missing}")
    return {p: getattr(model, p) for p in names}


def describe(model: Any, prefix: str, rankers: dict[str, str]) -> dict[str, Any]:
    """The JSON node of ``model``; LightGBM texts are collected into ``rankers`` by file name."""
    cls = type(model)
    node: dict[str, Any] = {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "params": init_params(model),
    }
    role, inner = children(model)
    if inner:
        node["children"] = [
            {"key": key, **describe(child, f"{prefix}{key}.", rankers)}
            for key, child in inner.items()
        ]
        node["role"] = role
    text = model.ranker_text() if hasattr(model, "ranker_text") else None
    if text is not None:
        node["ranker"] = f"{prefix}ranker.txt"
        rankers[node["ranker"]] = text
    return node


def save_model(
    model: Retriever,
    name: str,
    params: dict[str, Any],
    directory: Path,
    *,
    with_vectors: bool = True,
    with_maps: bool = True,
    half_vectors: bool = False,
) -> None:
    """Write a fitted registry model to ``directory`` (created); ``model.json`` comes last."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}")
    directory.mkdir(parents=True, exist_ok=True)
    state, rankers = state_of(model), dict[str, str]()
    tree = describe(model, "", rankers)
    files: dict[str, str] = {"state": STATE_FILE}
    save_arrays({k: v for k, v in state.items() if not is_tensor_key(k)}, directory / STATE_FILE)
    tensors = {k: v for k, v in state.items() if is_tensor_key(k)}
    if tensors:
        save_tensors(tensors, directory / TENSOR_FILE)
        files["tensors"] = TENSOR_FILE
    for file_name, text in rankers.items():
        (directory / file_name).write_text(text, encoding="utf-8")
    files.update(_save_context(model, directory, with_vectors, with_maps, half_vectors))
    saved_at = datetime.now(UTC).isoformat()
    header = {"format": FORMAT, "name": name, "params": params, "saved_at": saved_at}
    write_json(directory / MODEL_FILE, {**header, "files": files, "model": tree})


def _save_context(
    model: Any, directory: Path, with_vectors: bool, with_maps: bool, half: bool
) -> dict[str, str]:
    """Save the vectors and id maps ``model`` holds; the file names written, by role."""
    files = {}
    vectors = vectors_of(model) if with_vectors else None
    if vectors is not None:
        save_vectors(vectors, directory / VECTORS_FILE, half=half)
        files["vectors"] = VECTORS_FILE
    users, items = id_maps_of(model) if with_maps else (None, None)
    for role, ids, file_name in (("users", users, USERS_FILE), ("items", items, ITEMS_FILE)):
        if ids is not None:
            save_idmap(ids, directory / file_name)
            files[role] = file_name
    return files


@dataclass(frozen=True)
class _Context:
    """What nodes may ask for on load, besides their params and state."""

    directory: Path
    vectors: ItemVectors | None
    users: IdMap | None
    items: IdMap | None


def model_class(path: str) -> type[Any]:
    """The class ``module:qualname``, only from this package and only if it has ``from_state``."""
    module_name, _, qualname = path.partition(":")
    if not module_name.startswith("pulserec."):
        raise ValueError(f"refusing to load class {path!r} from outside pulserec")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not isinstance(cls, type) or not hasattr(cls, "from_state"):
        raise ValueError(f"{path!r} is not a model class with from_state")
    return cls


def restore(node: dict[str, Any], state: State, context: _Context) -> Any:
    """The model of one JSON node, its children first."""
    cls = model_class(node["class"])
    offered: dict[str, Any] = {
        "vectors": context.vectors,
        "item_text": context.vectors,
        "users": context.users,
        "items": context.items,
    }
    inner = {
        child["key"]: restore(child, under(f"{child['key']}.", state), context)
        for child in node.get("children", [])
    }
    if inner:
        offered[node["role"]] = inner["base"] if node["role"] == "base" else inner
    if "ranker" in node:
        offered["ranker_text"] = (context.directory / node["ranker"]).read_text(encoding="utf-8")
    accepted = inspect.signature(cls.from_state).parameters
    kwargs = {k: v for k, v in offered.items() if k in accepted}
    for key, parameter in accepted.items():
        if key in kwargs and kwargs[key] is None and parameter.default is inspect.Parameter.empty:
            raise ValueError(f"{cls.__name__} needs {key!r} to load (not saved, not given)")
    return cls.from_state(node["params"], state, **kwargs)


def load_model(
    directory: Path,
    vectors: ItemVectors | None = None,
    *,
    users: IdMap | None = None,
    items: IdMap | None = None,
) -> Retriever:
    """The model saved by :func:`save_model`. ``vectors``, ``users`` and ``items`` default to
    the saved ones; pass a bundle's shared maps so that ``update`` grows them together."""
    saved = read_json(directory / MODEL_FILE)
    if saved.get("format") != FORMAT:
        raise ValueError(f"{directory}: unknown model format {saved.get('format')!r}")
    files = saved["files"]
    state = load_arrays(directory / files["state"])
    if "tensors" in files:
        state.update(load_tensors(directory / files["tensors"]))
    if vectors is None and "vectors" in files:
        vectors = load_vectors(directory / files["vectors"])
    if users is None and "users" in files:
        users = load_idmap(directory / files["users"])
    if items is None and "items" in files:
        items = load_idmap(directory / files["items"])
    model: Retriever = restore(saved["model"], state, _Context(directory, vectors, users, items))
    return model


def model_info(directory: Path) -> dict[str, Any]:
    """``model.json`` of a saved model (name, params, saved_at, files, tree)."""
    info: dict[str, Any] = read_json(directory / MODEL_FILE)
    return info
