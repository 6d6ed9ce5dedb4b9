"""Team-draft interleaving (Radlinski, Kurup and Joachims, 2008) and its credit.

Two rankers' lists are merged per request: in each round the team with fewer picks so far
(a coin decides ties) adds its best item not yet shown, so each shown item names the team that
contributed it. An impression's clicks then credit the teams; the team with more credited
clicks wins the impression, equal counts tie. Over many impressions a sign (binomial) test on
the wins says which ranker users prefer (:func:`pulserec.experiments.stats.sign_test`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

A, B = 0, 1


def team_draft(
    first: Sequence[str], second: Sequence[str], k: int, rng: random.Random
) -> list[tuple[str, int]]:
    """Up to ``k`` items merged from the two lists, each with its team (``A`` or ``B``)."""
    lists, cursors, picks = (first, second), [0, 0], [0, 0]
    shown: list[tuple[str, int]] = []
    taken: set[str] = set()
    while len(shown) < k:
        order = [A, B] if picks[A] < picks[B] else [B, A] if picks[B] < picks[A] else (
            [A, B] if rng.random() < 0.5 else [B, A]
        )  # fmt: skip
        for team in order:
            ranked = lists[team]
            while cursors[team] < len(ranked) and ranked[cursors[team]] in taken:
                cursors[team] += 1
            if cursors[team] < len(ranked):
                item = ranked[cursors[team]]
                taken.add(item)
                shown.append((item, team))
                picks[team] += 1
                break
        else:
            break  # both lists exhausted
    return shown


def credit(shown: Sequence[tuple[str, int]], clicked: Iterable[str]) -> int | None:
    """The team that wins an impression (``A``/``B``), or None for a tie (no clicks included)."""
    teams = dict(shown)
    counts = [0, 0]
    for item in set(clicked):
        if item in teams:
            counts[teams[item]] += 1
    if counts[A] == counts[B]:
        return None
    return A if counts[A] > counts[B] else B
