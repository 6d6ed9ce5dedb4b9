"""An app over a fresh store per test, through Starlette's in-process client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.core.config import ServerSettings
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.storage import MemoryStore, SqliteStore
from tests.engine.conftest import build, filled_store

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    """Build a client over a SQLite store in tmp_path; keyword args become ServerSettings."""
    stores: list[SqliteStore] = []
    runtimes: list[Runtime] = []

    def build(**settings: object) -> TestClient:
        store = SqliteStore(tmp_path / "api.db")
        stores.append(store)
        runtime = assemble(store, EngineConfig(models=()), progress=False)
        runtimes.append(runtime)
        server = ServerSettings(**settings)  # type: ignore[arg-type]
        return TestClient(create_app(store, server, runtime))

    yield build
    for runtime in runtimes:  # a training a test started ends before its store closes
        runtime.close()
    for store in stores:
        store.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture
def trained_store() -> Iterator[MemoryStore]:
    """The engine tests' small themed catalog, its users and their events."""
    filled = filled_store()
    yield filled
    filled.close()


@pytest.fixture
def trained_client(trained_store: MemoryStore, tmp_path: Path) -> TestClient:
    """An app over ``trained_store`` with a trained item kNN."""
    runtime = build(trained_store, tmp_path, ("itemknn",))
    return TestClient(create_app(trained_store, ServerSettings(), runtime=runtime))
