"""A server's life: SIGTERM is never swallowed by a training, a second server on a held data
dir is refused (and the first one's record stays), the periodic trainer outlives a training
that another worker holds."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pulserec.app import server
from pulserec.app.server_lock import SERVER_FILE, claim, read_record
from pulserec.core.types import Event, EventType
from pulserec.engine.lifecycle.publish import TRAINING_LOCK, try_lock
from pulserec.engine.runtime import MODELS_DIR, Runtime
from tests.engine.conftest import build, filled_store


def test_sigterm_during_a_training_is_not_swallowed(tmp_path: Path) -> None:
    runtime = build(filled_store(), tmp_path, ("itemknn",))

    def terminated(*args: object) -> None:
        raise server._Terminated

    runtime.trainer._fit = terminated  # type: ignore[assignment,method-assign]
    with pytest.raises(server._Terminated):
        runtime.trainer.train_now()
    assert not runtime.trainer.running  # the trainer was freed on the way out


def test_a_second_server_on_a_held_data_dir_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "pulserec"])
    try:
        record = {"pid": holder.pid, "host": "127.0.0.1", "port": 9, "started_at": 0.0}
        (data_dir / SERVER_FILE).write_text(json.dumps(record))
        with pytest.raises(ValueError, match=f"already served by process {holder.pid}"):
            claim(data_dir, "127.0.0.1", 8001)
        kept = read_record(data_dir)
        assert kept is not None and kept.pid == holder.pid  # the first server's record stays
    finally:
        holder.kill()
        holder.wait()
    assert claim(data_dir, "127.0.0.1", 8001).port == 8001  # a stale record is taken over


def test_the_periodic_trainer_outlives_a_training_held_elsewhere(tmp_path: Path) -> None:
    runtime: Runtime = build(filled_store(), tmp_path, ("itemknn",))
    before = runtime.engine.model_version
    held = try_lock(tmp_path / MODELS_DIR / TRAINING_LOCK)  # another worker trains
    assert held is not None
    runtime.trainer.schedule(0.05)
    try:
        runtime.ingestor.add_events([Event("u10", "music-1", EventType.CLICK, 1.8e9)])
        time.sleep(0.5)  # several ticks meet the held lock
        assert runtime.engine.model_version == before
        assert any(t.name == "pulserec-train-schedule" for t in threading.enumerate())
        held.close()  # the other training ended
        deadline = time.monotonic() + 20
        while runtime.engine.model_version == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runtime.engine.model_version != before
    finally:
        runtime.trainer.stop()
