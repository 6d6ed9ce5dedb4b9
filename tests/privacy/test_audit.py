"""The audit: what is held about people, and a deleted user's id in none of it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pulserec.app.runtime import artifacts
from pulserec.cli.main import app
from pulserec.core.types import Impression, User
from pulserec.engine.lifecycle.training import Trainer
from pulserec.privacy.audit import privacy_report, scrub_user
from pulserec.storage import DB_FILENAME, SqliteStore
from pulserec.storage.ingest import Ingestor
from tests.engine.conftest import build, catalog, events

USER = "u00"


def _filled(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_events(events())
    return store


def test_a_deleted_user_leaves_the_store_and_every_published_version(tmp_path: Path) -> None:
    store = _filled(tmp_path / DB_FILENAME)
    try:
        runtime = build(store, tmp_path, ("itemknn",))  # type: ignore[arg-type]
        runtime.trainer.train_now()
        published = artifacts(tmp_path)
        assert len(published.list()) == 2
        held = privacy_report(store, published, USER)
        before = held["user"]
        assert not before["forgotten"]
        assert "store: user profile" in before["traces"]
        assert sum(t.startswith("artifact:") for t in before["traces"]) == 2  # both versions
        assert runtime.ingestor.delete_user(USER)
        runtime.engine.catch_up()
        after = privacy_report(store, published, USER)
        assert after["user"] == {
            "id": USER,
            "traces": [],
            "forgotten": True,
            "pending": [after["user"]["pending"][0]],  # the deletion's own entry, for followers
            "tombstone": True,
        }
        assert after["user"]["pending"][0].startswith("change log: delete_user entry")
        for version, now in after["inventory"]["artifacts"].items():
            assert now["user ids"] == held["inventory"]["artifacts"][version]["user ids"] - 1
        # the version loads again with a hole where the user was: no row is theirs
        bundle = published.load_bundle()
        assert bundle.users.get(USER) is None and len(bundle.users) > 0
        assert scrub_user(published, USER) == 0  # nothing left to scrub
    finally:
        store.close()


def test_the_cli_report_exits_1_while_a_trace_remains(tmp_path: Path) -> None:
    store = _filled(tmp_path / DB_FILENAME)
    store.close()
    runner = CliRunner()
    held = runner.invoke(app, ["privacy", "report", "--data-dir", str(tmp_path), "--user", USER])
    assert held.exit_code == 1, held.output
    assert "store: user profile" in json.loads(held.output)["user"]["traces"]
    store = SqliteStore(tmp_path / DB_FILENAME)
    Ingestor(store).delete_user(USER)
    store.close()
    gone = runner.invoke(app, ["privacy", "report", "--data-dir", str(tmp_path), "--user", USER])
    assert gone.exit_code == 0, gone.output
    assert json.loads(gone.output)["user"]["forgotten"] is True
    summary = json.loads(
        runner.invoke(app, ["privacy", "report", "--data-dir", str(tmp_path)]).output
    )
    assert summary["inventory"]["store"]["users (profiles, stated preferences)"] >= 1


def _row_scores(runtime_bundle: object, index: int) -> float:
    """How many interactions the bundle's item kNN holds in the user's row."""
    model = next(iter(runtime_bundle.models.values()))  # type: ignore[attr-defined]
    return float(model.user_items_[index].nnz)


def test_a_user_deleted_while_a_training_runs_is_not_brought_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _filled(tmp_path / DB_FILENAME)
    try:
        runtime = build(store, tmp_path, ("itemknn",))  # type: ignore[arg-type]
        index = runtime.engine.state.users.get(USER)
        assert index is not None and _row_scores(runtime.engine.bundle, index) > 0
        fit = Trainer._fit

        def fit_then_delete(self: Trainer, *args: Any) -> Any:
            fitted = fit(self, *args)  # trained with the user's events
            assert runtime.ingestor.delete_user(USER)  # the delete lands before the swap
            return fitted

        monkeypatch.setattr(Trainer, "_fit", fit_then_delete)
        job = runtime.trainer.train_now()
        assert job.state == "done", job.error
        assert _row_scores(runtime.engine.bundle, index) == 0  # the served models forgot
        published = artifacts(tmp_path)
        assert privacy_report(store, published, USER)["user"]["forgotten"]
        loaded = published.load_bundle()  # a restart or another process loads the version
        assert loaded.forgotten == (index,)
        restarted = build(store, tmp_path, ("itemknn",))  # type: ignore[arg-type]
        assert _row_scores(restarted.engine.bundle, index) == 0
    finally:
        store.close()


def test_the_audit_looks_at_the_change_log_impressions_and_tombstones(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / DB_FILENAME)
    published = artifacts(tmp_path / "none")
    try:
        store.upsert_users([User("audited-user"), User("other")])
        shown = Impression("m1", "gone-exp", "a", "audited-user", 1.0, ("i",), (0,), 1.0)
        store.append_impressions([shown])
        held = privacy_report(store, published, "audited-user")["user"]
        assert "change log: users entry 1" in held["traces"]
        assert "store: 1 impressions in experiment gone-exp" in held["traces"]
        assert held["tombstone"] is False
        store.delete_user("audited-user")
        gone = privacy_report(store, published, "audited-user")["user"]
        assert gone["traces"] == [] and gone["forgotten"] and gone["tombstone"]
        assert len(gone["pending"]) == 1
        with sqlite3.connect(tmp_path / DB_FILENAME) as raw:  # the tombstone holds no id
            rows = raw.execute("SELECT * FROM tombstones").fetchall()
        assert len(rows) == 1 and "audited-user" not in repr(rows)
    finally:
        store.close()
