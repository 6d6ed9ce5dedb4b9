"""Simulated people for ``pulserec bench experiments``: what each likes, how they click a shown
list (position-based or cascade model) and the driver that sends their visits over HTTP."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pulserec_bench.serve import JsonClient

LIKED = 0.6
NOISE = 0.02
K = 10
HOLDOUT = 0.2
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
