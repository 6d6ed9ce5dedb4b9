"""Synthetic, realistic and reproducible data sets for scale and load tests.

``write_synthetic`` writes ``items.jsonl``, ``users.jsonl`` and ``events.jsonl`` for one domain
(``ecommerce``, ``news`` or ``music``) in the formats the importers read. The world behind them:

* items belong to one of 18 categories; their text comes from that category's vocabulary
  (:mod:`pulserec.data.vocabularies`), their popularity is Zipf-like within the category, and
  they were created in the year before or during the 180-day simulated period (ids in order);
* users have heavy-tailed activity and latent tastes, a sparse Dirichlet mix over 1-3 favourite
  categories, stored as ``attributes.favourite_categories`` (strongest first); a third also state
  them in a free-text ``preferences`` sentence;
* events come in sessions of 2-12 events (the last one may be cut short), seconds to minutes
  apart, more in the evening. A session has an intent category, mostly from the user's tastes;
  its items mix that intent, the user's other tastes and global popularity (news: mostly fresh
  articles). Types follow domain funnels; skips and dislikes fall mostly off taste; follow-ups
  (cart, purchase, rating, like...) act on the session's previous item; searches open sessions.
  No event precedes its item's creation.

Everything streams: text in chunks, events window by window, so timestamps never decrease and
event ids ``ev-<prefix><n>`` count up; memory is O(items + users). The same domain, sizes and
seed give byte-identical files. The world is drawn in :mod:`~pulserec.data.synthetic_world`,
items and users in :mod:`~pulserec.data.synthetic_items`, events in
:mod:`~pulserec.data.synthetic_events`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from numbers import Integral
from pathlib import Path

import numpy as np

from pulserec.data.synthetic_events import write_events
from pulserec.data.synthetic_items import ItemRecords, user_records
from pulserec.data.synthetic_world import (
    BACKLIST_S,
    DAY,
    PERIOD_S,
    START,
    TIME_SPAN,
    Record,
    World,
    jsonl,
    progress_bar,
)
from pulserec.data.vocabularies import VOCABULARIES

__all__ = [
    "BACKLIST_S",
    "DAY",
    "DOMAINS",
    "EVENT_CHUNK",
    "PERIOD_S",
    "START",
    "TEXT_CHUNK",
    "TIME_SPAN",
    "SynthSummary",
    "write_synthetic",
]

DOMAINS = ("ecommerce", "news", "music")
EVENT_CHUNK = 100_000  # events per time window (read at each call, so tests may shrink it)
TEXT_CHUNK = 10_000  # item and user records per write


@dataclass(frozen=True)
class SynthSummary:
    """What ``write_synthetic`` wrote."""

    out_dir: Path
    items: int
    users: int
    events: int


def write_synthetic(
    out_dir: Path,
    domain: str,
    n_items: int,
    n_users: int,
    n_events: int,
    seed: int = 0,
    progress: bool = True,
) -> SynthSummary:
    """Write ``items.jsonl``, ``users.jsonl`` and ``events.jsonl`` for ``domain`` into ``out_dir``.

    Exactly ``n_items`` items, ``n_users`` users and ``n_events`` events, deterministic in
    (domain, sizes, seed). Raises ValueError for an unknown domain, a non-positive size or a
    negative seed.
    """
    _validate(domain, n_items, n_users, n_events, seed)
    n_items, n_users, n_events = int(n_items), int(n_users), int(n_events)
    vocab = VOCABULARIES[domain]
    world_rng, item_rng, user_rng, event_rng = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(int(seed)).spawn(4)
    )
    world = World.build(world_rng, vocab, n_items, n_users)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = ItemRecords(vocab, world, int(item_rng.integers(0, 2**62)))
    chunk: Callable[[int, int], Iterable[Record]] = partial(items.chunk, item_rng)
    _write_records(out_dir / "items.jsonl", n_items, f"{domain} items", progress, chunk)
    chunk = partial(user_records, vocab, world, user_rng)
    _write_records(out_dir / "users.jsonl", n_users, f"{domain} users", progress, chunk)
    path = out_dir / "events.jsonl"
    write_events(path, vocab, world, event_rng, n_events, progress, EVENT_CHUNK)
    return SynthSummary(out_dir, n_items, n_users, n_events)


def _validate(domain: str, n_items: int, n_users: int, n_events: int, seed: int) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}: expected one of {', '.join(DOMAINS)}")
    checks = {"n_items": (n_items, 1), "n_users": (n_users, 1), "n_events": (n_events, 1)}
    for name, (value, least) in {**checks, "seed": (seed, 0)}.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
            kind = "a positive" if least else "a non-negative"
            raise ValueError(f"{name} must be {kind} integer, got {value!r}")


def _write_records(
    path: Path, n: int, desc: str, progress: bool, chunk: Callable[[int, int], Iterable[Record]]
) -> None:
    """Write ``n`` records, ``chunk(lo, hi)`` giving records lo..hi-1."""
    with path.open("wb") as out, progress_bar(n, desc, progress) as bar:
        for lo in range(0, n, TEXT_CHUNK):
            hi = min(n, lo + TEXT_CHUNK)
            out.write(jsonl(chunk(lo, hi)))
            bar.update(hi - lo)
