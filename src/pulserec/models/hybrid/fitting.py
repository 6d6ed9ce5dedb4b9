"""The hybrid's fitting steps on the held-out events: fitting sources (in parallel where the
engine offers it), whether the order of events pays for the costly sources, and pruning the
served sources to those the learned blend weighs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core.interactions import Interactions
from pulserec.models.base import Int32s
from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.choice import catalog_ndcg, held_out_labels, sub_blend
from pulserec.models.hybrid.core import Rows, ScoringCore
from pulserec.models.hybrid.inputs import TEXT_SOURCE
from pulserec.models.hybrid.rankers import new_ranker, train_ranker
from pulserec.models.persistable import Model

logger = logging.getLogger(__name__)
PRUNE_TOLERANCE = 0.005  # relative held-out NDCG@10 a smaller served set of sources may lose
COSTLY_SOURCES = ("sequence",)  # fitted only when the order of events pays (see order_lift)
ORDER_SOURCE = "transitions"  # the cheap order-aware source that measures whether it does
MIN_ORDER_LIFT = 0.02  # relative held-out NDCG@10 it must add to the cheap blend
MIN_VALIDATION_USERS = 20  # users with a held-out positive needed to learn and choose a ranker
# runs independent fits (name -> job) and returns their results: e.g. as Ray tasks
Parallel = Callable[[dict[str, Callable[[], Any]]], dict[str, Any]]


def fit_sources(
    sources: dict[str, Model], data: Interactions, names: list[str], parallel: Parallel | None
) -> None:
    """Fit the named ``sources`` on ``data``, through ``parallel`` when set (its results
    replace them in ``sources``)."""
    if parallel is None or len(names) < 2:
        for name in names:
            sources[name].fit(data)
        return
    jobs: dict[str, Callable[[], Any]] = {
        name: functools.partial(sources[name].fit, data) for name in names
    }
    sources.update(parallel(jobs))


def refit_sources(
    sources: dict[str, Model],
    data: Interactions,
    held: Interactions,
    update_only: tuple[str, ...],
    parallel: Parallel | None,
) -> None:
    """Once the ranker is chosen, the sources on all of ``data`` (the blend weights carry
    over to them); those in ``update_only``, costly to train, fold the ``held`` events in."""
    refit = [n for n in sources if n not in update_only]
    if parallel is not None:
        fit_sources(sources, data, refit, parallel)
    for name, source in sources.items():
        if name in update_only:
            source.update(held)
        elif parallel is None:
            source.fit(data)


def order_lift(
    rows_of: Callable[[list[str]], Rows],
    core: ScoringCore,
    latest: Int32s,
    truth: Any,
    half: npt.NDArray[np.bool_],
    cheap: list[str],
    lgbm_params: dict[str, Any],
) -> float | None:
    """Relative gain in catalog NDCG@10 (on the held-out half not learnt from) of a blend
    of the ``cheap`` sources over the same blend without the order-aware one
    (:data:`ORDER_SOURCE`); ``rows_of(names)``: those sources' rows for the held-out users."""
    if ORDER_SOURCE not in cheap or len(cheap) < 2 or not (~half).any():
        return None
    figures = []
    for names in (cheap, [n for n in cheap if n != ORDER_SOURCE]):
        rows = rows_of(names)
        features, candidates, _ = core.features(rows, latest)
        blend = new_ranker("blend", len(names), lgbm_params)
        train_ranker(blend, features[half], held_out_labels(truth, candidates)[half])
        scores = replace(core, ranker=blend).scores(
            {n: rows[n][~half] for n in names}, latest[~half]
        )
        figures.append(catalog_ndcg(scores, truth[np.flatnonzero(~half)]))
    return figures[0] / figures[1] - 1.0 if figures[1] > 0 else None


def too_few_users(users: int) -> str:
    """Why plain reciprocal rank fusion serves: too few held-out users to tell rankers apart."""
    return (
        f"{users} users with a held-out positive event (at least "
        f"{MIN_VALIDATION_USERS} are needed to validate): reciprocal rank fusion serves"
    )


def unpaid_reason(lift: float) -> str:
    """Why a costly source was left unfitted, for the served report."""
    return (
        f"not fitted: the order of events lifts the held-out NDCG@10 by {lift:.1%} "
        f"(< {MIN_ORDER_LIFT:.0%})"
    )


def prune(
    core: ScoringCore,
    names: list[str],
    rows: Rows,
    latest: Int32s,
    truth: Any,
    validation: dict[str, Any],
) -> tuple[list[str] | None, LinearBlend] | None:
    """The sources to serve and their blend. First those the learned blend
    (``core.ranker``) weighs (and the text source, which orders cold items); then, one at a
    time, the source whose absence the held-out users miss least, while the pool and blend of
    what is left ranks them as well as every source does (within :data:`PRUNE_TOLERANCE` of
    it, in all). Each source left out is a row a request no longer computes. None: nothing to
    prune; ``(None, ranker)``: every source serves. A source with no weight only shapes the
    pool. NDCG@10 here is over the whole catalog (ideal from every held-out item), so pools of
    different recall compare fairly. The figures go to ``validation``."""
    ranker = core.ranker
    if not isinstance(ranker, LinearBlend) or core.fallback is not None:
        return None
    if not any(ranker.weights_):
        return None

    def ndcg_of(kept: list[str]) -> float:
        fewer = replace(core, ranker=sub_blend(ranker, names, kept))
        return catalog_ndcg(fewer.scores({n: rows[n] for n in kept}, latest), truth)

    full_ndcg = catalog_ndcg(core.scores(rows, latest), truth)
    floor = full_ndcg * (1 - PRUNE_TOLERANCE)
    kept = [n for n, w in zip(names, ranker.weights_, strict=True) if w or n == TEXT_SOURCE]
    kept_ndcg = ndcg_of(kept) if len(kept) < len(names) else full_ndcg
    if kept_ndcg < floor:
        kept, kept_ndcg = list(names), full_ndcg
    while len(kept) > 1:
        left_out = [out for out in kept if out != TEXT_SOURCE]
        trials = [(ndcg_of([n for n in kept if n != out]), out) for out in left_out]
        if not trials or max(trials)[0] < floor:
            break
        kept_ndcg, out = max(trials)
        kept = [n for n in kept if n != out]
    logger.info("hybrid serving %s: ndcg@10 %.4f vs all sources %.4f", kept, kept_ndcg, full_ndcg)
    validation.update(
        {"catalog_ndcg@10.all_sources": full_ndcg, "catalog_ndcg@10.served_sources": kept_ndcg}
    )
    if len(kept) == len(names):
        return None, ranker
    validation["served_sources"] = ",".join(kept)
    return kept, sub_blend(ranker, names, kept)
