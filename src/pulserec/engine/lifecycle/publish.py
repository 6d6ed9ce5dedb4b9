"""Fit then publish: the one path every training takes (the server's trainer, ``pulserec
train`` and ``pulserec trainer``).

A :class:`Snapshot` is the events up to a cut of the store (and the catalog's text vectors);
:func:`fit_and_publish` fits every configured model on it, saves the version with the cut in
its meta, prunes old versions, and takes every user deleted while it fitted out of the saved
user maps, so no version published after a deletion holds that person.
"""

from __future__ import annotations

import fcntl
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from pulserec.artifacts import ArtifactStore
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.fitting import (
    Fitted,
    Parallel,
    fit_models,
    save_entries,
    training_meta,
)
from pulserec.experiments.service import running_models
from pulserec.storage.base import ExperimentStore
from pulserec.storage.changelog import DELETE_USER, ChangeLog, Cut, LogPruned, contiguous

logger = logging.getLogger(__name__)
TRAINING_LOCK = ".training.lock"


def try_lock(path: Path) -> IO[str] | None:
    """An exclusive lock on ``path`` across processes, or None when another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


@dataclass(frozen=True)
class Snapshot:
    """What a version is fitted on: the events up to ``cut``, the catalog's text vectors, and
    how many items the id map held at the cut."""

    data: Interactions
    vectors: ItemVectors | None
    n_items: int
    cut: Cut


@dataclass(frozen=True)
class Published:
    """A version fitted and saved: its name, fitted models and meta (the cut included)."""

    version: str
    fitted: dict[str, Fitted]
    meta: dict[str, Any]


class PublishStore(ChangeLog, ExperimentStore, Protocol):
    """What publishing reads: running experiments' models and the deletions since the cut
    (the log, else the tombstones)."""

    def forgotten(self, user_ids: Sequence[str]) -> set[str]: ...


def fit_and_publish(
    store: PublishStore,
    config: EngineConfig,
    snapshot: Snapshot,
    artifacts: ArtifactStore | None,
    parallel: Parallel | None = None,
    trained_by: str | None = None,
    deleted_row: Callable[[str], int | None] = lambda user_id: None,
) -> Published:
    """Fit every configured model on ``snapshot`` and publish a version (kept in memory only,
    ``mem-…``, without ``artifacts`` or when no model could be fitted: the reasons are in the
    meta's ``skipped``). Users deleted since the cut leave every saved user map
    (``deleted_row``: the row a user had where the map already holds a hole for them)."""
    started = time.perf_counter()
    skipped: dict[str, str] = {}
    fitted = fit_models(
        config, snapshot.data, snapshot.vectors, skipped, parallel, running_models(store)
    )
    data, cut = snapshot.data, snapshot.cut
    meta = training_meta(snapshot.n_items, len(data), fitted, skipped, cut, started)
    if trained_by is not None:
        meta["trained_by"] = trained_by
    if artifacts is None or not fitted:
        return Published(f"mem-{uuid.uuid4().hex[:8]}", fitted, meta)
    version = artifacts.save_bundle(save_entries(fitted), data.users, data.items, meta)
    artifacts.prune(config.keep_versions)
    from pulserec.privacy.audit import scrub_user

    try:
        gone = deleted_since(store, cut.log_seq)  # deleted while it fitted
    except LogPruned:  # the log no longer reaches the cut: ask the tombstones
        gone = sorted(store.forgotten(data.users.held()))
    for user_id in gone:
        scrub_user(artifacts, user_id, deleted_row(user_id))
    return Published(version, fitted, meta)


def deleted_since(store: ChangeLog, log_seq: int, upto: int | None = None) -> list[str]:
    """Ids of users deleted by log entries after ``log_seq`` (up to ``upto``, else all);
    LogPruned when the log no longer holds the entries right after ``log_seq``."""
    deleted: list[str] = []
    while True:
        entries = contiguous(log_seq, store.entries(log_seq, limit=1000))
        for entry in entries:
            if upto is not None and entry.seq > upto:
                return deleted
            if entry.kind == DELETE_USER:
                deleted.append(str(entry.payload["id"]))
        if len(entries) < 1000:
            return deleted
        log_seq = entries[-1].seq
