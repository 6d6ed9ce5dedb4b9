"""``pulserec bench serve --in-process``: what a computed answer costs, without HTTP.

Over the ml-100k demo data dir (trained on the first start), in this process: a click of a
random known user, then ``Engine.recommend`` for that user (no answer cache can serve it; only
the recommend is timed). Measured side by side in one run, each for the hybrid as served and
through the reference path (every source's ``retrieve``, every item scored by the core):

- ``as trained``: the hybrid as it was fitted (its fallback source, or its blend);
- ``blend, every source``: the learned blend over all seven sources, as if it had won;
- ``blend, weighted sources``: the same blend serving only the sources it weighs.

Both paths give the same lists (``tests/ranking/test_fused.py``); the reference is printed for
the ratio.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.app.runtime import configure_process, open_runtime
from pulserec.app.settings import Settings
from pulserec.core.types import Event, EventType
from pulserec.engine.runtime import Runtime
from pulserec.engine.serving.answer_cache import AnswerCache
from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.choice import sub_blend
from pulserec.models.hybrid.learned import HybridRanker

PAIRS = 2000
WARMUP = 300


def _timed(runtime: Runtime, users: list[str], items: list[str], n: int, seed: int) -> np.ndarray:
    rng = random.Random(seed)
    engine = runtime.engine
    spent = np.empty(n)
    for i in range(n):
        user, item = rng.choice(users), rng.choice(items)
        runtime.ingestor.add_events([Event(user, item, EventType.CLICK, time.time())])
        started = time.perf_counter()
        engine.recommend(user, 10)
        spent[i] = time.perf_counter() - started
    return spent * 1e3


def full_blend(hybrid: HybridRanker) -> LinearBlend:
    """The hybrid's blend over every source (zero weight for those it does not serve)."""
    blend = hybrid.ranker_
    if not isinstance(blend, LinearBlend):
        raise ValueError("the served hybrid learned no blend")
    names = list(hybrid.sources)
    served = list(hybrid._served())
    weights = np.zeros(len(names), dtype=np.float32)
    for name, weight in zip(served, blend.weights_, strict=True):
        weights[names.index(name)] = weight
    full = LinearBlend([2 * i for i in range(len(names))], blend.passes)
    full.weights_ = weights
    return full


@contextmanager
def _variant(hybrid: HybridRanker, name: str) -> Iterator[None]:
    saved = (hybrid.fallback_, hybrid.ranker_, hybrid.serving_)
    try:
        if name != "as trained":
            blend = full_blend(hybrid)
            hybrid.fallback_, hybrid.serving_, hybrid.ranker_ = None, None, blend
            if name == "blend, weighted sources":
                names = list(hybrid.sources)
                kept = [n for n, w in zip(names, blend.weights_, strict=True) if w]
                kept += ["content"] if "content" in names and "content" not in kept else []
                kept = [n for n in names if n in kept]
                hybrid.serving_, hybrid.ranker_ = kept, sub_blend(blend, names, kept)
        yield
    finally:
        hybrid.fallback_, hybrid.ranker_, hybrid.serving_ = saved


def run_computed(data_dir: Path, pairs: int = PAIRS) -> dict[str, Any]:
    """Print and return p50/p99 of the computed answer per variant and path."""
    settings = Settings.load({"data_dir": data_dir, "dataset": "movielens-100k"})
    configure_process(settings)
    runtime, store = open_runtime(settings, train_if_empty=True)
    engine = runtime.engine
    engine.answers = AnswerCache(0)  # every answer computed, even a repeated one
    bundle = engine.bundle
    hybrid = bundle.models.get("hybrid") if bundle is not None else None
    if not isinstance(hybrid, HybridRanker):
        raise ValueError("the data dir serves no hybrid")
    users = [engine.state.users.id_of(i) for i in range(len(engine.state.users))]
    items = [
        i for i in engine.state.items.ids_of(np.arange(len(engine.state.items))) if i is not None
    ]
    fused = hybrid.retrieve
    print(f"{'variant':<26}{'path':<11}{'p50 ms':>8}{'p99 ms':>8}{'mean ms':>9}", flush=True)
    out: dict[str, Any] = {"fallback": hybrid.fallback_, "served": list(hybrid._served())}
    print(f"served: {hybrid.fallback_ or 'blend'} over {', '.join(out['served'])}")
    for variant in ("as trained", "blend, every source", "blend, weighted sources"):
        with _variant(hybrid, variant):
            for path in ("served", "reference"):
                hybrid.retrieve = fused if path == "served" else hybrid.reference_retrieve  # type: ignore[method-assign]
                for user in users:  # every user's rows in the caches the path keeps
                    engine.recommend(user, 10)
                _timed(runtime, users, items, WARMUP, seed=1)
                spent = _timed(runtime, users, items, pairs, seed=2)
                row = {
                    "p50_ms": round(float(np.percentile(spent, 50)), 3),
                    "p99_ms": round(float(np.percentile(spent, 99)), 3),
                    "mean_ms": round(float(spent.mean()), 3),
                }
                out[f"{variant} / {path}"] = row
                print(
                    f"{variant:<26}{path:<11}{row['p50_ms']:>8.3f}{row['p99_ms']:>8.3f}"
                    f"{row['mean_ms']:>9.3f}",
                    flush=True,
                )
        hybrid.retrieve = fused  # type: ignore[method-assign]
    runtime.trainer.stop()
    store.close()
    return out
