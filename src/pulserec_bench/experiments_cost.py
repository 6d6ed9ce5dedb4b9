"""What assignment and impression logging add to the computed path, in process."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulserec_bench.experiments_sim import K, People


def logging_cost(data_dir: Path, people: People, pairs: int = 3000) -> None:
    """p50 of click-then-recommend in process, outside and inside an experiment."""
    from pulserec.api.experiment_answers import answer_in_experiment
    from pulserec.app.runtime import assemble
    from pulserec.core.types import Event, EventType
    from pulserec.engine.config import EngineConfig
    from pulserec.storage import open_store

    store = open_store(data_dir)
    runtime = assemble(
        store, EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing"),
        data_dir, train_if_empty=True, progress=False,
    )  # fmt: skip
    engine, experiments = runtime.engine, runtime.experiments
    experiments.create({"id": "cost", "variants": [{"name": "a"}, {"name": "b"}]})
    rng = random.Random(7)
    items = [i.id for i in store.list_items(0, 2000)[0]]
    timings: dict[str, list[float]] = {"outside": [], "inside": []}
    for n in range(pairs):
        user = rng.choice(people.ids)
        event = Event(user, rng.choice(items), EventType.CLICK, time.time())
        runtime.ingestor.add_events([event])
        started = time.perf_counter()
        if n % 2:
            placed = experiments.assign(user)
            assert placed is not None
            answer_in_experiment(experiments, placed, user, _answer(engine, user), started)
            timings["inside"].append(time.perf_counter() - started)
        else:
            engine.recommend(user, K)
            timings["outside"].append(time.perf_counter() - started)
    runtime.close()
    store.close()
    p50 = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    print(
        f"assignment + impression logging, in process ({pairs} click-then-recommend pairs, "
        f"alternating): p50 outside {p50['outside']:.3f} ms, inside {p50['inside']:.3f} ms, "
        f"difference {p50['inside'] - p50['outside']:+.3f} ms",
        flush=True,
    )


def _answer(engine: Any, user: str) -> Callable[[Any], Any]:
    return lambda variant: engine.recommend(user, K, models=variant.models)
