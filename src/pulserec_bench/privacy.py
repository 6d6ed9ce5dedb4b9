"""Differentially private popular counts on MovieLens-100k: top-20 overlap with the exact list.

The positive events (ratings at or above 4) are fed in time order to the same
:class:`~pulserec.privacy.counts.PrivateCounts` the server runs, one release per day of event
time (the server's default), each user counting at most ``--max-events`` a day. For every
epsilon and ``--keys`` noise keys it prints the overlap of the released top 20 with the exact
top 20 (all-time counts, and the decayed counts the served ``popular`` ranks by), beside the
overlap the contribution bound alone leaves (no noise) and the overlap if the whole data set had
arrived in one day (one release).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.privacy.counts import PrivateCounts

Floats = npt.NDArray[np.float64]
Int32s = npt.NDArray[np.int32]
DAY = 86_400.0
TOP = 20


def _positives() -> tuple[IdMap, Int32s, Int32s, Floats]:
    from pulserec.data.movielens import load_movielens_100k

    data = load_movielens_100k()
    liked = sorted(
        (e for e in data.events if e.value is not None and e.value >= 4),
        key=lambda e: e.timestamp,
    )
    items, users = IdMap(item.id for item in data.items), IdMap()
    item_idx = items.add_many(e.item_id for e in liked if e.item_id is not None)
    user_idx = users.add_many(e.user_id for e in liked)
    stamps = np.array([e.timestamp for e in liked], dtype=np.float64)
    return items, item_idx, user_idx, stamps


def _overlap(scores: Floats, exact: set[int]) -> float:
    return len(exact & set(np.argsort(-scores, kind="stable")[:TOP].tolist())) / TOP


def _released(
    items: IdMap, epsilon: float, max_events: int, key: bytes, data: tuple[Int32s, Int32s, Floats]
) -> PrivateCounts:
    counter = PrivateCounts(epsilon, max_events, key, lambda: items, release_s=DAY)
    counter.add(*data)
    counter.add(np.array([0], np.int32), np.array([-1], np.int32), np.array([data[2].max() + DAY]))
    return counter  # the last day is released by one event of the next (user -1, item 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench privacy", description=__doc__)
    parser.add_argument("--epsilons", default="0.25,0.5,1,2,4,8,16")
    parser.add_argument("--max-events", type=int, default=10)
    parser.add_argument("--keys", type=int, default=10, help="Noise keys per epsilon.")
    args = parser.parse_args(argv)
    items, item_idx, user_idx, stamps = _positives()
    n = len(items)
    half_life = 7 * DAY
    exact_total = np.bincount(item_idx, minlength=n).astype(np.float64)
    weights = np.exp2((stamps - stamps.max()) / half_life)
    exact_decayed = np.bincount(item_idx, weights=weights, minlength=n)
    top_total = set(np.argsort(-exact_total, kind="stable")[:TOP].tolist())
    top_decayed = set(np.argsort(-exact_decayed, kind="stable")[:TOP].tolist())
    data = (item_idx, user_idx, stamps)
    one_day = (item_idx, user_idx, np.full_like(stamps, stamps.min()))
    days = len(np.unique(np.floor(stamps / DAY)))
    print(f"ml-100k positives: {len(stamps):,} events over {days} days, {n} items")
    print(f"contribution bound: {args.max_events} events per user per day, one per item")
    huge = 1e9  # noise of scale max_events / 1e9: the bound alone
    bound = _released(items, huge, args.max_events, bytes(32), data)
    print(
        f"bound alone (no noise): all-time overlap {_overlap(bound.totals(n), top_total):.2f}, "
        f"decayed {_overlap(bound.decayed(n), top_decayed):.2f}, "
        f"counted {bound._contributions().shape[0]:,} of {len(stamps):,}"
    )
    bound_one = _released(items, huge, args.max_events, bytes(32), one_day)
    print(f"bound alone, one-day arrival: {_overlap(bound_one.totals(n), top_total):.2f}")
    print("epsilon/day | all-time overlap | decayed overlap | one-day arrival | releases | s")
    for epsilon in (float(e) for e in args.epsilons.split(",")):
        started = time.perf_counter()
        total, decayed, single = [], [], []
        for seed in range(args.keys):
            key = seed.to_bytes(32, "little")
            counter = _released(items, epsilon, args.max_events, key, data)
            total.append(_overlap(counter.totals(n), top_total))
            decayed.append(_overlap(counter.decayed(n), top_decayed))
            single.append(_overlap(_released(items, epsilon, args.max_events, key, one_day)
                                   .totals(n), top_total))  # fmt: skip
        print(
            f"{epsilon:>11g} | {np.mean(total):.2f} ± {np.std(total):.2f}"
            f" | {np.mean(decayed):.2f} ± {np.std(decayed):.2f}"
            f" | {np.mean(single):.2f} ± {np.std(single):.2f}"
            f" | {counter.releases} | {time.perf_counter() - started:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
