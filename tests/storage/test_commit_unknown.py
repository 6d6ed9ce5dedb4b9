"""A PostgreSQL connection lost while COMMIT is on its way: the write is reported as unknown
(not as "nothing written"), and a retry with the same event ids stores nothing twice."""

from __future__ import annotations

from typing import Any

import pytest

from pulserec.storage import postgres_core
from pulserec.storage.base import CommitUnknown
from pulserec.storage.postgres import PostgresStore
from tests.storage.conftest import click


def test_a_commit_whose_answer_never_came_is_unknown_and_a_retry_is_safe(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = postgres_core.commit

    def commit_then_lose_the_connection(conn: Any, write: Any, keep: int) -> None:
        real_commit(conn, write, keep)  # the server stored it ...
        conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")  # ... the answer is lost

    monkeypatch.setattr(postgres_core, "commit", commit_then_lose_the_connection)
    batch = [click("u", "a", "e1"), click("u", "b", "e2")]
    with pytest.raises(CommitUnknown, match="may or may not be stored"):
        pg_store.append_events(batch)
    monkeypatch.undo()
    retried = pg_store.append_events(batch)  # the client's retry, same event ids
    assert (retried.accepted, retried.duplicates) == (0, 2)
    assert pg_store.counts().events == 2
