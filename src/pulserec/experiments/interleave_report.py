"""The report of an interleaved experiment: team-draft credit per impression, a preference
per user, and the sign test over users."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pulserec.core.types import Impression
from pulserec.experiments import stats
from pulserec.experiments.definition import Experiment
from pulserec.experiments.interleave import credit
from pulserec.experiments.users import ALPHA, finite


def interleaved(
    experiment: Experiment, impressions: Sequence[Impression], clicked: dict[str, set[str]]
) -> dict[str, Any]:
    """Team-draft credit per impression; a user prefers the team that won more of their
    impressions; the sign test runs over users (ties left out)."""
    first, second = (v.name for v in experiment.variants[:2])
    clicks, shown = [0, 0], 0
    users: set[str] = set()
    balance: dict[str, int] = defaultdict(int)
    impression_wins = [0, 0, 0]
    for impression in impressions:
        shown += 1
        users.add(impression.user_id)
        pairs = list(zip(impression.items, impression.teams, strict=False))
        chosen = clicked.get(impression.id, set())
        for item, team in pairs:
            if item in chosen:
                clicks[team] += 1
        winner = credit(pairs, chosen)
        impression_wins[2 if winner is None else winner] += 1
        if winner is not None:
            balance[impression.user_id] += 1 if winner == 0 else -1
    prefer = [sum(1 for b in balance.values() if b > 0), sum(1 for b in balance.values() if b < 0)]
    ties = len(users) - prefer[0] - prefer[1]
    p_value = stats.sign_test(prefer[0], prefer[1])
    significant = p_value < ALPHA
    preferred = None
    if significant:
        preferred = first if prefer[0] > prefer[1] else second
    total = prefer[0] + prefer[1]
    share = prefer[1] / total if total else None
    return {
        "variants": [
            {
                "name": name,
                "users": len(users),
                "impressions": shown,
                "clicks": clicks[team],
                "ctr": clicks[team] / shown if shown else 0.0,
                "ctr_ci": [None, None],
            }
            for team, name in enumerate((first, second))
        ],
        "lift": {
            "variant": second,
            "estimate": finite(clicks[1] / clicks[0] - 1) if clicks[0] else None,
            "ci": [None, None],
            "p_value": p_value,
        },
        "srm_p_value": 1.0,
        "srm": False,
        "wins": {first: prefer[0], second: prefer[1], "ties": ties},
        "impression_wins": dict(zip((first, second, "ties"), impression_wins, strict=True)),
        "preferred": preferred,
        "preference_share": share,
        "significant": significant,
        "method": (
            "team-draft interleaving; each user prefers the team that won more of their "
            f"impressions; two-sided sign (binomial) test over users at alpha {ALPHA}"
        ),
    }
