"""Events of :mod:`pulserec.data.synthetic`: sessions of 2-12 events with an intent category,
items mixing that intent, the user's tastes and popularity (news: fresh articles), types from
the domain's funnels, written window by window so that time never goes back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pulserec.core.types import EVENT_TYPES, EventType
from pulserec.data.synthetic_world import (
    BACKLIST_S,
    DAY,
    PERIOD_S,
    START,
    TIME_SPAN,
    Floats,
    Ints,
    Rng,
    World,
    cumulative,
    draw,
    jsonl,
    progress_bar,
)
from pulserec.data.vocabularies import Behaviour, Composer, DomainVocab

P_INTENT_FROM_TASTE = 0.85  # a session's intent comes from the user's tastes, else popularity
P_STAY = 0.65  # an event stays on the intent category ...
P_DETOUR_TASTE = 0.2  # ... or takes another draw from the tastes, else a global draw
P_RECENT = 0.7  # news: share of events on freshly published articles
RESAMPLE_ROUNDS = 8
HOURLY = np.array(
    [.35, .25, .18, .15, .15, .2, .35, .55, .7, .75, .75, .8,
     .85, .8, .75, .75, .8, .85, .95, 1.0, 1.0, .9, .7, .5]
)  # fmt: skip
CODE = {name: code for code, name in enumerate(EVENT_TYPES)}
SEARCH, VIEW, RATING = CODE[EventType.SEARCH], CODE[EventType.VIEW], CODE[EventType.RATING]
TYPE_NAMES = np.array(EVENT_TYPES, dtype=object)


@dataclass(frozen=True)
class _Batch:
    """Events as parallel arrays; for a search ``item`` is -1 and ``cat`` the session intent."""

    user: Ints
    item: Ints
    etype: Ints
    ts: Floats
    value: Floats
    cat: Ints
    aux: Ints

    def take(self, index: Any) -> _Batch:
        return _Batch(*(getattr(self, f.name)[index] for f in fields(self)))

    def concat(self, other: _Batch) -> _Batch:
        pairs = ((getattr(self, f.name), getattr(other, f.name)) for f in fields(self))
        return _Batch(*(np.concatenate(pair) for pair in pairs))


@dataclass(frozen=True)
class _Mixes:
    """A domain's behaviour with its event-type mixes compiled to arrays."""

    behaviour: Behaviour
    in_codes: Ints
    in_cdf: Floats
    off_codes: Ints
    off_cdf: Floats
    follow: Ints

    @classmethod
    def of(cls, b: Behaviour) -> _Mixes:
        def mix(m: Mapping[str, float]) -> tuple[Ints, Floats]:
            return np.array([CODE[t] for t in m]), cumulative(np.array(list(m.values())))

        follow = np.array(sorted(CODE[t] for t in b.follow_up))
        return cls(b, *mix(b.in_taste), *mix(b.off_taste), follow)


def write_events(
    path: Path, vocab: DomainVocab, world: World, rng: Rng, n: int, progress: bool, chunk: int
) -> None:
    """``n`` events into ``path``, about ``chunk`` per time window; events spilling past a window
    wait for the next: time never goes back."""
    mixes, queries = _Mixes.of(vocab.behaviour), Composer(vocab, vocab.queries)
    n_chunks = -(-n // chunk)
    width = PERIOD_S / n_chunks
    pending: _Batch | None = None
    written = 0
    with path.open("wb") as out, progress_bar(n, f"{vocab.name} events", progress) as bar:
        for k in range(n_chunks):
            w0, w1 = START + k * width, START + (k + 1) * width
            batch = _sessions(rng, world, mixes, n // n_chunks + (k < n % n_chunks), w0, w1)
            batch = batch if pending is None else pending.concat(batch)
            batch = batch.take(np.argsort(batch.ts, kind="stable"))
            cut = batch.ts.size if k == n_chunks - 1 else int(np.searchsorted(batch.ts, w1))
            out.write(_event_lines(vocab, queries, batch.take(slice(0, cut)), written))
            pending, written = batch.take(slice(cut, None)), written + cut
            bar.update(cut)


def _sessions(rng: Rng, world: World, mixes: _Mixes, n: int, w0: float, w1: float) -> _Batch:
    """``n`` events of sessions starting in [w0, w1), in session order."""
    b = mixes.behaviour
    lens = _session_lengths(rng, n, b.session_p)
    sess = np.repeat(np.arange(lens.size), lens)
    first = np.cumsum(lens) - lens
    pos = np.arange(n) - first[sess]
    gaps = np.clip(b.gap_median_s * np.exp(rng.standard_normal(n)), 2.0, 900.0) * (pos > 0)
    elapsed = np.cumsum(gaps)
    ts = np.round(_session_starts(rng, lens.size, w0, w1)[sess] + elapsed - elapsed[first][sess], 3)
    session_users = draw(world.user_cdf, rng.random(lens.size))
    users = session_users[sess]
    from_taste = rng.random(lens.size) < P_INTENT_FROM_TASTE
    intent = np.where(from_taste, _taste_draw(rng, world, session_users),
                      draw(world.cat_cdf, rng.random(lens.size)))[sess]  # fmt: skip
    u = rng.random(n)
    detour = np.where(u < P_STAY + P_DETOUR_TASTE, _taste_draw(rng, world, users),
                      draw(world.cat_cdf, rng.random(n)))  # fmt: skip
    cats = np.where(u < P_STAY, intent, detour)
    items = _pick_items(rng, world, b, cats, ts)
    etype = _event_types(rng, mixes, pos, _in_taste(world, users, cats))
    follow = np.isin(etype, mixes.follow)
    anchor = np.maximum.accumulate(np.where(follow, 0, np.arange(n)))[follow]
    items[follow], cats[follow] = items[anchor], cats[anchor]
    value = np.full(n, np.nan)
    rated = np.flatnonzero(etype == RATING)
    mean = np.where(_in_taste(world, users[rated], cats[rated]), 4.2, 2.8)
    value[rated] = np.clip(np.round(mean + 0.9 * rng.standard_normal(rated.size)), 1.0, 5.0)
    searched = etype == SEARCH
    items[searched], cats[searched] = -1, intent[searched]
    return _Batch(users, items, etype, ts, value, cats, rng.integers(0, 2**62, size=n))


def _session_lengths(rng: Rng, n: int, p: float) -> Ints:
    """Session lengths (2-12) summing to exactly ``n``; the last session is truncated."""
    parts: list[Ints] = []
    while sum(int(part.sum()) for part in parts) < n:
        parts.append(np.clip(rng.geometric(p, size=int(n * p) + 16), 2, 12).astype(np.int64))
    lens = np.concatenate(parts)
    ends = np.cumsum(lens)
    count = int(np.searchsorted(ends, n)) + 1
    lens = lens[:count].copy()
    lens[-1] -= int(ends[count - 1]) - n
    return lens


def _session_starts(rng: Rng, count: int, w0: float, w1: float) -> Floats:
    """Session start times in [w0, w1), busier in the evening (rejection sampling)."""
    found: list[Floats] = []
    while sum(part.size for part in found) < count:
        t = w0 + (w1 - w0) * rng.random(2 * count + 16)
        found.append(t[rng.random(t.size) < HOURLY[((t - START) // 3600 % 24).astype(np.int64)]])
    return np.concatenate(found)[:count]


def _taste_draw(rng: Rng, world: World, users: Ints) -> Ints:
    col = (rng.random(users.size)[:, None] >= world.fav_cum[users]).sum(axis=1)
    cats: Ints = world.fav[users, col]
    return cats


def _in_taste(world: World, users: Ints, cats: Ints) -> NDArray[np.bool_]:
    hits: NDArray[np.bool_] = (world.fav[users] == cats[:, None]).any(axis=1)
    return hits


def _zipf_items(rng: Rng, world: World, cats: Ints) -> Ints:
    u = np.minimum(rng.random(cats.size), 1.0 - 1e-9)
    pos = np.searchsorted(world.rank_key, cats + u, side="right")
    return world.rank_items[np.minimum(pos, world.cat_end[cats] - 1)]


def _pick_items(rng: Rng, world: World, b: Behaviour, cats: Ints, ts: Floats) -> Ints:
    """Popular (news: fresh) items of each event's category that exist at the event's time."""
    items = _zipf_items(rng, world, cats)
    if b.recency_days > 0:
        target = ts - rng.exponential(b.recency_days * DAY, cats.size)
        key = cats * TIME_SPAN + (target - START + BACKLIST_S)
        pos = np.searchsorted(world.time_key, key, side="right") - rng.geometric(0.3, cats.size)
        fresh = (pos >= world.time_start[cats]) & (rng.random(cats.size) < P_RECENT)
        items[fresh] = world.time_items[pos[fresh]]
    for _ in range(RESAMPLE_ROUNDS):
        early = np.flatnonzero(world.item_ts[items] > ts)
        if early.size == 0:
            break
        items[early] = _zipf_items(rng, world, cats[early])
    early = np.flatnonzero(world.item_ts[items] > ts)
    items[early] = world.time_items[world.time_start[cats[early]]]  # the category's oldest
    items[world.item_ts[items] > ts] = 0
    return items


def _event_types(rng: Rng, mixes: _Mixes, pos: Ints, in_taste: NDArray[np.bool_]) -> Ints:
    """Types from the in/off-taste mixes; sessions open with a view or a search."""
    u = rng.random(pos.size)
    etype = np.where(
        in_taste, mixes.in_codes[draw(mixes.in_cdf, u)], mixes.off_codes[draw(mixes.off_cdf, u)]
    )
    opening = np.flatnonzero(pos == 0)
    searches = rng.random(opening.size) < mixes.behaviour.search_start
    etype[opening] = np.where(searches, SEARCH, VIEW)
    follow, previous = np.isin(etype, mixes.follow), np.roll(etype, 1)
    etype[follow & (pos > 0) & ((previous == SEARCH) | (previous == etype))] = VIEW  # no like, like
    return etype


def _event_lines(vocab: DomainVocab, queries: Composer, b: _Batch, first_id: int) -> bytearray:
    p = vocab.prefix
    columns = (b.user.tolist(), b.item.tolist(), TYPE_NAMES[b.etype].tolist(), b.ts.tolist())
    rows: list[dict[str, Any]] = [
        {
            "event_id": f"ev-{p}{i}",
            "user_id": f"u{u}",
            "item_id": f"{p}{it}",
            "type": t,
            "timestamp": ts,
        }
        for i, u, it, t, ts in zip(range(first_id, first_id + b.ts.size), *columns, strict=True)
    ]
    for j in np.flatnonzero(b.etype == RATING).tolist():
        rows[j]["value"] = float(b.value[j])
    for j in np.flatnonzero(b.etype == SEARCH).tolist():
        del rows[j]["item_id"]
        bits = [int(b.aux[j]) >> (6 * c) for c in range(queries.columns + 1)]
        template = vocab.queries[bits[-1] % len(vocab.queries)]
        rows[j]["query"] = template.format_map(queries.values(int(b.cat[j]), bits, {})).lower()
    return jsonl(rows)
