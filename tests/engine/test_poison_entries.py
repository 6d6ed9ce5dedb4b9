"""Applying the change log never fails on a side effect: a delete whose artifact scrub cannot
write is applied at once, reads keep answering, and the scrub is retried in the background
until it lands (the published version then no longer names the user)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pulserec.core.types import Event, EventType
from pulserec.engine.runtime import MODELS_DIR, Runtime
from pulserec.privacy import audit
from pulserec.storage.changelog import EVENTS


def _saved_ids(data_dir: Path) -> list[str | None]:
    root = data_dir / MODELS_DIR
    version = sorted(p for p in root.iterdir() if p.is_dir())[-1]
    ids: list[str | None] = orjson.loads((version / "users.json").read_bytes())["ids"]
    return ids


def test_a_delete_whose_scrub_fails_is_applied_and_retried(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "u10" in _saved_ids(tmp_path)
    original = audit.scrub_user
    failing = {"on": True}

    def scrub(*args: object, **kwargs: object) -> int:
        if failing["on"]:
            raise OSError(30, "Read-only file system")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "scrub_user", scrub)
    assert runtime.ingestor.delete_user("u10")  # committed and answered, not an error
    engine = runtime.engine
    assert engine.state.applied_seq == engine.store.high_water()  # the entry is applied
    assert "u10" not in engine.state.users
    assert engine.recommend("u11", k=5).items  # reads answer from memory
    scrubber = runtime.scrubber
    assert scrubber is not None and not scrubber.wait_idle(0.3)
    assert scrubber.stats()["pending"] == 1 and "OSError" in scrubber.stats()["last_error"]
    failing["on"] = False  # the directory is writable again
    assert scrubber.wait_idle(10.0)
    assert "u10" not in _saved_ids(tmp_path)


def test_a_listener_that_raises_never_holds_the_log_up(runtime: Runtime) -> None:
    engine = runtime.engine
    follower = runtime.engine.follower

    def broken(entry: object) -> None:
        raise RuntimeError("a listener bug")

    from pulserec.engine.state.updates import OnlineUpdater

    assert isinstance(follower, OnlineUpdater)
    follower.listen(EVENTS, broken)
    runtime.ingestor.add_events([Event("u20", "music-1", EventType.CLICK, 1_800_000_000.0)])
    runtime.ingestor.add_events([Event("u20", "music-2", EventType.CLICK, 1_800_000_001.0)])
    assert engine.state.applied_seq == engine.store.high_water()
    assert engine.log_stats()["failures"] == 2
    assert "music-2" in engine.state.items
    assert engine.recommend("u20", k=5).items


def test_a_restart_over_a_version_saved_before_a_deletion_does_not_bring_the_user_back(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import build

    monkeypatch.setattr(audit, "scrub_user", _always_failing)
    assert runtime.ingestor.delete_user("u10")
    runtime.close()
    assert "u10" in _saved_ids(tmp_path)  # the version on disk still names them
    monkeypatch.undo()
    store = runtime.engine.store
    again = build(store, tmp_path, ("itemknn",))  # type: ignore[arg-type]
    try:
        assert "u10" not in again.engine.state.users
        assert again.engine.recommend("u10", k=5).items  # an unknown user now
        assert again.scrubber is not None and again.scrubber.wait_idle(10.0)
        assert "u10" not in _saved_ids(tmp_path)
    finally:
        again.close()


def _always_failing(*args: object, **kwargs: object) -> int:
    raise OSError(28, "No space left on device")
