"""Named data sets that ``serve --dataset`` and ``evaluate --dataset`` know how to load."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tqdm import tqdm

from pulserec.core.types import Event
from pulserec.data.movielens import load_movielens
from pulserec.storage.ingest import Ingestor

logger = logging.getLogger(__name__)

DATASETS = ("movielens-100k", "movielens-1m")
EVENT_BATCH = 10_000


def with_event_ids(events: Sequence[Event], prefix: str) -> list[Event]:
    """Give id-less events stable ids (``prefix:n``) so that re-loading never duplicates them."""
    return [
        e
        if e.event_id
        else Event(e.user_id, e.item_id, e.type, e.timestamp, e.value, e.query, f"{prefix}:{n}")
        for n, e in enumerate(events)
    ]


def load_dataset(name: str, ingestor: Ingestor, progress: bool = True) -> int:
    """Load data set ``name`` through the ingestion path; returns the number of new events."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r} (known: {', '.join(DATASETS)})")
    data = load_movielens(name)
    ingestor.add_items(data.items)
    ingestor.add_users(data.users)
    events = with_event_ids(data.events, name)
    accepted = 0
    with tqdm(
        total=len(events), desc=f"loading {name}", unit=" events", disable=not progress
    ) as bar:
        for start in range(0, len(events), EVENT_BATCH):
            batch = events[start : start + EVENT_BATCH]
            accepted += ingestor.add_events(batch).accepted
            bar.update(len(batch))
    logger.info(
        "loaded %s: %d items, %d users, %d events", name, len(data.items), len(data.users), accepted
    )
    return accepted
