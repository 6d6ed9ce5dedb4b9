"""Retraining under load: the hot swap, events that arrive mid-training, restart from artifacts."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulserec.core.types import Event, EventType
from pulserec.engine.lifecycle.training import Trainer
from pulserec.engine.runtime import Runtime
from pulserec.engine.serving.results import RankedList
from pulserec.storage import MemoryStore

from .conftest import THEMES, build, filled_store

LIMIT_S = 60.0
MODELS = ("itemknn",)
CALLS_DURING_TRAINING = 5  # each reader's calls while a training is provably in progress
CALLS_AFTER = 3


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    filled = filled_store()
    yield filled
    filled.close()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + LIMIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.001)


def readers(runtime: Runtime) -> dict[str, Callable[[int], RankedList]]:
    engine = runtime.engine
    users = ["u10", "u21", "u32", "newcomer", "fan"]
    themes = list(THEMES.values())
    return {
        "recommend": lambda n: engine.recommend(users[n % len(users)], k=10),
        "recommend-explained": lambda n: engine.recommend(
            users[n % len(users)], k=5, explain=True, diversity=0.5
        ),
        "session": lambda n: engine.session([f"garden-{n % 10}", f"music-{n % 10}"], 10),
        "search": lambda n: engine.search(themes[n % 4], users[n % len(users)], k=5),
        "similar": lambda n: engine.similar(f"cooking-{n % 10}", 5),
        "popular": lambda n: engine.popular(5),
    }


def test_hot_swap_under_load(store: MemoryStore, tmp_path: Path) -> None:
    runtime = build(store, tmp_path, MODELS)
    trainer = runtime.trainer
    first = runtime.engine.model_version
    assert first != "none"
    calls = readers(runtime)
    training = threading.Event()
    finished = threading.Event()
    during = dict.fromkeys(calls, 0)
    versions: dict[str, list[str]] = {name: [] for name in calls}
    errors: list[str] = []

    # Hold each fit until every reader has answered a few times while the training runs, so the
    # requests overlap the training (and its swap) by construction, not by luck.
    original_fit = trainer._fit

    def fit(*args: Any) -> dict[str, Any]:
        training.set()
        wait_until(
            lambda: bool(errors) or min(during.values()) >= CALLS_DURING_TRAINING, "the readers"
        )
        return original_fit(*args)

    trainer._fit = fit  # type: ignore[method-assign]

    def read(name: str, call: Callable[[int], RankedList]) -> None:
        n = 0
        try:
            while not finished.is_set():
                ranked = call(n)
                assert ranked.items, f"{name} answered nothing (call {n})"
                if training.is_set():
                    during[name] += 1
                versions[name].append(ranked.model_version)
                n += 1
            for _ in range(CALLS_AFTER):
                ranked = call(n)
                assert ranked.items, f"{name} answered nothing after the swap"
                versions[name].append(ranked.model_version)
                n += 1
        except BaseException:
            errors.append(f"{name}: {traceback.format_exc()}")

    written: list[Event] = []

    def write() -> None:
        """Clicks keep arriving too: through the online updater, and recorded for the replay."""
        n = 0
        try:
            while not finished.is_set():
                event = Event(f"w{n % 5}", f"space-{n % 10}", EventType.CLICK, 1.8e9 + n)
                runtime.ingestor.add_events([event])
                written.append(event)
                n += 1
        except BaseException:
            errors.append(f"writer: {traceback.format_exc()}")

    stored_before = store.counts().events
    threads = [
        threading.Thread(target=read, args=(name, call), name=f"reader-{name}", daemon=True)
        for name, call in calls.items()
    ]
    threads.append(threading.Thread(target=write, name="writer", daemon=True))
    for thread in threads:
        thread.start()
    try:
        jobs = []
        for _ in range(3):  # several swaps under the same load
            training.clear()
            for name in during:
                during[name] = 0
            job = trainer.start()
            assert job.done.wait(LIMIT_S), "the training never finished"
            jobs.append(job)
    finally:
        finished.set()
        for thread in threads:
            thread.join(LIMIT_S)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], "\n".join(errors)
    assert [job.state for job in jobs] == ["done"] * 3, [job.error for job in jobs]
    final = runtime.engine.model_version
    assert final == jobs[-1].model_version
    assert len({first, *(job.model_version for job in jobs)}) == 4
    assert written and store.counts().events == stored_before + len(written)
    assert trainer.last["n_events"] + trainer.last["replayed_events"] <= store.counts().events
    for name in ("recommend", "recommend-explained", "session"):
        assert versions[name][0] == first
        assert versions[name][-CALLS_AFTER:] == [final] * CALLS_AFTER, name
        # versions only move forward: the swap is atomic, never a mix of old and new
        order = [first, *(job.model_version for job in jobs)]
        positions = [order.index(v) for v in versions[name]]
        assert positions == sorted(positions), name


def test_events_during_a_training_are_replayed_onto_the_new_models(
    store: MemoryStore, tmp_path: Path
) -> None:
    runtime = build(store, tmp_path, MODELS)
    engine, trainer = runtime.engine, runtime.trainer
    before = engine.model_version
    stored_before = store.counts().events
    # garden-1 and music-1 never went together: its neighbours are garden items.
    assert "music-1" not in [r.id for r in engine.session(["garden-1"], 10).items]

    fitted, release = threading.Event(), threading.Event()
    original_fit = trainer._fit

    def fit(*args: Any) -> dict[str, Any]:
        out = original_fit(*args)
        fitted.set()
        assert release.wait(LIMIT_S), "the test never released the training"
        return out

    trainer._fit = fit  # type: ignore[method-assign]
    job = trainer.start()
    try:
        assert fitted.wait(LIMIT_S), "the training never reached the end of its fit"
        stamp = 1_800_000_000.0
        injected = [
            Event(f"late{m}", item, EventType.CLICK, stamp + 10 * m + n)
            for m in range(10)
            for n, item in enumerate(("garden-1", "music-1"))
        ]
        runtime.ingestor.add_events(injected)
        # still the old models meanwhile
        assert engine.model_version == before
    finally:
        release.set()
    assert job.done.wait(LIMIT_S)
    assert job.state == "done", job.error
    assert engine.model_version == job.model_version != before
    last = trainer.last
    assert last["model_version"] == job.model_version
    assert last["n_events"] == stored_before  # the snapshot did not include them ...
    assert last["replayed_events"] == len(injected)  # ... the replay did
    assert store.counts().events == stored_before + len(injected)
    # Now they did, ten times over: music-1 joins garden-4 and garden-7 (whose users are exactly
    # garden-1's, similarity 1) at the top of garden-1's neighbours (10 / 14 ~ 0.71, above
    # every other garden item).
    listed = engine.session(["garden-1"], 10)
    assert listed.model_version == job.model_version
    top = {r.id: r.sources for r in listed.items[:3]}
    assert top == dict.fromkeys(("garden-4", "garden-7", "music-1"), ("itemknn",))


def test_a_failed_training_keeps_the_old_models(store: MemoryStore, tmp_path: Path) -> None:
    runtime = build(store, tmp_path, MODELS)
    engine, trainer = runtime.engine, runtime.trainer
    before = engine.model_version

    def broken(*args: Any) -> dict[str, Any]:
        raise RuntimeError("out of cheese")

    trainer._fit = broken  # type: ignore[method-assign]
    job = trainer.start()
    assert job.done.wait(LIMIT_S)
    assert job.state == "failed" and job.error is not None and "out of cheese" in job.error
    assert engine.model_version == before
    assert engine.recommend("u10", k=5).items
    assert not trainer.running


def test_restart_loads_the_saved_models_without_training(
    store: MemoryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(store, tmp_path, MODELS)
    version = first.engine.model_version
    assert version != "none"
    listed = [r.id for r in first.engine.recommend("u10", k=10).items]
    similar = [r.id for r in first.engine.similar("garden-1", 5).items]

    def no_training(self: Trainer) -> None:
        raise AssertionError("a restart over saved models must not train")

    monkeypatch.setattr(Trainer, "train_now", no_training)
    second = build(store, tmp_path, MODELS)
    assert second.engine.model_version == version
    assert second.trainer.last["model_version"] == version
    again = second.engine.recommend("u10", k=10)
    assert again.model_version == version
    assert [r.id for r in again.items] == listed
    assert [r.id for r in second.engine.similar("garden-1", 5).items] == similar
    assert again.items[0].sources == ("itemknn",)
