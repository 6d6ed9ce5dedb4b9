"""``pulserec bench experiments``: do the experiment reports decide right, against a real server?

Simulated people with known preferences drive ``pulserec serve`` over HTTP. The server holds
the first 80% of each MovieLens-100k user's ratings (by time); a person's tastes are every
item they rated 4 or 5 (the server knows most of them, not all). A shown item they like
attracts them with probability ``--liked`` (0.6), any other with ``NOISE`` (0.02); with
``--clicks position`` (the default) every position is looked at with 1 / (1 + rank)^0.7 and
clicked when it attracts, with ``--clicks cascade`` people read from the top, click the first
item that attracts them and stop, reading on after a pass with ``--patience`` (0.9). Each
of ``--visits`` (1) visits per person per experiment is one ``GET /v1/recommend``
(``exclude_seen=false``, so the tastes are not used up) and, when something was clicked, one
``POST /v1/events`` of clicks that carry the answer's ``impression_id``. Every decision is
read from ``GET /v1/experiments/{id}/report``; the bench computes no statistic of its own.

Three families of experiments, ``--experiments`` of each:
- **A/A** (both variants the served default), ``--aa-users`` per variant, a horizon with five
  looks: the false-positive rate of the fixed-horizon test (the last look's p-value), of the
  group-sequential rule (the report's ``significant``) and of naive peeking (any look's p);
- **A/B** (``--control`` against ``--treatment`` models): the true lift is what the click model
  expects from the lists the server actually returned (exact, not sampled); the users per
  variant come from the statsmodels power calculation for that lift at power 0.8, measured on
  a pilot experiment first; the power is the share of experiments the report calls significant
  in the right direction;
- **interleaving** of the same two: the share of experiments whose report prefers the
  treatment after n visits, for growing n; the impressions needed for power 0.8 against the
  A/B test's 2 x users per variant.
Last, in process over the same data: what assignment and impression logging add to the
computed path (click, then recommend), p50 against the same request outside any experiment.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.experiments.assignment import variant_index
from pulserec.experiments.stats import linearized, power_at, users_per_variant
from pulserec.testing.server import LIGHT_ENV, ServerProcess
from pulserec_bench.serve import JsonClient

LIKED = 0.6
NOISE = 0.02
K = 10
HOLDOUT = 0.2
CHECKPOINTS = (10, 20, 30, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400, 500, 700, 943)
EXAMINE = 1.0 / np.power(np.arange(1, K + 1, dtype=np.float64), 0.7)


@dataclass
class People:
    """Ids of the simulated people and what each of them likes (held out from the server)."""

    ids: list[str]
    liked: dict[str, set[str]]
    p_liked: float = LIKED

    def attraction(self, user: str, items: Sequence[str]) -> list[float]:
        """Each shown item's chance to be clicked once it is looked at."""
        likes = self.liked.get(user, set())
        return [self.p_liked if i in likes else NOISE for i in items]


class PositionModel:
    """Every position is looked at with 1 / (1 + rank)^0.7, independently; any number of
    clicks per list."""

    name = "position"

    def expected(self, attraction: Sequence[float]) -> float:
        """P(at least one click)."""
        p = np.asarray(attraction) * EXAMINE[: len(attraction)]
        return float(1 - np.prod(1 - p))

    def sample(self, attraction: Sequence[float], draws: Sequence[float]) -> list[int]:
        p = np.asarray(attraction) * EXAMINE[: len(attraction)]
        return [n for n, (pn, d) in enumerate(zip(p, draws, strict=True)) if d < pn]


class CascadeModel:
    """The cascade model (Craswell et al., 2008): people read from the top, click the first
    item that attracts them and stop; after an item they pass over they read on with
    probability ``patience``. At most one click per list."""

    name = "cascade"

    def __init__(self, patience: float) -> None:
        self.patience = patience

    def expected(self, attraction: Sequence[float]) -> float:
        reach, clicked = 1.0, 0.0
        for a in attraction:
            clicked += reach * a
            reach *= (1 - a) * self.patience
        return clicked

    def sample(self, attraction: Sequence[float], draws: Sequence[float]) -> list[int]:
        for n, (a, d) in enumerate(zip(attraction, draws, strict=True)):
            if d < a:
                return [n]
            if d >= a + (1 - a) * self.patience:  # stops reading
                return []
        return []


@dataclass
class Visit:
    user: str
    impression_id: str
    variant: str
    expected: float  # P(at least one click) under the click model
    clicked: list[str] = field(default_factory=list)


class Driver:
    """Sends visits over a few keep-alive connections (one per thread)."""

    def __init__(
        self,
        base: str,
        people: People,
        connections: int,
        seed: int,
        clicks: PositionModel | CascadeModel,
    ) -> None:
        self.base, self.people, self.clicks = base, people, clicks
        self.pool = ThreadPoolExecutor(connections)
        self.local = threading.local()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.rounds = 1

    def client(self) -> JsonClient:
        found: JsonClient | None = getattr(self.local, "client", None)
        if found is None:
            found = self.local.client = JsonClient(self.base)
        return found

    def call(self, method: str, path: str, body: Any = None) -> Any:
        status, answer, _ = self.client().request(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {answer}")
        return answer

    def visit(self, user: str) -> Visit:
        answer = self.call("GET", f"/v1/recommend/{user}?k={K}&exclude_seen=false")
        items = [i["id"] for i in answer["items"]]
        attraction = self.people.attraction(user, items)
        with self.lock:
            draws = [self.rng.random() for _ in items]
            self.requests += 1
        clicked = [items[n] for n in self.clicks.sample(attraction, draws)]
        experiment = answer.get("experiment") or {}
        visit = Visit(user, answer.get("impression_id", ""), experiment.get("variant", ""),
                      self.clicks.expected(attraction), clicked)  # fmt: skip
        if clicked:
            events = [{"user_id": user, "item_id": i, "type": "click",
                       "impression_id": visit.impression_id} for i in clicked]  # fmt: skip
            self.call("POST", "/v1/events", {"events": events})
        return visit

    def visits(self, users: Sequence[str]) -> list[Visit]:
        """``rounds`` visits of each of ``users`` (one round after the other)."""
        out: list[Visit] = []
        for _ in range(self.rounds):
            out += self.pool.map(self.visit, users)
        return out


def build_data_dir(root: Path) -> People:
    """ml-100k's items and users, and the first 80% of each user's ratings, in a data dir."""
    from pulserec.data.datasets import with_event_ids
    from pulserec.data.movielens import load_movielens_100k
    from pulserec.storage import open_store
    from pulserec.storage.ingest import Ingestor

    data = load_movielens_100k()
    by_user: dict[str, list[Any]] = defaultdict(list)
    for event in with_event_ids(data.events, "ml"):
        by_user[event.user_id].append(event)
    train, liked = [], {}
    for user, events in by_user.items():
        events.sort(key=lambda e: e.timestamp)
        cut = max(1, math.ceil(len(events) * (1 - HOLDOUT)))
        train += events[:cut]
        liked[user] = {e.item_id for e in events if (e.value or 0) >= 4}
    store = open_store(root)
    try:
        ingestor = Ingestor(store)
        ingestor.add_items(data.items)
        ingestor.add_users(data.users)
        for start in range(0, len(train), 10_000):
            ingestor.add_events(train[start : start + 10_000])
    finally:
        store.close()
    return People(sorted(by_user, key=int), liked)


def pick(people: People, salt: str, per_variant: int, rng: random.Random) -> list[str]:
    """``per_variant`` people of each of two equal variants (the server's own assignment)."""
    order = list(people.ids)
    rng.shuffle(order)
    taken: dict[int, list[str]] = {0: [], 1: []}
    for user in order:
        arm = variant_index(salt, user, [1.0, 1.0])
        if len(taken[arm]) < per_variant:
            taken[arm].append(user)
        if all(len(t) >= per_variant for t in taken.values()):
            break
    chosen = taken[0] + taken[1]
    rng.shuffle(chosen)
    return chosen


def experiment(
    driver: Driver, name: str, variants: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    body = {"id": name, "variants": variants, **extra}
    created: dict[str, Any] = driver.call("POST", "/v1/experiments", body)
    return created


def report(driver: Driver, name: str) -> dict[str, Any]:
    found: dict[str, Any] = driver.call("GET", f"/v1/experiments/{name}/report")
    return found


def stop(driver: Driver, name: str) -> None:
    driver.call("POST", f"/v1/experiments/{name}/stop")


def wait_for_models(driver: Driver, name: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while driver.call("GET", f"/v1/experiments/{name}")["pending_models"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the variants' models were not trained in {timeout:.0f} s")
        time.sleep(1)


def run_aa(driver: Driver, people: People, n: int, per_variant: int, rng: random.Random) -> None:
    looks = 5
    fixed = sequential = peeking = 0
    for e in range(n):
        name = f"aa-{e}"
        same: dict[str, Any] = {"config": {}}
        horizon = {"users": per_variant, "looks": looks}
        experiment(driver, name, [{"name": "a", **same}, {"name": "b", **same}], horizon=horizon)
        users = pick(people, name, per_variant, rng)
        chunks = np.array_split(np.array(users), looks)
        p_values = []
        last: dict[str, Any] = {}
        for chunk in chunks:
            driver.visits(list(chunk))
            last = report(driver, name)
            p_values.append(last["lift"]["p_value"] if last["lift"]["p_value"] is not None else 1)
        stop(driver, name)
        fixed += p_values[-1] < 0.05
        peeking += min(p_values) < 0.05
        sequential += bool(last["significant"])
        _progress(
            "A/A", e + 1, n, f"fixed {fixed}, group-sequential {sequential}, peeking {peeking}"
        )
    print(
        f"A/A, {n} experiments x {per_variant} users per variant, {looks} looks:\n"
        f"  false-positive rate, fixed horizon (last look's p < 0.05): {fixed / n:.3f}\n"
        f"  false-positive rate, group-sequential (Pocock, {looks} looks): {sequential / n:.3f}\n"
        f"  false-positive rate, naive peeking (any look's p < 0.05):   {peeking / n:.3f}",
        flush=True,
    )


def pilot(
    driver: Driver, people: People, control: list[str], treatment: list[str]
) -> tuple[float, float, float]:
    """Expected CTR of each configuration over every person (two pilot experiments, each
    serving one configuration to everyone, so the lift is paired by person), and the per-user
    spread of the control's linearised CTR (what the power calculation needs)."""
    means, spread = [], 0.0
    for n, models in enumerate((control, treatment)):
        name = f"pilot-{n}"
        same = {"config": {"models": models}}
        experiment(driver, name, [{"name": "a", **same}, {"name": "b", **same}])
        wait_for_models(driver, name)
        visits = driver.visits(people.ids)
        stop(driver, name)
        means.append(statistics.fmean(v.expected for v in visits))
        if n == 0:
            clicked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for visit in visits:
                clicked[visit.user][0] += bool(visit.clicked)
                clicked[visit.user][1] += 1
            counts = np.array(list(clicked.values()), dtype=np.float64)
            value = counts[:, 0].sum() / counts[:, 1].sum()
            spread = float(np.std(linearized(counts[:, 0], counts[:, 1], value), ddof=1))
    return means[0], means[1], spread


def run_ab(
    driver: Driver,
    people: People,
    n: int,
    per_variant: int,
    control: list[str],
    treatment: list[str],
    rng: random.Random,
) -> float:
    hits, lifts = 0, []
    for e in range(n):
        name = f"ab-{e}"
        experiment(driver, name, _pair(control, treatment), horizon={"users": per_variant})
        visits = driver.visits(pick(people, name, per_variant, rng))
        found = report(driver, name)
        stop(driver, name)
        expected = {arm: statistics.fmean(v.expected for v in visits if v.variant == arm)
                    for arm in ("a", "b")}  # fmt: skip
        lifts.append(expected["b"] / expected["a"] - 1)
        estimate = found["lift"]["estimate"] or 0.0
        hits += bool(found["significant"]) and estimate > 0
        _progress("A/B", e + 1, n, f"significant and right: {hits}")
    power = hits / n
    print(
        f"A/B, {n} experiments x {per_variant} users per variant (fixed horizon):\n"
        f"  true lift (click model's expectation over the served lists): "
        f"mean {statistics.fmean(lifts):+.3f}, sd {statistics.pstdev(lifts):.3f}\n"
        f"  power (significant, right direction): {power:.3f}",
        flush=True,
    )
    return power


def run_interleave(
    driver: Driver,
    people: People,
    n: int,
    control: list[str],
    treatment: list[str],
    most: int,
    rng: random.Random,
    better: str = "b",
) -> int | None:
    """The share of experiments whose report prefers ``better`` (the variant with the higher
    expected CTR) after each checkpoint; returns the first checkpoint (people) at 0.8."""
    marks = [c for c in CHECKPOINTS if c <= most] or [most]
    right: dict[int, int] = defaultdict(int)
    for e in range(n):
        name = f"il-{e}"
        experiment(driver, name, _pair(control, treatment), mode="interleave")
        order = list(people.ids)
        rng.shuffle(order)
        done = 0
        for mark in marks:
            driver.visits(order[done:mark])
            done = mark
            found = report(driver, name)
            right[mark] += found["preferred"] == better
        stop(driver, name)
        _progress(
            "interleaving",
            e + 1,
            n,
            f"preferring the better ranker at {marks[-1]}: {right[marks[-1]]}",
        )
    print(f"interleaving, {n} experiments, {driver.rounds} visit(s) per person:")
    needed = None
    for mark in marks:
        power = right[mark] / n
        shown = mark * driver.rounds
        print(
            f"  after {mark:4d} people ({shown} impressions): "
            f"prefers the better ranker in {power:.3f}"
        )
        if needed is None and power >= 0.8:
            needed = mark
    return needed


def _pair(control: list[str], treatment: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": "a", "config": {"models": control}},
        {"name": "b", "config": {"models": treatment}},
    ]


def _progress(what: str, done: int, total: int, tail: str) -> None:
    if done % max(1, total // 10) == 0 or done == total:
        print(f"  {what} {done}/{total}: {tail}", flush=True)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench experiments", description=__doc__)
    parser.add_argument("--experiments", type=int, default=200, help="of each family")
    parser.add_argument("--aa-users", type=int, default=100, help="per variant")
    parser.add_argument("--control", default="pop", help="models of the A/B control")
    parser.add_argument("--treatment", default="ease", help="models of the A/B treatment")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--liked", type=float, default=LIKED, help="click chance of a liked item")
    parser.add_argument("--clicks", choices=("position", "cascade"), default="position")
    parser.add_argument("--visits", type=int, default=1, help="visits per person per experiment")
    parser.add_argument("--patience", type=float, default=0.9, help="cascade: read on after a pass")
    parser.add_argument("--families", default="aa,ab,interleave,cost")
    args = parser.parse_args(argv)
    families = set(args.families.split(","))
    rng = random.Random(args.seed)
    control, treatment = args.control.split(","), args.treatment.split(",")
    with tempfile.TemporaryDirectory(prefix="pulserec-bench-exp-") as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        people = build_data_dir(data_dir)
        people.p_liked = args.liked
        print(f"data: ml-100k, {len(people.ids)} people, 80% of ratings served, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        server = ServerProcess(data_dir, env={**LIGHT_ENV, "PULSEREC_ANSWER_CACHE": "100000"})
        try:
            server.wait_ready(timeout=900)
            clicks = CascadeModel(args.patience) if args.clicks == "cascade" else PositionModel()
            driver = Driver(server.base, people, args.connections, args.seed, clicks)
            driver.rounds = args.visits
            print(f"click model: {clicks.name}, liked items attract {args.liked}", flush=True)
            _run(driver, people, args, families, control, treatment, rng)
            print(f"requests: {driver.requests} visits in {time.perf_counter() - started:.0f} s")
        finally:
            server.stop()
        if "cost" in families:
            logging_cost(data_dir, people)
    return 0


def _run(
    driver: Driver,
    people: People,
    args: argparse.Namespace,
    families: set[str],
    control: list[str],
    treatment: list[str],
    rng: random.Random,
) -> None:
    per_variant = None
    if families & {"ab", "interleave"}:
        p_a, p_b, spread = pilot(driver, people, control, treatment)
        lift = p_b / p_a - 1
        per_variant = users_per_variant(p_a, lift, spread)
        print(
            f"pilot: expected CTR {'+'.join(control)} {p_a:.4f}, {'+'.join(treatment)} "
            f"{p_b:.4f}: true lift {lift:+.3f}; per-user spread {spread:.3f}; power calculation "
            f"(alpha 0.05, power 0.8): {per_variant} users per variant, "
            f"{2 * per_variant * driver.rounds} impressions",
            flush=True,
        )
        available = len(people.ids) // 2
        ab_users = min(per_variant, available)
        if ab_users < per_variant:
            print(
                f"  the data hold {available} users per variant: the A/B family runs at "
                f"{ab_users}, where the calculation expects power "
                f"{power_at(p_a, lift, spread, ab_users):.3f}",
                flush=True,
            )
    if "aa" in families:
        run_aa(driver, people, args.experiments, args.aa_users, rng)
    if "ab" in families and per_variant is not None:
        run_ab(driver, people, args.experiments, ab_users, control, treatment, rng)
    if "interleave" in families and per_variant is not None:
        most = min(2 * per_variant, len(people.ids))
        better = "b" if lift > 0 else "a"
        needed = run_interleave(
            driver, people, args.experiments, control, treatment, most, rng, better
        )
        ab_impressions = 2 * per_variant * driver.rounds
        if needed is None:
            print("  interleaving did not reach power 0.8 within the A/B test's users")
        else:
            print(
                f"  impressions for power 0.8: interleaving {needed * driver.rounds}, A/B "
                f"{ab_impressions} (the power calculation): "
                f"{ab_impressions / (needed * driver.rounds):.1f}x fewer",
                flush=True,
            )
