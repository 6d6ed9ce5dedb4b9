"""Split protocols (BENCHMARKS.md): how events become train, validation and test sets.

Every protocol returns a :class:`Split` whose three parts share the data's ``IdMap``s, so model
rows and columns line up across them. Splits are deterministic: ``random`` shuffles exactly as
RecBole does (torch's ``randperm`` seeded with ``seed``, so a seed gives RecBole's own split),
``cold-items`` and ``ratings`` draw from ``numpy.random.default_rng(seed)``, and ``temporal``
and ``loo`` depend on time and file order only. Where events tie in time, the data file's order
breaks the tie (a stable sort on the timestamp).

Masking (what a user may not be recommended): at validation time their training items; at test
time their training and validation items. Test (and validation) targets that are masked anyway
are dropped from the targets, since no model could ever rank them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core.interactions import Interactions
from pulserec.models.hybrid.holdout import recent_mask

Stage = Literal["valid", "test"]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Split:
    """Train, validation and test events over the same maps, and how to evaluate on them.

    ``candidates`` limits ranking to some items (the cold items of ``cold-items``); None means
    the whole catalog. ``refit_on_valid``: whether the final model learns from train + valid
    (only ``ratings``, whose validation part is carved out of its 80% training share).
    """

    protocol: str
    train: Interactions
    valid: Interactions
    test: Interactions
    candidates: Bools | None = None
    refit_on_valid: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def seen(self, stage: Stage) -> sp.csr_matrix:
        """Items each user may not be recommended at ``stage`` (binary users x items)."""
        seen = self.train.matrix()
        if stage == "test":
            seen = seen + self.valid.matrix()
            seen.data[:] = 1.0
        return sp.csr_matrix(seen)

    def targets(self, stage: Stage) -> sp.csr_matrix:
        """Each user's relevant items at ``stage``, less the masked ones (binary users x items)."""
        part = self.valid if stage == "valid" else self.test
        relevant = part.matrix() - part.matrix().multiply(self.seen(stage))
        relevant = sp.csr_matrix(relevant)
        relevant.eliminate_zeros()
        return relevant

    def fit_data(self) -> Interactions:
        """What the final (test-time) model learns from."""
        if self.refit_on_valid:
            return Interactions.concat([self.train, self.valid])
        return self.train


def _group_positions(users: npt.NDArray[np.int32], order: Ints, n_users: int) -> tuple[Ints, Ints]:
    """For events in ``order`` (grouped by user): position within the user's group, group size."""
    sorted_users = users[order].astype(np.int64)
    counts = np.bincount(sorted_users, minlength=n_users)
    starts = np.cumsum(counts) - counts
    position = np.arange(order.shape[0], dtype=np.int64) - starts[sorted_users]
    return position, counts[sorted_users]


def recbole_ratio_counts(n: Ints, ratios: tuple[float, float, float]) -> tuple[Ints, Ints, Ints]:
    """Per-group train/valid/test sizes as RecBole's ``split_by_ratio`` computes them.

    valid and test get ``floor(ratio * n)``, train the remainder; then, while train keeps more
    than one event, a split whose share is between 0 and 1 event gets one (test first).

    >>> [c.tolist() for c in recbole_ratio_counts(np.array([20, 25, 5, 2]), (0.8, 0.1, 0.1))]
    [[16, 21, 3, 1], [2, 2, 1, 0], [2, 2, 1, 1]]
    """
    n = np.asarray(n, dtype=np.int64)
    valid = np.floor(ratios[1] * n).astype(np.int64)
    test = np.floor(ratios[2] * n).astype(np.int64)
    train = n - valid - test
    for part, ratio in ((test, ratios[2]), (valid, ratios[1])):
        bump = (train > 1) & (ratio * n > 0) & (ratio * n < 1)
        part += bump
        train -= bump
    return train, valid, test


def _parts(data: Interactions, label: npt.NDArray[np.int8]) -> tuple[Interactions, ...]:
    """Events labelled 0, 1, 2 as train, valid, test (each keeps the data file's order)."""
    return tuple(data.select(label == part) for part in (0, 1, 2))


def recbole_permutation(n: int, seed: int) -> Ints:
    """The shuffle RecBole's ``RO`` order applies: ``torch.randperm(n)`` right after seeding.

    RecBole seeds torch with the run's seed and its first draw is this shuffle, so the same seed
    gives the very same split (``--seed 2020`` reproduces BENCHMARKS.md's peer runs). A private
    generator is used; torch's global RNG is left alone.
    """
    import torch  # a core dependency, imported here only to keep other protocols light

    generator = torch.Generator().manual_seed(seed)
    perm: Ints = torch.randperm(n, generator=generator).numpy().astype(np.int64)
    return perm


def split_random(
    data: Interactions, seed: int, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> Split:
    """Per user, random 80/10/10 (RecBole ``RS [0.8,0.1,0.1]``, order ``RO``, group by user).

    All events are shuffled (:func:`recbole_permutation`), grouped by user (stable, so each
    user's events stay in shuffled order) and cut by :func:`recbole_ratio_counts`: for the same
    data file and seed this is RecBole 1.2.1's split, event for event.
    """
    shuffled = recbole_permutation(len(data), seed)
    order = shuffled[np.argsort(data.user_idx[shuffled], kind="stable")]
    position, size = _group_positions(data.user_idx, order, data.n_users)
    train_n, valid_n, _ = recbole_ratio_counts(size, ratios)
    label = np.empty(len(data), dtype=np.int8)
    label[order] = np.where(position < train_n, 0, np.where(position < train_n + valid_n, 1, 2))
    train, valid, test = _parts(data, label)
    info = {"ratios": list(ratios), "order": "RO", "shuffle": "torch.randperm (as RecBole)"}
    return Split("random", train, valid, test, info=info)


def _time_order(data: Interactions) -> Ints:
    """Event indices by time; ties keep the data file's order."""
    return np.argsort(data.timestamp, kind="stable").astype(np.int64)


def split_temporal(data: Interactions, seed: int, valid: float = 0.1, test: float = 0.1) -> Split:
    """Global time cut: the latest ``test`` share of events is test, the ``valid`` before it valid.

    The cut is by position in time order (ties broken by file order), so the parts hold exactly
    ``floor(share * n)`` events. ``info["cold_test_user_share"]``: share of test users without a
    training event. ``seed`` is unused (the split depends on time only).
    """
    order = _time_order(data)
    n = len(data)
    n_test, n_valid = int(np.floor(test * n)), int(np.floor(valid * n))
    label = np.zeros(n, dtype=np.int8)
    label[order[n - n_test - n_valid : n - n_test]] = 1
    label[order[n - n_test :]] = 2
    train_part, valid_part, test_part = _parts(data, label)
    test_users = np.unique(test_part.user_idx)
    cold = ~np.isin(test_users, train_part.user_idx)
    info = {
        "test_users": int(test_users.size),
        "cold_test_users": int(cold.sum()),
        "cold_test_user_share": float(cold.mean()) if test_users.size else 0.0,
    }
    return Split("temporal", train_part, valid_part, test_part, info=info)


def split_loo(data: Interactions, seed: int) -> Split:
    """Leave one out by time: each user's last event is test, the one before valid.

    Users sort their events by time with file order breaking ties. A user with two events gives
    the last to test and none to valid; a user with one event keeps it in train. ``seed`` is
    unused.
    """
    n = len(data)
    order = np.lexsort((np.arange(n), data.timestamp, data.user_idx)).astype(np.int64)
    position, size = _group_positions(data.user_idx, order, data.n_users)
    from_end = size - 1 - position
    label = np.zeros(n, dtype=np.int8)
    label[order[(from_end == 0) & (size >= 2)]] = 2
    label[order[(from_end == 1) & (size >= 3)]] = 1
    train, valid, test = _parts(data, label)
    return Split("loo", train, valid, test, info={"tie_break": "data file order"})


def split_recent(data: Interactions, seed: int, share: float = 0.2) -> Split:
    """Per user with at least 5 events, the most recent ``share`` (at least one) is test, in
    time order; the rest is the history the model and the server see. Validation applies the
    same rule to that history (for tuning); the final model learns the whole history.
    ``seed`` is unused (the split depends on time and file order only)."""
    test = recent_mask(data, share)
    history = np.flatnonzero(~test)
    valid = np.zeros(len(data), dtype=bool)
    valid[history[recent_mask(data.select(history), share)]] = True
    label = np.where(test, 2, np.where(valid, 1, 0)).astype(np.int8)
    train, valid_part, test_part = _parts(data, label)
    info = {"held_out_share": share, "min_events": 5, "tie_break": "data file order"}
    return Split("recent", train, valid_part, test_part, refit_on_valid=True, info=info)


def split_cold_items(data: Interactions, seed: int, share: float = 0.2) -> Split:
    """A seeded ``share`` of the catalog gets no training events; test = events with those items.

    Ranking is among the cold items only (``candidates``). There is no validation part: models
    run with their default hyper-parameters.
    """
    rng = np.random.default_rng(seed)
    n_cold = round(share * data.n_items)
    cold = np.zeros(data.n_items, dtype=bool)
    cold[rng.choice(data.n_items, size=n_cold, replace=False)] = True
    label = np.where(cold[data.item_idx], 2, 0).astype(np.int8)
    train, valid, test = _parts(data, label)
    info = {"cold_items": n_cold, "cold_item_share": share}
    return Split("cold-items", train, valid, test, candidates=cold, info=info)


def split_ratings(data: Interactions, seed: int, test: float = 0.2, valid: float = 0.1) -> Split:
    """Random 80/20 of explicit ratings (events with a value) for MAE and RMSE.

    A further ``valid`` share of all ratings is taken from the 80% for tuning; the final model
    refits on train + valid, i.e. on the whole 80% (like a surprise 80/20 fold). Events without a
    value stay in train.
    """
    rng = np.random.default_rng(seed)
    rated = np.flatnonzero(np.isfinite(data.value))
    shuffled = rated[rng.permutation(rated.size)]
    n_test, n_valid = int(np.floor(test * rated.size)), int(np.floor(valid * rated.size))
    label = np.zeros(len(data), dtype=np.int8)
    label[shuffled[:n_test]] = 2
    label[shuffled[n_test : n_test + n_valid]] = 1
    train, valid_part, test_part = _parts(data, label)
    info = {"test_share": test, "valid_share": valid}
    return Split("ratings", train, valid_part, test_part, refit_on_valid=True, info=info)


PROTOCOLS: dict[str, Callable[[Interactions, int], Split]] = {
    "random": split_random,
    "temporal": split_temporal,
    "loo": split_loo,
    "recent": split_recent,
    "cold-items": split_cold_items,
    "ratings": split_ratings,
}
RATING_PROTOCOLS = frozenset({"ratings"})


def make_split(protocol: str, data: Interactions, seed: int) -> Split:
    """The split named ``protocol``; ValueError for an unknown name."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    split = PROTOCOLS[protocol](data, seed)
    sizes = {"train": len(split.train), "valid": len(split.valid), "test": len(split.test)}
    return Split(
        split.protocol,
        split.train,
        split.valid,
        split.test,
        split.candidates,
        split.refit_on_valid,
        {**sizes, **split.info},
    )
