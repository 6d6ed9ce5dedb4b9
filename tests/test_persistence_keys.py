"""Explicit persistence keys: every model saves under its registered name, and bundles saved
before explicit keys (``module:qualname``) still load.

``tests/fixtures/saved_models`` was written by pulserec at 3e467b6 (before explicit keys): each
registered model fitted on the contract checkerboard with ``CONTRACT_PARAMS`` and saved with
``save_model``; ``expected_scores.npz`` holds each model's scores for the 24 users then.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from pulserec.artifacts import load_model, save_model
from pulserec.models import registry
from pulserec.models.persistable import LEGACY_KEYS, MODEL_MODULES, PERSISTABLE, class_key
from tests.contracts.test_retriever_contract import (
    CONTRACT_PARAMS,
    N_USERS,
    checkerboard,
    half_vectors,
)

SAVED = Path(__file__).parent / "fixtures" / "saved_models"
SAVED_NAMES = sorted(p.name for p in SAVED.iterdir() if p.is_dir())


def _classes(node: dict[str, object]) -> list[str]:
    children = node.get("children", [])
    assert isinstance(children, list)
    return [str(node["class"]), *(c for child in children for c in _classes(child))]


@pytest.mark.parametrize("name", SAVED_NAMES)
def test_a_bundle_saved_before_explicit_keys_loads_and_scores_the_same(name: str) -> None:
    saved = json.loads((SAVED / name / "model.json").read_text())
    assert all(":" in key for key in _classes(saved["model"]))  # the old module:qualname keys
    model = load_model(SAVED / name)
    expected = np.load(SAVED / "expected_scores.npz")[name]
    scores = np.asarray(model.score(np.arange(N_USERS, dtype=np.int32)), dtype=np.float32)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)


def test_the_fixture_covers_every_persistable_class() -> None:
    for key in MODEL_MODULES:
        importlib.import_module(MODEL_MODULES[key])
    found = {
        LEGACY_KEYS[c]
        for name in SAVED_NAMES
        for c in _classes(json.loads((SAVED / name / "model.json").read_text())["model"])
    }
    assert found == set(PERSISTABLE)


def test_every_key_names_the_module_that_defines_it() -> None:
    for key, module in MODEL_MODULES.items():
        importlib.import_module(module)
        assert PERSISTABLE[key].__module__ == module
    assert set(MODEL_MODULES) == set(PERSISTABLE)
    assert set(LEGACY_KEYS.values()) <= set(MODEL_MODULES)


@pytest.mark.parametrize("name", ["ease", "hybrid-mmr"])
def test_a_model_saves_under_its_key_not_its_module_path(name: str, tmp_path: Path) -> None:
    model = registry.make_model(name, vectors=half_vectors(), **CONTRACT_PARAMS.get(name, {}))
    model.fit(checkerboard(rating=False))
    save_model(model, name, {}, tmp_path)
    keys = _classes(json.loads((tmp_path / "model.json").read_text())["model"])
    assert keys[0] == class_key(type(model)) and all(":" not in key for key in keys)


def test_a_key_is_never_taken_twice() -> None:
    from pulserec.models.persistable import persistable

    class Other:
        pass

    with pytest.raises(ValueError, match="taken"):
        persistable("ease")(Other)  # type: ignore[type-var]
