"""Shared fixtures: every store backend, fresh per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.storage import MemoryStore, SqliteStore, Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each backend in turn: the contract suite runs against all of them."""
    backend: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()
