"""The registry: the CF family by name, parity defaults, small search spaces."""

from __future__ import annotations

import itertools

import pytest

from pulserec.models import registry

FAMILY = ["pop", "itemknn", "userknn", "als", "bpr", "ease", "svd", "transitions"]


def test_the_family_is_registered_on_import() -> None:
    assert registry.names()[: len(FAMILY)] == FAMILY
    assert [n for n, s in registry.MODELS.items() if s.rating] == ["svd"]


def test_parity_defaults() -> None:
    assert registry.MODELS["ease"].defaults["l2"] == 250.0
    assert registry.MODELS["itemknn"].defaults == {"k": 100, "shrink": 0.0, "similarity": "cosine"}


@pytest.mark.parametrize("name", FAMILY)
def test_search_spaces_are_small_and_every_point_builds(name: str) -> None:
    spec = registry.MODELS[name]
    keys = sorted(spec.search_space)
    points = list(itertools.product(*(spec.search_space[k] for k in keys)))
    assert 1 <= len(points) <= 8
    for point in points:
        model = registry.make(name, **dict(zip(keys, point, strict=True)))
        assert model.name == name


def test_make_overrides_defaults_and_rejects_unknown_names() -> None:
    assert registry.make("itemknn", k=7).k == 7  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown model"):
        registry.make("nope")
