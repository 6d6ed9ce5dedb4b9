"""What a long-running server keeps in memory stays bounded: training jobs, the event log
behind popularity windows, the deleted users' former indices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pulserec.engine.lifecycle import training
from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.engine.runtime import Runtime
from pulserec.engine.state import event_log


def test_the_trainer_keeps_the_newest_jobs_only(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def quick() -> ModelBundle:
        raise RuntimeError("no fit here")

    trainer = runtime.trainer
    monkeypatch.setattr(trainer, "_train", quick)
    ids = [trainer.train_now().id for _ in range(120)]
    assert list(trainer.jobs) == ids[-100:] and training.KEPT_JOBS == 100
    assert all(job.state == "failed" for job in trainer.jobs.values())


def _window(
    items: np.ndarray[Any, Any], stamps: np.ndarray[Any, Any], newest: float, window: float
) -> np.ndarray[Any, Any]:
    inside = stamps >= newest - window
    weights = np.power(0.5, (newest - stamps[inside]) / (window / 2))
    return np.bincount(items[inside], weights=weights, minlength=50)[:50]


def test_the_event_log_keeps_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_log, "MAX_ROWS", 4000, raising=False)
    log = event_log.EventLog()
    rng = np.random.default_rng(0)
    items = rng.integers(0, 50, 20_000).astype(np.int32)
    stamps = np.arange(20_000, dtype=np.float64) * 60.0  # one a minute, in order
    for start in range(0, 20_000, 500):
        part = slice(start, start + 500)
        log.append(items[part], stamps[part], np.zeros(500, np.int32))
        assert len(log) <= 4000 + 500
    assert log.appended == 20_000 and log._items.shape[0] <= 2 * 4000
    newest = float(stamps[-1])
    for window in (3600.0, 86_400.0):  # within what was kept: exact
        assert log.floor < newest - window
        np.testing.assert_allclose(
            log.window_counts(window, 50), _window(items, stamps, newest, window)
        )


def test_rows_past_the_retention_are_dropped_when_the_log_grows() -> None:
    log = event_log.EventLog(max_rows=10_000, retention_s=100.0)
    log.append(np.zeros(1000, np.int32), np.zeros(1000), None)
    log.append(np.ones(100, np.int32), np.full(100, 1000.0), None)
    assert len(log) == 100 and log.floor == 0.0
    assert log.window_counts(10**6, 2)[0] == 0.0


def test_deleted_users_are_kept_until_a_training_no_longer_needs_them(runtime: Runtime) -> None:
    for user in ("u00", "u01", "u02"):
        runtime.ingestor.delete_user(user)
    assert len(runtime.engine.state.deleted_users) == 3  # a training cut before may need them
    assert runtime.trainer.train_now().state == "done"
    assert len(runtime.engine.state.deleted_users) == 0  # the next training cuts after them


def test_deleted_users_are_bounded_by_count() -> None:
    from pulserec.engine.state.online_state import DeletedUsers

    deleted = DeletedUsers(lambda: 7, limit=3)
    for n in range(5):
        deleted[f"u{n}"] = n
    assert len(deleted) == 3 and deleted.get("u1") is None and deleted.get("u4") == 4
    deleted.prune(8)
    assert len(deleted) == 0
