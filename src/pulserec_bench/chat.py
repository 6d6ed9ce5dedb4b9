"""``pulserec bench chat``: how well free-text requests become the constraints a reader meant.

Default (``--set heldout``): the 135 held-out requests of :mod:`pulserec_bench.chat_heldout`,
each read against its real catalog (ml-100k; the synthetic ecommerce, news and music domains at
2,000 items, seed 0): vocabulary, titles and, for ``relaxations`` rows, whether the answer had to
loosen a condition. Prints exact-constraint accuracy overall, per catalog and per kind of
request, and every miss. ``--set tuning``: the older 52 requests against category names only.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from pulserec.core.config import limit_threads
from pulserec.core.ids import IdMap
from pulserec.core.types import Item
from pulserec.data.vocabularies import ECOMMERCE
from pulserec.encoders import load_encoder
from pulserec.encoders.base import Encoder
from pulserec.engine.state.catalog import Catalog
from pulserec.llm.chat_mask import build_mask
from pulserec.llm.constraints import ConstraintExtractor, Constraints
from pulserec.llm.engine_vocabulary import catalog_vocabulary
from pulserec.llm.titles import TitleIndex
from pulserec_bench.chat_heldout import HELD_OUT, KINDS, Row
from pulserec_bench.chat_requests import MOVIES, SHOP

ML100K_GENRES = [
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
]  # fmt: skip
FIELDS = (
    "include", "exclude", "tags", "exclude_tags", "attributes", "exclude_attributes",
    "similar_to", "years", "price",
)  # fmt: skip
SYNTHETIC_ITEMS = 2000


def observed(found: Constraints) -> dict[str, Any]:
    return {
        "include": set(found.include),
        "exclude": set(found.exclude),
        "tags": set(found.tags),
        "exclude_tags": set(found.exclude_tags),
        "attributes": set(found.attributes),
        "exclude_attributes": set(found.exclude_attributes),
        "similar_to": {title for _, title in found.similar_to},
        "years": (found.year_min, found.year_max),
        "price": (found.price_min, found.price_max),
    }


def wanted(expected: dict[str, Any]) -> dict[str, Any]:
    return {
        "include": set(expected.get("include", ())),
        "exclude": set(expected.get("exclude", ())),
        "tags": set(expected.get("tags", ())),
        "exclude_tags": set(expected.get("exclude_tags", ())),
        "attributes": set(expected.get("attributes", {}).items()),
        "exclude_attributes": set(expected.get("exclude_attributes", ())),
        "similar_to": set(expected.get("similar_to", ())),
        "years": expected.get("years", (None, None)),
        "price": expected.get("price", (None, None)),
    }


def judge(
    extractor: ConstraintExtractor, catalog: Catalog | None, message: str, expected: dict[str, Any]
) -> list[str]:
    """The fields read wrong (empty: the whole request was read right)."""
    found = extractor.extract(message)
    got, want = observed(found), wanted(expected)
    wrong = [f"{n} {got[n]} (expected {want[n]})" for n in FIELDS if got[n] != want[n]]
    if "relaxed" in expected and catalog is not None:
        relaxed = bool(build_mask(catalog, found).relaxed)
        if relaxed != expected["relaxed"]:
            wrong.append(f"relaxed {relaxed} (expected {expected['relaxed']})")
    return wrong


def synthetic_items(domain: str, folder: Path) -> list[Item]:
    from pulserec.data.synthetic import write_synthetic

    write_synthetic(folder, domain, SYNTHETIC_ITEMS, 10, 50, seed=0, progress=False)
    items = []
    for line in (folder / "items.jsonl").read_bytes().splitlines():
        raw = orjson.loads(line)
        items.append(
            Item(raw["id"], raw["title"], raw.get("description"), tuple(raw.get("tags", ())),
                 tuple(raw.get("categories", ())), raw.get("attributes", {}))
        )  # fmt: skip
    return items


def catalogs() -> dict[str, list[Item]]:
    from pulserec.data.movielens import load_movielens_100k

    out = {"movielens-100k": load_movielens_100k().items}
    with tempfile.TemporaryDirectory() as tmp:
        for domain in ("ecommerce", "news", "music"):
            out[domain] = synthetic_items(domain, Path(tmp) / domain)
    return out


def reader(items: list[Item], encoder: Encoder | None) -> tuple[ConstraintExtractor, Catalog]:
    catalog = Catalog(IdMap(), 8)
    catalog.upsert(items, None)
    titles = TitleIndex((item.id, item.title) for item in items if item.title)
    return ConstraintExtractor(catalog_vocabulary(catalog), encoder, titles=titles), catalog


def held_out(encoder: Encoder | None) -> tuple[int, int]:
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    right = total = 0
    misses: list[str] = []
    for name, items in catalogs().items():
        extractor, catalog = reader(items, encoder)
        rows: list[Row] = HELD_OUT[name]
        ok = 0
        for kind, message, expected in rows:
            wrong = judge(extractor, catalog, message, expected)
            ok += not wrong
            by_kind[kind][0] += not wrong
            by_kind[kind][1] += 1
            if wrong:
                misses.append(f"[{name}/{kind}] {message!r}: " + "; ".join(wrong))
        print(f"{name}: {len(rows)} requests, exact {ok / len(rows):.3f}")
        right, total = right + ok, total + len(rows)
    for kind in KINDS:
        good, n = by_kind[kind]
        print(f"  {kind:<12} {good:>3}/{n:<3} {good / n:.3f}")
    for miss in misses:
        print(f"  miss: {miss}")
    return right, total


def tuning(encoder: Encoder | None) -> tuple[int, int]:
    shop = [category.label for category in ECOMMERCE.categories]
    right = total = 0
    for name, categories, requests in (
        ("movielens-100k", ML100K_GENRES, MOVIES),
        ("synthetic e-commerce", shop, SHOP),
    ):
        extractor = ConstraintExtractor(categories, encoder)
        misses = [(m, judge(extractor, None, m, e)) for m, e in requests]
        ok = sum(not wrong for _, wrong in misses)
        print(f"{name}: {len(requests)} requests, exact {ok / len(requests):.3f}")
        for message, wrong in misses:
            if wrong:
                print(f"  miss: {message!r}: " + "; ".join(wrong))
        right, total = right + ok, total + len(requests)
    return right, total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench chat", description=__doc__)
    parser.add_argument("--encoder", default="minilm-int8", help="query encoder ('none': rules)")
    parser.add_argument("--set", choices=("heldout", "tuning"), default="heldout")
    args = parser.parse_args(argv)
    limit_threads()
    encoder = None if args.encoder == "none" else load_encoder(args.encoder)
    right, total = (held_out if args.set == "heldout" else tuning)(encoder)
    print(f"all: {total} requests, exact-constraint accuracy {right / total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
