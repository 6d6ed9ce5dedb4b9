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
seed give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import partial
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from tqdm import tqdm

from pulserec.core.types import EVENT_TYPES, EventType
from pulserec.data.vocabularies import AGE_BANDS, VOCABULARIES, Behaviour, Composer, DomainVocab
from pulserec.data.vocabularies import render as _render

DOMAINS = ("ecommerce", "news", "music")
DAY = 86_400.0
START = 1_704_067_200.0  # 2024-01-01T00:00:00Z, first instant of the simulated period
PERIOD_S = 180 * DAY
BACKLIST_S = 365 * DAY  # items older than the period were created in the year before it
TIME_SPAN = BACKLIST_S + PERIOD_S + DAY
EVENT_CHUNK = 100_000
TEXT_CHUNK = 10_000
P_INTENT_FROM_TASTE = 0.85  # a session's intent comes from the user's tastes, else popularity
P_STAY = 0.65  # an event stays on the intent category ...
P_DETOUR_TASTE = 0.2  # ... or takes another draw from the tastes, else a global draw
P_RECENT = 0.7  # news: share of events on freshly published articles
RESAMPLE_ROUNDS = 8
HOURLY = np.array(
    [.35, .25, .18, .15, .15, .2, .35, .55, .7, .75, .75, .8,
     .85, .8, .75, .75, .8, .85, .95, 1.0, 1.0, .9, .7, .5]
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CODE = {name: code for code, name in enumerate(EVENT_TYPES)}
SEARCH, VIEW, RATING = CODE[EventType.SEARCH], CODE[EventType.VIEW], CODE[EventType.RATING]
TYPE_NAMES = np.array(EVENT_TYPES, dtype=object)
LINE = orjson.OPT_APPEND_NEWLINE
MASK64 = 0xFFFFFFFFFFFFFFFF

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Rng = np.random.Generator
Record = dict[str, Any]


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
    world = _World.build(world_rng, vocab, n_items, n_users)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = _Items(vocab, world, int(item_rng.integers(0, 2**62)))
    chunk: Callable[[int, int], Iterable[Record]] = partial(items.chunk, item_rng)
    _write_records(out_dir / "items.jsonl", n_items, f"{domain} items", progress, chunk)
    chunk = partial(_users, vocab, world, user_rng)
    _write_records(out_dir / "users.jsonl", n_users, f"{domain} users", progress, chunk)
    _write_events(out_dir / "events.jsonl", vocab, world, event_rng, n_events, progress)
    return SynthSummary(out_dir, n_items, n_users, n_events)


def _validate(domain: str, n_items: int, n_users: int, n_events: int, seed: int) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}: expected one of {', '.join(DOMAINS)}")
    checks = {"n_items": (n_items, 1), "n_users": (n_users, 1), "n_events": (n_events, 1)}
    for name, (value, least) in {**checks, "seed": (seed, 0)}.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
            kind = "a positive" if least else "a non-negative"
            raise ValueError(f"{name} must be {kind} integer, got {value!r}")


def _draw(cdf: Floats, u: Floats) -> Ints:
    """Indices drawn from a cumulative distribution for uniforms ``u``."""
    return np.minimum(np.searchsorted(cdf, u, side="right"), cdf.size - 1).astype(np.int64)


def _cdf(weights: Floats) -> Floats:
    cdf: Floats = np.cumsum(weights) / weights.sum()
    cdf[np.flatnonzero(weights)[-1] :] = 1.0
    return cdf


def _jsonl(records: Iterable[Record]) -> bytearray:
    """JSON lines; appended one by one since each ``orjson.dumps`` result holds a 4 KiB buffer."""
    out = bytearray()
    for record in records:
        out += orjson.dumps(record, option=LINE)
    return out


def _progress(n: int, what: str, enabled: bool) -> tqdm[Any]:
    return tqdm(total=n, desc=what, unit=" rows", unit_scale=True, disable=not enabled)


@dataclass(frozen=True)
class _World:
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
    def build(cls, rng: Rng, vocab: DomainVocab, n_items: int, n_users: int) -> _World:
        """Draw the catalogue (categories, creation times, popularity), tastes and activity."""
        weights = np.array([c.weight for c in vocab.categories])
        n_cats = weights.size
        cats = _draw(_cdf(weights), rng.random(n_items))
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
        cat_cdf = _cdf(weights * (np.bincount(cats, minlength=n_cats) > 0))
        fav, fav_cum = _tastes(rng, cat_cdf, n_users)
        activity = _cdf(rng.lognormal(0.0, 1.2, n_users))
        time_start = np.searchsorted(cats[time_items], np.arange(n_cats))
        return cls(cats, ts, cat_cdf, order, grouped + share, ends, time_items, time_key,
                   time_start, fav, fav_cum, activity)  # fmt: skip


def _tastes(rng: Rng, cat_cdf: Floats, n_users: int) -> tuple[Ints, Floats]:
    """1-3 distinct favourite categories per user with Dirichlet(1) weights, strongest first."""
    k = 1 + _draw(np.array([0.35, 0.75, 1.0]), rng.random(n_users))
    cand = _draw(cat_cdf, rng.random((n_users, 3)))
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


def _bits(seed: int, count: int) -> list[int]:
    """``count`` pseudo-random 31-bit ints from one seed (splitmix64)."""
    out = []
    for _ in range(count):
        seed = (seed + 0x9E3779B97F4A7C15) & MASK64
        z = ((seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        out.append((((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64) >> 33)
    return out


class _Items:
    """Builds item records: title, description, tags, categories and domain attributes."""

    EXTRA = 12  # random columns after the text's: title, 3 sentences, flag, 5 tags, 2 artist

    def __init__(self, vocab: DomainVocab, world: _World, salt: int) -> None:
        self.vocab, self.world, self.salt = vocab, world, salt
        self.text = Composer(vocab, [*vocab.titles, *(t for g in vocab.sentences for t in g)])
        artists = {t for c in vocab.categories for t in c.words.get("artist", ())}
        self.artists = Composer(vocab, sorted(artists))
        self.counts = np.bincount(world.item_cat, minlength=len(vocab.categories)).tolist()

    def chunk(self, rng: Rng, lo: int, hi: int) -> Iterator[Record]:
        rows = rng.integers(0, 2**31, size=(hi - lo, self.text.columns + self.EXTRA)).tolist()
        z = rng.standard_normal(hi - lo).tolist()
        cats, ts = self.world.item_cat[lo:hi].tolist(), self.world.item_ts[lo:hi].tolist()
        return (self.record(lo + j, cats[j], ts[j], r, z[j]) for j, r in enumerate(rows))

    def record(self, i: int, cat: int, ts: float, row: list[int], z: float) -> Record:
        vocab, k, category = self.vocab, self.text.columns, self.vocab.categories[cat]
        values = self.text.values(cat, row, self._extra(cat, ts, row[k + 10 :]))
        picks = [g[row[k + 1 + j] % len(g)] for j, g in enumerate(vocab.sentences)]
        tags = [category.tags[r % len(category.tags)] for r in row[k + 6 : k + 8 + row[k + 5] % 3]]
        labels = [category.label]
        if vocab.name == "ecommerce":
            labels.append(f"{category.label} > {values['noun'].capitalize()}")
        return {
            "id": f"{vocab.prefix}{i}",
            "title": _render(vocab.titles[row[k] % len(vocab.titles)], values),
            "description": " ".join(_render(t, values) for t in picks[: 2 + row[k + 4] % 2]),
            "tags": list(dict.fromkeys(tags)),
            "categories": labels,
            "attributes": self._attributes(cat, ts, values, z),
            "timestamp": ts,
        }

    def _extra(self, cat: int, ts: float, row: list[int]) -> dict[str, str]:
        """Template values without a pool: the news weekday, a track's artist and year."""
        if self.vocab.name == "news":
            return {"day": WEEKDAYS[int((ts // DAY + 3) % 7)]}  # 1970-01-01 was a Thursday
        if self.vocab.name != "music":
            return {}
        artist = int(max(1, self.counts[cat] // 8) * (row[0] / 2**31) ** 2)  # prolific first
        bits = _bits(self.salt ^ (cat << 40) ^ artist, self.artists.columns + 2)
        category = self.vocab.categories[cat]
        templates = category.words["artist"]
        name = _render(templates[bits[-1] % len(templates)], self.artists.values(cat, bits, {}))
        era = int(category.params["era"])
        year = min(2023, era + bits[-2] % max(1, 2024 - era) + row[1] % 4)
        return {"artist": name, "year": str(year)}

    def _attributes(
        self, cat: int, ts: float, values: Mapping[str, str], z: float
    ) -> dict[str, Any]:
        params = self.vocab.categories[cat].params
        if self.vocab.name == "ecommerce":
            price = round(max(1, round(params["price"] * np.exp(0.45 * z))) - 0.01, 2)
            return {"price": price, "brand": values["brand"], "color": values["color"]}
        if self.vocab.name == "news":
            return {
                "published": datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source": values["source"],
                "author": f"{values['first']} {values['last']}",
                "word_count": round(700 * np.exp(0.35 * z)),
            }
        duration = int(np.clip(params["dur"] * (1 + 0.25 * z), 60, 1800))
        return {"artist": values["artist"], "year": int(values["year"]), "duration_s": duration}


def _write_records(
    path: Path, n: int, desc: str, progress: bool, chunk: Callable[[int, int], Iterable[Record]]
) -> None:
    """Write ``n`` records, ``chunk(lo, hi)`` giving records lo..hi-1."""
    with path.open("wb") as out, _progress(n, desc, progress) as bar:
        for lo in range(0, n, TEXT_CHUNK):
            hi = min(n, lo + TEXT_CHUNK)
            out.write(_jsonl(chunk(lo, hi)))
            bar.update(hi - lo)


def _users(vocab: DomainVocab, world: _World, rng: Rng, lo: int, hi: int) -> Iterator[Record]:
    rows = rng.integers(0, 2**31, size=(hi - lo, 7)).tolist()
    favs = world.fav[lo:hi].tolist()
    return (_user(vocab, lo + j, favs[j], rows[j]) for j in range(hi - lo))


def _user(vocab: DomainVocab, u: int, fav: list[int], row: list[int]) -> Record:
    favs = [vocab.categories[c] for c in fav if c >= 0]
    record: dict[str, Any] = {"id": f"u{u}"}
    if row[0] % 3 == 0:
        templates = vocab.preferences[len(favs) - 1]
        likes = [c.words["like"][row[4 + j] % len(c.words["like"])] for j, c in enumerate(favs)]
        slots = dict(zip("abc", likes, strict=False))
        record["preferences"] = _render(templates[row[1] % len(templates)], slots)
    record["attributes"] = {
        "segment": vocab.segments[row[2] % len(vocab.segments)],
        "age_band": AGE_BANDS[row[3] % len(AGE_BANDS)],
        "favourite_categories": [c.label for c in favs],
    }
    return record


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
            return np.array([CODE[t] for t in m]), _cdf(np.array(list(m.values())))

        follow = np.array(sorted(CODE[t] for t in b.follow_up))
        return cls(b, *mix(b.in_taste), *mix(b.off_taste), follow)


def _write_events(
    path: Path, vocab: DomainVocab, world: _World, rng: Rng, n: int, progress: bool
) -> None:
    """Window by window; events spilling past a window wait for the next: time never goes back."""
    mixes, queries = _Mixes.of(vocab.behaviour), Composer(vocab, vocab.queries)
    n_chunks = -(-n // EVENT_CHUNK)
    width = PERIOD_S / n_chunks
    pending: _Batch | None = None
    written = 0
    with path.open("wb") as out, _progress(n, f"{vocab.name} events", progress) as bar:
        for k in range(n_chunks):
            w0, w1 = START + k * width, START + (k + 1) * width
            batch = _sessions(rng, world, mixes, n // n_chunks + (k < n % n_chunks), w0, w1)
            batch = batch if pending is None else pending.concat(batch)
            batch = batch.take(np.argsort(batch.ts, kind="stable"))
            cut = batch.ts.size if k == n_chunks - 1 else int(np.searchsorted(batch.ts, w1))
            out.write(_event_lines(vocab, queries, batch.take(slice(0, cut)), written))
            pending, written = batch.take(slice(cut, None)), written + cut
            bar.update(cut)


def _sessions(rng: Rng, world: _World, mixes: _Mixes, n: int, w0: float, w1: float) -> _Batch:
    """``n`` events of sessions starting in [w0, w1), in session order."""
    b = mixes.behaviour
    lens = _session_lengths(rng, n, b.session_p)
    sess = np.repeat(np.arange(lens.size), lens)
    first = np.cumsum(lens) - lens
    pos = np.arange(n) - first[sess]
    gaps = np.clip(b.gap_median_s * np.exp(rng.standard_normal(n)), 2.0, 900.0) * (pos > 0)
    elapsed = np.cumsum(gaps)
    ts = np.round(_session_starts(rng, lens.size, w0, w1)[sess] + elapsed - elapsed[first][sess], 3)
    session_users = _draw(world.user_cdf, rng.random(lens.size))
    users = session_users[sess]
    from_taste = rng.random(lens.size) < P_INTENT_FROM_TASTE
    intent = np.where(from_taste, _taste_draw(rng, world, session_users),
                      _draw(world.cat_cdf, rng.random(lens.size)))[sess]  # fmt: skip
    u = rng.random(n)
    detour = np.where(u < P_STAY + P_DETOUR_TASTE, _taste_draw(rng, world, users),
                      _draw(world.cat_cdf, rng.random(n)))  # fmt: skip
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


def _taste_draw(rng: Rng, world: _World, users: Ints) -> Ints:
    col = (rng.random(users.size)[:, None] >= world.fav_cum[users]).sum(axis=1)
    cats: Ints = world.fav[users, col]
    return cats


def _in_taste(world: _World, users: Ints, cats: Ints) -> NDArray[np.bool_]:
    hits: NDArray[np.bool_] = (world.fav[users] == cats[:, None]).any(axis=1)
    return hits


def _zipf_items(rng: Rng, world: _World, cats: Ints) -> Ints:
    u = np.minimum(rng.random(cats.size), 1.0 - 1e-9)
    pos = np.searchsorted(world.rank_key, cats + u, side="right")
    return world.rank_items[np.minimum(pos, world.cat_end[cats] - 1)]


def _pick_items(rng: Rng, world: _World, b: Behaviour, cats: Ints, ts: Floats) -> Ints:
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
        in_taste, mixes.in_codes[_draw(mixes.in_cdf, u)], mixes.off_codes[_draw(mixes.off_cdf, u)]
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
    return _jsonl(rows)
