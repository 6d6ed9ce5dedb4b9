"""The ``replay`` protocol: predict, then learn, over a MovieLens stream in time order
(``movielens-100k`` unless another data set is named, e.g. ``movielens-1m``).

In process, through the same Engine and online updater as the server (no HTTP). The models are
trained on the first half of the events by time; then, for every event of the second half, the
user's top-k is asked for before the event is ingested (a hit when the event's item is in it).
``online``: each event is then ingested (store, user state, trending), as the server does.
``frozen``: nothing is ingested, so users and items stay as they were at the cut, as with a
model retrained nightly. Reported: Hit@k over the stream and events/s (predict + learn).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pulserec.app.runtime import assemble
from pulserec.core.types import Event
from pulserec.data.datasets import with_event_ids
from pulserec.data.movielens import MovieLens, load_movielens
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor

DEFAULT_REPLAY_MODELS = ("pop", "ease", "hybrid")
MODES = ("frozen", "online")


@dataclass(frozen=True)
class ReplayResult:
    """One model in one mode."""

    model: str
    mode: str
    hits: int
    events: int
    seconds: float
    fit_seconds: float

    @property
    def hit_rate(self) -> float:
        return self.hits / max(self.events, 1)

    @property
    def events_per_second(self) -> float:
        return self.events / max(self.seconds, 1e-9)


def split_stream(events: list[Event]) -> tuple[list[Event], list[Event]]:
    """Events sorted by time (stable: ties keep file order), cut in two halves."""
    ordered = sorted(events, key=lambda e: e.timestamp)
    half = len(ordered) // 2
    return ordered[:half], ordered[half:]


def trained_runtime(
    model: str, first: list[Event], data: MovieLens, config: EngineConfig
) -> tuple[Runtime, float]:
    """An engine over the first half, its model trained; returns it and the fit seconds."""
    store = MemoryStore()
    ingestor = Ingestor(store)
    ingestor.add_items(data.items)
    ingestor.add_users(data.users)
    ingestor.add_events(first)
    config = replace(config, models=(model,), category_label="genre")
    runtime = assemble(store, config, None, train_if_empty=False, progress=False)
    started = time.perf_counter()
    job = runtime.trainer.train_now()
    if job.state != "done":
        raise RuntimeError(f"training {model} failed: {job.error}")
    return runtime, time.perf_counter() - started


def replay(
    runtime: Runtime, stream: list[Event], mode: str, k: int, progress: bool, label: str
) -> tuple[int, float]:
    """Predict then (online) learn each event; returns hits and seconds."""
    engine, learn = runtime.engine, mode == "online"
    hits = 0
    started = time.perf_counter()
    for event in tqdm(stream, desc=f"replay {label}", unit=" events", disable=not progress):
        top = engine.recommend(event.user_id, k)
        hits += any(ranked.id == event.item_id for ranked in top.items)
        if learn:
            runtime.ingestor.add_events([event])
    return hits, time.perf_counter() - started


def run_replay(
    models: list[str] | None = None,
    k: int = 10,
    progress: bool = True,
    dataset: str = "movielens-100k",
    config: EngineConfig | None = None,
) -> list[ReplayResult]:
    """Every model frozen and online over the second half of ``dataset`` (``config``: the
    engine's settings, each model in turn; default: the defaults)."""
    data = load_movielens(dataset)
    events = with_event_ids(data.events, dataset)
    first, second = split_stream(events)
    results = []
    for model in models or list(DEFAULT_REPLAY_MODELS):
        runtime, fit_seconds = trained_runtime(model, first, data, config or EngineConfig())
        for mode in MODES:  # frozen first: it changes nothing, so online starts from the cut
            hits, seconds = replay(runtime, second, mode, k, progress, f"{model} {mode}")
            results.append(ReplayResult(model, mode, hits, len(second), seconds, fit_seconds))
        runtime.trainer.stop()
    return results


def replay_results_json(
    results: list[ReplayResult], k: int, command: str, dataset: str = "movielens-100k"
) -> dict[str, Any]:
    """``results.json`` in the evaluation shape, one entry per ``model:mode``."""
    return {
        "dataset": dataset,
        "protocol": "replay",
        "k": k,
        "seed": 0,
        "command": command,
        "models": {
            f"{r.model}:{r.mode}": {
                "metrics": {
                    f"hit@{k}": round(r.hit_rate, 5),
                    "events_per_second": round(r.events_per_second, 1),
                },
                "fit_seconds": round(r.fit_seconds, 3),
                "params": {"mode": r.mode, "events": r.events},
            }
            for r in results
        },
    }


def replay_markdown(
    results: list[ReplayResult], k: int, command: str, dataset: str = "movielens-100k"
) -> str:
    """``report.md``: the table and the online/frozen ratio per model."""
    lines = [
        f"# {dataset} · replay",
        "",
        f"`{command}`",
        "",
        "Trained on the first half of the events by time; each event of the second half is",
        "predicted (top-k before it is ingested), then ingested (online) or not (frozen).",
        "",
        f"| model | mode | hit@{k} | events/s | fit s |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.model} | {r.mode} | {r.hit_rate:.4f} | {r.events_per_second:,.0f} |"
        f" {r.fit_seconds:.1f} |"
        for r in results
    ]
    by_model: dict[str, dict[str, ReplayResult]] = {}
    for r in results:
        by_model.setdefault(r.model, {})[r.mode] = r
    lines += ["", "| model | online / frozen hit rate |", "|---|---|"]
    for model, modes in by_model.items():
        if {"online", "frozen"} <= modes.keys():
            ratio = modes["online"].hit_rate / max(modes["frozen"].hit_rate, 1e-9)
            lines.append(f"| {model} | {ratio:.2f}x |")
    return "\n".join(lines) + "\n"


def write_replay_report(
    results: list[ReplayResult], k: int, out: Path, command: str, dataset: str = "movielens-100k"
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    results_path, report_path = out / "results.json", out / "report.md"
    figures = replay_results_json(results, k, command, dataset)
    results_path.write_text(json.dumps(figures, indent=2) + "\n")
    report_path.write_text(replay_markdown(results, k, command, dataset))
    return [results_path, report_path]
