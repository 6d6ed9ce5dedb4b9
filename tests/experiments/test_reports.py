"""Reports are built once per state of the store: served again until the change log moves,
built again (and right) after any write, one build at a time however many read at once."""

from __future__ import annotations

import threading
from pathlib import Path

from pulserec.core.types import Event, EventType, ExperimentRecord, Impression
from pulserec.experiments.definition import Experiment
from pulserec.experiments.impressions import ImpressionLog
from pulserec.experiments.reports import Reports
from pulserec.storage import SqliteStore

START = 1_800_000_000.0
DEFINITION = {"id": "e", "variants": [{"name": "a"}, {"name": "b"}]}


def _setup(tmp_path: Path) -> tuple[SqliteStore, Experiment, Reports]:
    store = SqliteStore(tmp_path / "s.db")
    record = ExperimentRecord("e", DEFINITION, START)
    store.create_experiment(record, lambda stored: record)
    experiment = Experiment.from_record(record)
    shown = [
        Impression(f"i{n}", "e", "ab"[n % 2], f"u{n}", START + n, ("x", "y")) for n in range(40)
    ]
    store.append_impressions(shown)
    store.append_events(
        [Event(f"u{n}", "x", EventType.CLICK, START + n + 1, event_id=f"c{n}") for n in range(10)]
    )
    return store, experiment, Reports(store, ImpressionLog(store))


def _clicks(found: dict[str, object]) -> int:
    variants = found["variants"]
    assert isinstance(variants, list)
    return sum(int(v["clicks"]) for v in variants)


def test_a_report_is_served_again_until_the_store_moves(tmp_path: Path) -> None:
    store, experiment, reports = _setup(tmp_path)
    first = reports.of(experiment)
    assert reports.of(experiment) is first and reports.builds == 1
    assert _clicks(first) == 10
    store.append_events([Event("u20", "y", EventType.CLICK, START + 21, event_id="late")])
    again = reports.of(experiment)
    assert reports.builds == 2 and _clicks(again) == 11  # a write: built again, with it
    assert store.delete_user("u20")
    assert _clicks(reports.of(experiment)) == 10 and reports.builds == 3  # forgotten at once
    store.close()


def test_readers_at_once_share_one_build(tmp_path: Path) -> None:
    store, experiment, reports = _setup(tmp_path)
    found: list[dict[str, object]] = []
    threads = [
        threading.Thread(target=lambda: found.append(reports.of(experiment))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reports.builds == 1 and all(f is found[0] for f in found)
    store.close()
