"""The latent world behind :mod:`pulserec.data.synthetic`: the simulated period, the catalogue's
categories, creation times and popularity, and people's tastes and activity; with the sampling
and output helpers the item, user and event writers share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from tqdm import tqdm

from pulserec.data.vocabularies import DomainVocab

DAY = 86_400.0
START = 1_704_067_200.0  # 2024-01-01T00:00:00Z, first instant of the simulated period
PERIOD_S = 180 * DAY
BACKLIST_S = 365 * DAY  # items older than the period were created in the year before it
TIME_SPAN = BACKLIST_S + PERIOD_S + DAY
LINE = orjson.OPT_APPEND_NEWLINE

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Rng = np.random.Generator
Record = dict[str, Any]


def draw(cdf: Floats, u: Floats) -> Ints:
    """Indices drawn from a cumulative distribution for uniforms ``u``."""
    return np.minimum(np.searchsorted(cdf, u, side="right"), cdf.size - 1).astype(np.int64)


def cumulative(weights: Floats) -> Floats:
    """The cumulative distribution of ``weights``, exactly 1 from the last non-zero weight."""
    cdf: Floats = np.cumsum(weights) / weights.sum()
    cdf[np.flatnonzero(weights)[-1] :] = 1.0
    return cdf


def jsonl(records: Iterable[Record]) -> bytearray:
    """JSON lines; appended one by one since each ``orjson.dumps`` result holds a 4 KiB buffer."""
    out = bytearray()
    for record in records:
        out += orjson.dumps(record, option=LINE)
    return out


def progress_bar(n: int, what: str, enabled: bool) -> tqdm[Any]:
    """A bar over ``n`` rows (silent unless ``enabled``)."""
    return tqdm(total=n, desc=what, unit=" rows", unit_scale=True, disable=not enabled)


@dataclass(frozen=True)
class World:
    """Latent state shared by items, users and events: arrays of size O(items + users)."""

    item_cat: Ints  # category of each item
    item_ts: Floats  # creation time of each item (ids are in creation order)
    cat_cdf: Floats  # traffic share of the categories, cumulative (0 for empty ones)
    rank_items: Ints  # items grouped by category, most popular first
    rank_key: Floats  # category + cumulative Zipf share within the category
    cat_end: Ints  # one past each category's last position in rank_items
    time_items: Ints  # items grouped by category, oldest first
    time_key: Floats  # category * TIME_SPAN + age, for recency lookups
    time_start: Ints  # each category's first position in time_items
    fav: Ints  # (users, 3) favourite categories, strongest first, -1 padded
    fav_cum: Floats  # (users, 3) cumulative taste weights
    user_cdf: Floats  # heavy-tailed activity, cumulative

    @classmethod
    def build(cls, rng: Rng, vocab: DomainVocab, n_items: int, n_users: int) -> World:
        """Draw the catalogue (categories, creation times, popularity), tastes and activity."""
        weights = np.array([c.weight for c in vocab.categories])
        n_cats = weights.size
        cats = draw(cumulative(weights), rng.random(n_items))
        cats[: min(n_items, n_cats)] = rng.permutation(n_cats)[: min(n_items, n_cats)]
        n_old = int(rng.binomial(n_items, vocab.behaviour.backlist_share))
        ts = np.sort(np.concatenate([START - BACKLIST_S * rng.random(n_old),
                                     START + PERIOD_S * rng.random(n_items - n_old)]))  # fmt: skip
        ts[0] = min(ts[0], START - 3600.0)  # item 0 predates every event: the last resort
        ts = np.round(ts, 3)
        order = np.lexsort((rng.random(n_items), cats))  # random popularity order per category
        grouped = cats[order]
        starts = np.searchsorted(grouped, np.arange(n_cats))
        ends = np.searchsorted(grouped, np.arange(n_cats), side="right")
        base = np.concatenate(
            ([0.0], np.cumsum(1.0 / (1.0 + np.arange(n_items) - starts[grouped])))
        )
        share = (base[1:] - base[starts][grouped]) / (base[ends] - base[starts])[grouped]
        time_items = np.argsort(cats, kind="stable")
        time_key = cats[time_items] * TIME_SPAN + (ts[time_items] - START + BACKLIST_S)
        cat_cdf = cumulative(weights * (np.bincount(cats, minlength=n_cats) > 0))
        fav, fav_cum = _tastes(rng, cat_cdf, n_users)
        activity = cumulative(rng.lognormal(0.0, 1.2, n_users))
        time_start = np.searchsorted(cats[time_items], np.arange(n_cats))
        return cls(cats, ts, cat_cdf, order, grouped + share, ends, time_items, time_key,
                   time_start, fav, fav_cum, activity)  # fmt: skip


def _tastes(rng: Rng, cat_cdf: Floats, n_users: int) -> tuple[Ints, Floats]:
    """1-3 distinct favourite categories per user with Dirichlet(1) weights, strongest first."""
    k = 1 + draw(np.array([0.35, 0.75, 1.0]), rng.random(n_users))
    cand = draw(cat_cdf, rng.random((n_users, 3)))
    weight = rng.gamma(1.0, size=(n_users, 3)) + 1e-9
    dup = np.zeros((n_users, 3), dtype=bool)
    dup[:, 1] = cand[:, 1] == cand[:, 0]
    dup[:, 2] = (cand[:, 2] == cand[:, 0]) | (cand[:, 2] == cand[:, 1])
    col = np.arange(3)
    weight[dup | (col >= k[:, None])] = 0.0
    order = np.argsort(-weight, axis=1, kind="stable")
    weight = np.take_along_axis(weight, order, axis=1)
    weight /= weight.sum(axis=1, keepdims=True)
    fav = np.where(weight > 0, np.take_along_axis(cand, order, axis=1), -1)
    last = (weight > 0).sum(axis=1) - 1
    return fav, np.where(col >= last[:, None], 1.0, np.cumsum(weight, axis=1))
