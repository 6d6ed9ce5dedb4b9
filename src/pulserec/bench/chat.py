"""``pulserec bench chat``: how well free-text requests become the constraints a reader meant.

Runs the extractor (rules, the catalog's vocabulary and the query encoder) over the held-out
requests in :mod:`pulserec.bench.chat_requests`, against ml-100k's genres and the synthetic
e-commerce categories, and prints per-field and whole-request accuracy with every miss.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from pulserec.bench.chat_requests import MOVIES, SHOP
from pulserec.config import limit_threads
from pulserec.data.vocabularies import ECOMMERCE
from pulserec.encoders import load_encoder
from pulserec.llm.constraints import ConstraintExtractor, Constraints

ML100K_GENRES = [
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
]  # fmt: skip
FIELDS = ("include", "exclude", "years", "price")


def observed(found: Constraints) -> dict[str, Any]:
    return {
        "include": set(found.include),
        "exclude": set(found.exclude),
        "years": (found.year_min, found.year_max),
        "price": (found.price_min, found.price_max),
    }


def score(
    extractor: ConstraintExtractor, requests: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Per-field and exact-match accuracy, and the misses."""
    right = dict.fromkeys(FIELDS, 0)
    exact, misses = 0, []
    for message, expected in requests:
        got = observed(extractor.extract(message))
        want = {
            "include": expected.get("include", set()),
            "exclude": expected.get("exclude", set()),
            "years": expected.get("years", (None, None)),
            "price": expected.get("price", (None, None)),
        }
        ok = {name: got[name] == want[name] for name in FIELDS}
        for name in FIELDS:
            right[name] += ok[name]
        exact += all(ok.values())
        if not all(ok.values()):
            misses.append(f"{message!r}: " + ", ".join(
                f"{n} {got[n]} (expected {want[n]})" for n in FIELDS if not ok[n]))  # fmt: skip
    n = len(requests)
    return {
        "requests": n,
        "exact": exact / n,
        **{f"{name}_accuracy": right[name] / n for name in FIELDS},
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench chat", description=__doc__)
    parser.add_argument("--encoder", default="minilm-int8", help="query encoder ('none': rules)")
    args = parser.parse_args(argv)
    limit_threads()
    encoder = None if args.encoder == "none" else load_encoder(args.encoder)
    shop_categories = [category.label for category in ECOMMERCE.categories]
    total_exact, total = 0.0, 0
    for name, categories, requests in (
        ("movielens-100k", ML100K_GENRES, MOVIES),
        ("synthetic e-commerce", shop_categories, SHOP),
    ):
        figures = score(ConstraintExtractor(categories, encoder), requests)
        total_exact += figures["exact"] * figures["requests"]
        total += figures["requests"]
        fields = ", ".join(f"{f} {figures[f + '_accuracy']:.2f}" for f in FIELDS)
        print(f"{name}: {figures['requests']} requests, exact {figures['exact']:.3f} ({fields})")
        for miss in figures["misses"]:
            print(f"  miss: {miss}")
    print(f"all: {total} requests, exact-match accuracy {total_exact / total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
