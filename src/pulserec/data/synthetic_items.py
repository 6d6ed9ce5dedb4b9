"""Item and user records of :mod:`pulserec.data.synthetic`: text from the domain's vocabulary,
tags, categories and domain attributes for items; segments, tastes and stated preferences for
users."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from pulserec.data.synthetic_world import DAY, Record, Rng, World
from pulserec.data.vocabularies import AGE_BANDS, Composer, DomainVocab
from pulserec.data.vocabularies import render as _render

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MASK64 = 0xFFFFFFFFFFFFFFFF
# the share of a music genre's tracks with explicit lyrics (others: 3%); no random draw spent
EXPLICIT = {"Hip-Hop": 0.6, "Metal": 0.35, "Punk": 0.3, "R&B": 0.2, "Rock": 0.1}


def _bits(seed: int, count: int) -> list[int]:
    """``count`` pseudo-random 31-bit ints from one seed (splitmix64)."""
    out = []
    for _ in range(count):
        seed = (seed + 0x9E3779B97F4A7C15) & MASK64
        z = ((seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        out.append((((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64) >> 33)
    return out


class ItemRecords:
    """Builds item records: title, description, tags, categories and domain attributes."""

    EXTRA = 12  # random columns after the text's: title, 3 sentences, flag, 5 tags, 2 artist

    def __init__(self, vocab: DomainVocab, world: World, salt: int) -> None:
        self.vocab, self.world, self.salt = vocab, world, salt
        self.text = Composer(vocab, [*vocab.titles, *(t for g in vocab.sentences for t in g)])
        artists = {t for c in vocab.categories for t in c.words.get("artist", ())}
        self.artists = Composer(vocab, sorted(artists))
        self.counts = np.bincount(world.item_cat, minlength=len(vocab.categories)).tolist()

    def chunk(self, rng: Rng, lo: int, hi: int) -> Iterator[Record]:
        """Records of items lo..hi-1."""
        rows = rng.integers(0, 2**31, size=(hi - lo, self.text.columns + self.EXTRA)).tolist()
        z = rng.standard_normal(hi - lo).tolist()
        cats, ts = self.world.item_cat[lo:hi].tolist(), self.world.item_ts[lo:hi].tolist()
        return (self.record(lo + j, cats[j], ts[j], r, z[j]) for j, r in enumerate(rows))

    def record(self, i: int, cat: int, ts: float, row: list[int], z: float) -> Record:
        """Item ``i`` of category ``cat`` created at ``ts``, from its random ``row`` and ``z``."""
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
        label = self.vocab.categories[cat].label
        explicit = _bits(self.salt ^ int(ts) ^ (cat << 48), 1)[0] / 2**31 < EXPLICIT.get(
            label, 0.03
        )
        return {
            "artist": values["artist"],
            "year": int(values["year"]),
            "duration_s": duration,
            "explicit": explicit,
        }


def user_records(vocab: DomainVocab, world: World, rng: Rng, lo: int, hi: int) -> Iterator[Record]:
    """Records of users lo..hi-1."""
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
