"""One trained model as a directory of plain files, and back, through the Persistable protocol.

``model.json``: format, registry name and params, and the object tree: each node's class key
(``module:qualname``), its ``init_params``, and its ``children`` in order. ``state.npz``: every
node's ``state()``, children's under ``<child>.``. ``weights.safetensors``: torch weights (keys
with a ``module.`` segment). ``<key>.txt``: text entries (e.g. a hybrid's LightGBM model,
``ranker.txt``). ``vectors.npz`` / ``users.json`` / ``items.json``: the item text vectors and
id maps the model was built over (its ``inputs()``), when it holds them (bundles keep one
shared copy instead).

A node comes back as ``cls.from_state(params, state, children, vectors=, users=, items=)``, its
children first; ``cls`` is found in a lookup of class keys, by default the classes that opted
in with ``@persistable`` (the key's ``pulserec`` module is imported first, so that they have).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.artifacts.idmaps import load_idmap, load_vectors, save_idmap, save_vectors
from pulserec.core.ids import IdMap
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.arrays import (
    State,
    is_tensor_key,
    load_arrays,
    load_tensors,
    save_arrays,
    save_tensors,
    under,
    with_prefix,
)
from pulserec.models.persistable import (
    MODEL_MODULES,
    PERSISTABLE,
    TEXT_SUFFIX,
    ClassLookup,
    Inputs,
    Model,
    array_text,
    class_key,
    current_key,
    text_array,
)

FORMAT = 1
MODEL_FILE, STATE_FILE, TENSOR_FILE = "model.json", "state.npz", "weights.safetensors"
VECTORS_FILE, USERS_FILE, ITEMS_FILE = "vectors.npz", "users.json", "items.json"


def write_json(path: Path, value: Any) -> None:
    """``value`` as indented JSON (numpy scalars become Python numbers)."""
    text = json.dumps(
        value, indent=2, default=lambda v: v.item() if isinstance(v, np.generic) else v
    )
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def walk(model: Model) -> Iterator[Model]:
    """``model`` and every model inside it, depth first (ValueError for a class that has not
    opted in with ``@persistable``)."""
    class_key(type(model))  # ValueError unless it opted in
    yield model
    for child in model.children().values():
        yield from walk(child)


def inputs_of(model: Model) -> Inputs:
    """The vectors and id maps of ``model``'s tree: for each, the first one a node holds."""
    found = [node.inputs() for node in walk(model)]
    return Inputs(
        next((i.vectors for i in found if i.vectors is not None), None),
        next((i.users for i in found if i.users is not None), None),
        next((i.items for i in found if i.items is not None), None),
    )


def vectors_of(model: Model) -> ItemVectors | None:
    """The item text vectors ``model`` (or a model inside it) was built with."""
    return inputs_of(model).vectors


def tree_of(model: Model, prefix: str = "") -> tuple[dict[str, Any], State]:
    """The JSON node of ``model`` and the flat state of its tree (children under ``key.``)."""
    cls = type(model)
    node: dict[str, Any] = {"class": class_key(cls), "params": model.init_params()}
    state = with_prefix(prefix, model.state())
    nodes = []
    for key, child in model.children().items():
        child_node, child_state = tree_of(child, f"{prefix}{key}.")
        clash = [k for k in child_state if k in state]
        if clash:
            raise ValueError(f"state keys {clash} of {class_key(cls)} clash with child {key!r}")
        nodes.append({"key": key, **child_node})
        state.update(child_state)
    if nodes:
        node["children"] = nodes
    return node, state


def save_model(
    model: Model,
    name: str,
    params: dict[str, Any],
    directory: Path,
    *,
    with_vectors: bool = True,
    with_maps: bool = True,
    half_vectors: bool = False,
) -> None:
    """Write a fitted model (registry ``name``, built with ``params``) to ``directory``
    (created); ``model.json`` comes last."""
    directory.mkdir(parents=True, exist_ok=True)
    tree, state = tree_of(model)
    texts = sorted(key for key in state if key.endswith(TEXT_SUFFIX))
    for key in texts:
        (directory / key).write_text(array_text(state.pop(key)), encoding="utf-8")
    files: dict[str, Any] = {"state": STATE_FILE}
    save_arrays({k: v for k, v in state.items() if not is_tensor_key(k)}, directory / STATE_FILE)
    tensors = {k: v for k, v in state.items() if is_tensor_key(k)}
    if tensors:
        save_tensors(tensors, directory / TENSOR_FILE)
        files["tensors"] = TENSOR_FILE
    if texts:
        files["texts"] = texts
    files.update(_save_inputs(inputs_of(model), directory, with_vectors, with_maps, half_vectors))
    saved_at = datetime.now(UTC).isoformat()
    header = {"format": FORMAT, "name": name, "params": params, "saved_at": saved_at}
    write_json(directory / MODEL_FILE, {**header, "files": files, "model": tree})


def _save_inputs(
    inputs: Inputs, directory: Path, with_vectors: bool, with_maps: bool, half: bool
) -> dict[str, str]:
    """Save the vectors and id maps; the file names written, by role."""
    files = {}
    if with_vectors and inputs.vectors is not None:
        save_vectors(inputs.vectors, directory / VECTORS_FILE, half=half)
        files["vectors"] = VECTORS_FILE
    if with_maps:
        for role, ids, file_name in (
            ("users", inputs.users, USERS_FILE),
            ("items", inputs.items, ITEMS_FILE),
        ):
            if ids is not None:
                save_idmap(ids, directory / file_name)
                files[role] = file_name
    return files


class RegisteredClasses:
    """The default class lookup: classes that opted in with ``@persistable``, by their key
    (or the ``module:qualname`` key of a bundle saved before explicit keys), their module
    imported on first use."""

    def __getitem__(self, saved: str) -> type[Model]:
        key = current_key(saved)
        if key not in PERSISTABLE and key in MODEL_MODULES:
            importlib.import_module(MODEL_MODULES[key])
        if key not in PERSISTABLE:
            raise ValueError(f"{saved!r} is not a persistable model class")
        return PERSISTABLE[key]


@dataclass(frozen=True)
class _Context:
    """What every node gets on load, besides its params, state and children."""

    classes: ClassLookup | RegisteredClasses
    inputs: Inputs


def restore(node: dict[str, Any], state: State, context: _Context) -> Model:
    """The model of one JSON node, its children first."""
    cls = context.classes[node["class"]]
    children = {
        child["key"]: restore(child, under(f"{child['key']}.", state), context)
        for child in node.get("children", [])
    }
    inputs = context.inputs
    return cls.from_state(
        node["params"],
        state,
        children,
        vectors=inputs.vectors,
        users=inputs.users,
        items=inputs.items,
    )


def _load_state(directory: Path, saved: dict[str, Any]) -> State:
    """Every array, the tensors and the text entries of a saved model, by key."""
    files = saved["files"]
    state = load_arrays(directory / files["state"])
    if "tensors" in files:
        state.update(load_tensors(directory / files["tensors"]))
    texts = list(files.get("texts", [])) + list(_legacy_texts(saved["model"]))
    for key in texts:
        state[key] = text_array((directory / key).read_text(encoding="utf-8"))
    return state


def _legacy_texts(node: dict[str, Any]) -> Iterator[str]:
    """Text files named by nodes of bundles written before ``files.texts`` (``ranker``)."""
    if "ranker" in node:
        yield str(node["ranker"])
    for child in node.get("children", []):
        yield from _legacy_texts(child)


def load_model(
    directory: Path,
    vectors: ItemVectors | None = None,
    *,
    users: IdMap | None = None,
    items: IdMap | None = None,
    classes: ClassLookup | None = None,
) -> Model:
    """The model saved by :func:`save_model`. ``vectors``, ``users`` and ``items`` default to
    the saved ones; pass a bundle's shared maps so that ``update`` grows them together.
    ``classes`` maps class keys to classes (default: the ``@persistable`` ones)."""
    saved = read_json(directory / MODEL_FILE)
    if saved.get("format") != FORMAT:
        raise ValueError(f"{directory}: unknown model format {saved.get('format')!r}")
    files = saved["files"]
    if vectors is None and "vectors" in files:
        vectors = load_vectors(directory / files["vectors"])
    if users is None and "users" in files:
        users = load_idmap(directory / files["users"])
    if items is None and "items" in files:
        items = load_idmap(directory / files["items"])
    lookup = classes if classes is not None else RegisteredClasses()
    context = _Context(lookup, Inputs(vectors, users, items))
    return restore(saved["model"], _load_state(directory, saved), context)


def model_info(directory: Path) -> dict[str, Any]:
    """``model.json`` of a saved model (name, params, saved_at, files, tree)."""
    info: dict[str, Any] = read_json(directory / MODEL_FILE)
    return info
