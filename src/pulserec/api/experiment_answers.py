"""An answer inside an experiment: the variant's list (or, interleaved, both variants' lists
merged by team draft), its impression queued for the report, and the fields that name it."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from pulserec.core.types import Impression
from pulserec.engine.serving.results import RankedList
from pulserec.experiments.definition import INTERLEAVE, INTERLEAVED, Variant
from pulserec.experiments.interleave import team_draft
from pulserec.experiments.service import Experiments, Placed


def answer_in_experiment(
    experiments: Experiments,
    placed: Placed,
    user_key: str,
    answer: Callable[[Variant], RankedList],
    started: float,
) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    """The list's items as JSON, the model version, and ``impression_id`` + ``experiment``.

    Interleaved items carry ``variant`` (the team that contributed them) and keep their own
    team's score, so the list is in draft order rather than by score."""
    experiment, variant = placed
    impression_id = os.urandom(8).hex()
    teams: tuple[int, ...] = ()
    if experiment.mode == INTERLEAVE:
        lists = [answer(v) for v in experiment.variants[:2]]
        ids = [[r.id for r in ranked.items] for ranked in lists]
        merged = team_draft(ids[0], ids[1], max(len(i) for i in ids), random.Random(impression_id))
        found = [{r.id: r for r in ranked.items} for ranked in lists]
        names = [v.name for v in experiment.variants[:2]]
        results = [{**found[team][item].as_json(), "variant": names[team]} for item, team in merged]
        teams = tuple(team for _, team in merged)
        version, label = lists[0].model_version, INTERLEAVED
    else:
        ranked = answer(variant)
        results = [item.as_json() for item in ranked.items]
        version, label = ranked.model_version, variant.name
    experiments.log.record(
        Impression(
            impression_id,
            experiment.id,
            label,
            user_key,
            time.time(),
            tuple(r["id"] for r in results),
            teams,
            round((time.perf_counter() - started) * 1000, 3),
        )
    )
    return results, version, {"impression_id": impression_id,
                              "experiment": {"id": experiment.id, "variant": label}}  # fmt: skip
