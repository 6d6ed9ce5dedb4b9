"""Artifacts: every registered model survives save + load without pickle, scoring and
retrieving exactly as before; the store publishes bundles atomically and prunes old ones."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pulserec.artifacts import (
    ArtifactStore,
    load_idmap,
    load_model,
    load_vectors,
    model_info,
    save_idmap,
    save_model,
    save_vectors,
)
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, EventType
from pulserec.models import registry
from pulserec.models.base import Query, Retriever
from tests.ranking.fakes import CountPopularity

N_USERS, N_ITEMS = 30, 24
HYBRID = {"pool": 20, "per_source": 20, "trees": 20}
PARAMS: dict[str, dict[str, Any]] = {
    "als": {"factors": 8, "iterations": 3},
    "bpr": {"factors": 8, "epochs": 2},
    "svd": {"factors": 4, "epochs": 2},
    "sequence": {"epochs": 1, "dim": 16, "max_len": 8},
    **{name: HYBRID for name in ("hybrid", "hybrid-no-content", "hybrid-no-sequence")},
    "hybrid-rrf": {"per_source": 20},
    "hybrid-mmr": {"pool": 20, "per_source": 20},
}
# (case id, registry name, params): every registered model, and the hybrid with LightGBM.
CASES = [(name, name, PARAMS.get(name, {})) for name in registry.names()]
CASES.append(("hybrid-lightgbm", "hybrid", {**HYBRID, "ranker": "lightgbm"}))


def events(users: range, t0: float = 0.0) -> list[Event]:
    """Even users click/view even items, odd users odd ones; everyone rates 3 items."""
    rng = np.random.default_rng(users.start)
    out = []
    for user in users:
        group = [i for i in range(N_ITEMS) if i % 2 == user % 2]
        t = t0 + 100.0 * user
        for step, item in enumerate(rng.choice(group, size=8, replace=False)):
            kind = EventType.VIEW if step % 3 == 0 else EventType.CLICK
            out.append(Event(f"u{user}", f"i{item}", kind, t + step))
        for step, item in enumerate(rng.choice(N_ITEMS, size=3, replace=False)):
            stars = 5.0 if item % 2 == user % 2 else 1.0
            out.append(Event(f"u{user}", f"i{item}", EventType.RATING, t + 50 + step, stars))
    return out


def item_vectors() -> ItemVectors:
    """Random unit vectors for the catalog (and two items nobody has touched yet)."""
    ids = [f"i{i}" for i in range(N_ITEMS + 2)]
    vectors = np.random.default_rng(1).normal(size=(len(ids), 8)).astype(np.float32)
    return ItemVectors(ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def fitted(name: str, params: dict[str, Any]) -> tuple[Retriever, Interactions, ItemVectors]:
    data = Interactions.from_events(events(range(N_USERS)))
    vectors = item_vectors()
    return registry.make(name, vectors=vectors, **params).fit(data), data, vectors


def queries(data: Interactions, vectors: ItemVectors) -> list[Query]:
    history = np.array([0, 2, 4], dtype=np.int32)
    return [
        Query(user=0),
        Query(user=3, exclude=np.unique(data.item_idx[data.user_idx == 3]).astype(np.int32)),
        Query(user=-1, history=history),
        Query(user=-1, history=history, text=vectors.vectors[1]),
        Query(user=N_USERS + 5),
    ]


def assert_same(a: Retriever, b: Retriever, data: Interactions, vectors: ItemVectors) -> None:
    """Equal scores for every user (and two beyond the fit), equal lists for every query."""
    users = np.arange(data.n_users + 2, dtype=np.int32)
    np.testing.assert_array_equal(a.score(users), b.score(users))
    for query in queries(data, vectors):
        found, again = a.retrieve(query, 10), b.retrieve(query, 10)
        np.testing.assert_array_equal(found.items, again.items)
        np.testing.assert_array_equal(found.scores, again.scores)
        assert found.source == again.source


def assert_no_pickle(directory: Path) -> None:
    """Every file is JSON, text, safetensors or an npz whose arrays load without pickle."""
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.suffix in (".pkl", ".pickle", ".pt")]
    assert {p.suffix for p in files} <= {".json", ".npz", ".safetensors", ".txt"}
    for path in files:
        if path.suffix == ".npz":
            assert zipfile.is_zipfile(path)
            with np.load(path, allow_pickle=False) as archive:
                assert all(not archive[key].dtype.hasobject for key in archive.files)


@pytest.mark.parametrize(("name", "params"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_model_round_trips(name: str, params: dict[str, Any], tmp_path: Path) -> None:
    model, data, vectors = fitted(name, params)
    save_model(model, name, params, tmp_path / "model")
    assert_no_pickle(tmp_path / "model")
    restored = load_model(tmp_path / "model", None)  # the saved vectors and id maps
    assert type(restored) is type(model) and restored.name == model.name
    assert_same(model, restored, data, vectors)
    info = model_info(tmp_path / "model")
    assert (info["name"], info["params"]) == (name, params)


def test_a_hybrid_served_by_its_blend_round_trips(tmp_path: Path) -> None:
    model, data, vectors = fitted("hybrid", HYBRID)
    model.fallback_ = None  # type: ignore[attr-defined]  # as if the blend had won
    save_model(model, "hybrid", HYBRID, tmp_path)
    restored = load_model(tmp_path, vectors)
    weights = restored.ranker_.weights_  # type: ignore[attr-defined]
    np.testing.assert_array_equal(weights, model.ranker_.weights_)  # type: ignore[attr-defined]
    assert restored.validation_ == model.validation_  # type: ignore[attr-defined]
    assert_same(model, restored, data, vectors)


def test_the_artifact_files_are_the_expected_ones(tmp_path: Path) -> None:
    model, _, _ = fitted("hybrid", {**HYBRID, "ranker": "lightgbm"})
    save_model(model, "hybrid", {}, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "model.json",
        "state.npz",
        "weights.safetensors",
        "ranker.txt",
        "vectors.npz",
        "users.json",
        "items.json",
    }
    assert (tmp_path / "ranker.txt").read_text().startswith("tree")
    sources = [c["key"] for c in model_info(tmp_path)["model"]["children"]]
    assert sources == list(model.sources)  # type: ignore[attr-defined]


def test_restored_models_keep_updating_over_the_bundle_maps(tmp_path: Path) -> None:
    models = {name: fitted(name, PARAMS.get(name, {})) for name in ("content", "sequence", "ease")}
    store = ArtifactStore(tmp_path)
    _, data, vectors = models["content"]
    version = store.save_bundle(
        {name: (model, name, PARAMS.get(name, {})) for name, (model, _, _) in models.items()},
        users=data.users,
        items=data.items,
        meta={"n_events": len(data)},
    )
    bundle = store.load_bundle(version)
    assert bundle.models["content"].data_.users is bundle.users  # type: ignore[attr-defined]
    fresh = events(range(N_USERS, N_USERS + 3), t0=1e6)
    for name, (model, old_data, _) in models.items():
        model.update(Interactions.from_events(fresh, old_data.users, old_data.items))
        restored = bundle.models[name]
        restored.update(Interactions.from_events(fresh, bundle.users, bundle.items))
        updated = Interactions.from_events([], old_data.users, old_data.items)
        assert_same(model, restored, updated, vectors)


def test_bundle_round_trip(tmp_path: Path) -> None:
    content, data, vectors = fitted("content", {})
    pop, _, _ = fitted("pop", {})
    store = ArtifactStore(tmp_path / "store")
    meta = {"trained_at": "2026-11-28T12:15:00Z", "n_events": len(data), "fit_seconds": {"c": 1}}
    version = store.save_bundle(
        {"content": (content, "content", {}), "pop": (pop, "pop", {})},
        users=data.users,
        items=data.items,
        meta=meta,
    )
    bundle = store.load_bundle(version, vectors=None)
    assert bundle.version == version and bundle.meta == meta
    assert bundle.names == {"content": "content", "pop": "pop"}
    assert load_vectors(store.path(version) / "vectors.npz").ids == vectors.ids
    assert not (store.path(version) / "models" / "content" / "vectors.npz").exists()
    assert_same(content, bundle.models["content"], data, vectors)
    assert_same(pop, bundle.models["pop"], data, vectors)
    assert_no_pickle(store.path(version))
    with pytest.raises(ValueError, match="plain file names"):
        store.save_bundle({"../x": (pop, "pop", {})}, data.users, data.items)


def _pop_bundle(store: ArtifactStore) -> str:
    model, data, _ = fitted("pop", {})
    return store.save_bundle({"pop": (model, "pop", {})}, data.users, data.items, {})


def test_versions_sort_and_current_names_the_newest(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    assert store.latest() is None and store.list() == []
    versions = [_pop_bundle(store) for _ in range(3)]
    assert store.list() == versions == sorted(versions)
    assert [v[:5] for v in versions] == ["v0001", "v0002", "v0003"]
    assert store.latest() == versions[-1]
    assert (tmp_path / "CURRENT").read_text().strip() == versions[-1]
    store.set_current(versions[0])  # a rollback
    assert store.load_bundle().version == versions[0]


def test_a_crashed_write_leaves_nothing_visible(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    good = _pop_bundle(store)

    def crashing(directory: Path) -> None:
        (directory / "bundle.json").write_text("{}")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        store.write(crashing)
    _, data, _ = fitted("pop", {})
    not_persistable = CountPopularity().fit(data)
    with pytest.raises(ValueError, match="not a persistable model class"):
        store.save_bundle({"pop": (not_persistable, "pop", {})}, data.users, data.items)
    assert store.list() == [good] and store.latest() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "CURRENT", good]


def test_prune_keeps_the_newest_and_the_current(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    versions = [_pop_bundle(store) for _ in range(5)]
    assert store.prune(keep=3) == versions[:2]
    assert store.list() == versions[2:]
    store.set_current(versions[2])
    assert store.prune(keep=1) == [versions[3]]
    assert store.list() == [versions[2], versions[4]]
    assert _pop_bundle(store).startswith("v0006")  # numbering never goes back


def test_idmap_round_trip_keeps_holes(tmp_path: Path) -> None:
    ids = IdMap(["a", "b", "c", "d"])
    ids.remove("b")
    ids.remove("d")
    save_idmap(ids, tmp_path / "ids.json")
    loaded = load_idmap(tmp_path / "ids.json")
    assert len(loaded) == 4 and "b" not in loaded and "d" not in loaded
    assert loaded.lookup(["a", "b", "c"]).tolist() == [0, -1, 2]
    with pytest.raises(KeyError):
        loaded.id_of(1)
    assert loaded.add("b") == ids.add("b") == 4


def test_vectors_round_trip_in_half_precision(tmp_path: Path) -> None:
    vectors = item_vectors()
    save_vectors(vectors, tmp_path / "v.npz", half=True)
    loaded = load_vectors(tmp_path / "v.npz")
    assert loaded.ids == vectors.ids and loaded.vectors.dtype == np.float32
    np.testing.assert_allclose(loaded.vectors, vectors.vectors, atol=1e-3)


def test_the_artifacts_layer_never_imports_the_registry() -> None:
    """Persistence goes through the protocol; the registry is the caller's business."""
    package = Path(__file__).parents[1] / "src" / "pulserec" / "artifacts"
    for path in package.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for banned in ("retrievers.registry", "import inspect", "getattr(", "hasattr("):
            assert banned not in source, (path.name, banned)


def test_a_caller_supplies_the_class_lookup(tmp_path: Path) -> None:
    model, data, vectors = fitted("ease", {})
    save_model(model, "ease", {}, tmp_path)
    key = model_info(tmp_path)["model"]["class"]
    restored = load_model(tmp_path, classes={key: type(model)})  # type: ignore[dict-item]
    assert_same(model, restored, data, vectors)
    with pytest.raises(KeyError):
        load_model(tmp_path, classes={})
