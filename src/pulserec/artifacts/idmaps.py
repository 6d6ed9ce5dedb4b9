"""Id maps and item text vectors on disk: JSON and ``.npz``, never pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from pulserec.core.ids import IdMap
from pulserec.core.item_vectors import ItemVectors

_HOLE = "\x00hole"


def idmap_ids(ids: IdMap) -> list[str | None]:
    """Every index's external id in index order, None for a hole."""
    out: list[str | None] = []
    for index in range(len(ids)):
        try:
            out.append(ids.id_of(index))
        except KeyError:
            out.append(None)
    return out


def idmap_from_ids(ids: list[str | None]) -> IdMap:
    """The IdMap with these ids at these indices (None leaves a hole)."""
    hole = _HOLE
    while hole in ids:
        hole += "\x00"
    out = IdMap()
    for external_id in ids:
        if external_id is None:
            out.add(hole)
            out.remove(hole)
        else:
            out.add(external_id)
    if len(out) != len(ids):
        raise ValueError("duplicate ids in a saved id map")
    return out


def save_idmap(ids: IdMap, path: Path) -> None:
    """``ids`` as JSON: ``{"format": 1, "ids": [...]}``, holes as null."""
    path.write_bytes(orjson.dumps({"format": 1, "ids": idmap_ids(ids)}))


def load_idmap(path: Path) -> IdMap:
    """The IdMap saved by :func:`save_idmap`, holes in place."""
    saved = orjson.loads(path.read_bytes())
    if saved.get("format") != 1:
        raise ValueError(f"{path}: unknown id map format {saved.get('format')!r}")
    return idmap_from_ids(saved["ids"])


def save_vectors(vectors: ItemVectors, path: Path, half: bool = False) -> None:
    """Item vectors as ``.npz``: ``ids`` (unicode) and ``vectors`` (float32, or float16 if
    ``half``: half the size, results then differ slightly from the float32 original)."""
    matrix = vectors.vectors.astype(np.float16 if half else np.float32)
    ids = np.asarray(vectors.ids, dtype=np.str_)
    with path.open("wb") as handle:
        np.savez(handle, ids=ids, vectors=matrix)


def load_vectors(path: Path) -> ItemVectors:
    """The item vectors saved by :func:`save_vectors`, as float32."""
    with np.load(path, allow_pickle=False) as archive:
        ids = [str(i) for i in archive["ids"].tolist()]
        return ItemVectors(ids, archive["vectors"].astype(np.float32))
