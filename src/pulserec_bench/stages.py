"""``pulserec bench serve --profile``: where a computed answer's time goes, stage by stage.

In this process, over the data dir as served: a click of a random known user (its write: the
store's commit and the online state's update), then ``Engine.recommend`` for that user, each
stage timed by wrapping the function that does it: every served source's row, the pool and
blend, the top of the pool, and the engine around them (filters, stand-ins, fill, the
answer's items; the total less the stages inside it). Printed as p50 and mean microseconds
per request, with each stage's share of the recommend's mean. Over HTTP, add what ``serve``
measures against the bare floor (parsing, routing, middleware, serialising): about 150 us per
request on this machine (``docs/benchmarks.md``).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.app.runtime import configure_process, open_runtime
from pulserec.app.settings import Settings
from pulserec.core.types import Event, EventType
from pulserec.engine.serving.answer_cache import AnswerCache
from pulserec.models.hybrid import fused
from pulserec.models.hybrid.learned import HybridRanker

PAIRS = 2000
INSIDE = ("pool and blend", "top of the pool")


@contextmanager
def _timed_stages(hybrid: HybridRanker, spent: dict[str, list[float]]) -> Iterator[None]:
    """Wrap the served path's stages so each call adds its seconds to ``spent``."""
    names = {id(source): name for name, source in hybrid.sources.items()}
    saved = {name: getattr(fused, name) for name in ("source_row", "blended_pool", "top_of_pool")}

    def timed(label: Callable[[tuple[Any, ...]], str], function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label(args)].append(time.perf_counter() - started)

        return run

    fused.source_row = timed(lambda a: f"source: {names.get(id(a[0]), '?')}", saved["source_row"])
    fused.blended_pool = timed(lambda a: INSIDE[0], saved["blended_pool"])
    fused.top_of_pool = timed(lambda a: INSIDE[1], saved["top_of_pool"])
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(fused, name, function)


def run_stages(data_dir: Path, pairs: int = PAIRS) -> dict[str, Any]:
    """Print and return each stage's p50 and mean (us) over ``pairs`` click-then-recommend."""
    settings = Settings.load({"data_dir": data_dir, "dataset": "movielens-100k"})
    configure_process(settings)
    runtime, store = open_runtime(settings, train_if_empty=True)
    engine = runtime.engine
    engine.answers = AnswerCache(0)  # every answer computed
    bundle = engine.bundle
    hybrid = bundle.models.get("hybrid") if bundle is not None else None
    if not isinstance(hybrid, HybridRanker):
        raise ValueError("the data dir serves no hybrid")
    users = [
        u
        for u in (engine.state.users.id_of_or_none(i) for i in range(len(engine.state.users)))
        if u
    ]
    items = engine.state.items.held()
    for user in users:  # every user's kept rows warm, as a running server has them
        engine.recommend(user, 10)
    rng = random.Random(3)
    spent: dict[str, list[float]] = defaultdict(list)
    with _timed_stages(hybrid, spent):
        for _ in range(pairs):
            user = rng.choice(users)
            started = time.perf_counter()
            runtime.ingestor.add_events(
                [Event(user, rng.choice(items), EventType.CLICK, time.time())]
            )
            spent["write the event"].append(time.perf_counter() - started)
            started = time.perf_counter()
            engine.recommend(user, 10)
            spent["recommend (all below)"].append(time.perf_counter() - started)
    total = np.array(spent["recommend (all below)"])
    inner = sum(np.array(v) for k, v in spent.items() if k.startswith("source") or k in INSIDE)
    spent["engine around them"] = list(total - inner)
    out: dict[str, Any] = {}
    print(f"{'stage':<28}{'p50 us':>9}{'mean us':>9}{'share':>8}", flush=True)
    for stage, seconds in spent.items():
        values = np.array(seconds) * 1e6
        share = values.sum() / (total.sum() * 1e6)
        out[stage] = {
            "p50_us": round(float(np.median(values)), 1),
            "mean_us": round(float(values.mean()), 1),
        }
        shown = "" if stage.startswith(("write", "recommend")) else f"{share:>7.0%}"
        print(f"{stage:<28}{out[stage]['p50_us']:>9.1f}{out[stage]['mean_us']:>9.1f}{shown:>8}")
    runtime.trainer.stop()
    store.close()
    return out
