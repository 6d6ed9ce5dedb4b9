"""The hybrid's served path for one request: the same list as the scoring core, for less.

The reference (:meth:`pulserec.models.hybrid.core.ScoringCore.scores` over every source's
``retrieve``, one dense row each) computes every item's score. One request needs only its top
``k``, and the fitted hybrid says what that depends on:

- a hybrid that serves its fallback source reads that source (and the text source's row when
  cold items exist, which it ranks below the warm ones): the other sources are not computed;
- a learned linear blend reads every source's dense row (:func:`query_rows`, stacked once into
  an (S, I) matrix, exclusions applied once), pools them by reciprocal rank in one batched
  partition, and blends the z-scores of the pooled candidates only. The pooled items rank above
  every other item (see :data:`pulserec.models.hybrid.core.BEYOND_POOL`), so when the pool holds
  ``k``
  servable warm items the answer is their top ``k``, and the scores of the rest of the catalog
  are never computed; otherwise the core scores the stacked rows in full.

Every step keeps the reference's arithmetic (float32 accumulation order, the same partition and
stable sorts, the same tie rule: the lower index first), so the lists are equal, not close;
``tests/ranking/test_fused.py`` holds them equal over users, states and catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.models.base import Candidates, Query, candidates_from_scores
from pulserec.models.hybrid.blend import LinearBlend, blend, z_scores
from pulserec.models.hybrid.candidates import rrf_weights
from pulserec.models.hybrid.core import ScoringCore
from pulserec.models.hybrid.rows import candidate_row, latest_of_history

Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]
_NO_COLD = np.zeros(0, dtype=bool)


def source_row(source: Any, query: Query, n_items: int) -> Float32s | None:
    """A source's scores for ``query`` over ``n_items`` (None: it has nothing to say), before
    exclusions: its ``query_row`` where it has one, else the row of its full ``retrieve``."""
    own = getattr(source, "query_row", None)
    if own is None:
        row: Float32s = candidate_row(source.retrieve(query, n_items), n_items)[0]
        return row
    found: Float32s | None = own(query)
    return found


def query_rows(sources: Mapping[str, Any], query: Query, n_items: int) -> Float32s:
    """(S, n_items) rows of ``sources`` for ``query``: ``-inf`` where a source gives no finite
    score and at ``query.exclude``. Equal to stacking ``candidate_row(retrieve(query, n_items))``
    of each source, without sorting any of them."""
    out = np.full((len(sources), n_items), -np.inf, dtype=np.float32)
    for s, source in enumerate(sources.values()):
        row = source_row(source, query, n_items)
        if row is not None:
            n = min(n_items, row.shape[0])
            out[s, :n] = row[:n]
    out[~np.isfinite(out)] = -np.inf
    exclude = query.exclude
    if exclude.size:
        out[:, exclude[(exclude >= 0) & (exclude < n_items)]] = -np.inf
    return out


def pool_of(rows: Float32s, per_source: int, size: int) -> tuple[Int32s, npt.NDArray[np.bool_]]:
    """The candidate pool of one request from its stacked rows: as
    :func:`pulserec.models.hybrid.candidates.candidate_pool`, with one partition for every
    source."""
    n_sources, n_items = rows.shape
    k = min(per_source, n_items)
    every = np.arange(n_sources)[:, None]
    top = np.argpartition(-rows, k - 1, axis=1)[:, :k]
    order = np.argsort(-rows[every, top], axis=1, kind="stable")
    top = top[every, order]
    contribution = np.where(np.isfinite(rows[every, top]), rrf_weights(k)[None, :], 0.0)
    fused = np.zeros(n_items, dtype=np.float32)
    for s in range(n_sources):  # one source after another, as the reference accumulates
        fused[top[s]] += contribution[s]  # a source's top items are distinct: no add.at
    size = min(size, n_items)
    best = np.argpartition(-fused, size - 1)[:size]
    best = best[np.argsort(-fused[best], kind="stable")]
    return best.astype(np.int32), fused[best] > 0


def blended_pool(core: ScoringCore, rows: Float32s) -> tuple[Int32s, Float32s]:
    """The pooled candidates a source proposed and their blend scores (as the core predicts
    them from the features' score columns)."""
    ranker: LinearBlend = core.ranker
    candidates, proposed = pool_of(rows, core.per_source, core.pool)
    picked = rows[:, candidates]  # (S, pool); -inf where a source gave nothing
    z = np.ascontiguousarray(z_scores(picked).T)[None]  # (1, pool, S), as the blend has them
    predicted = blend(z, ranker.weights_)[0]
    return candidates[proposed], predicted[proposed]


def top_of_pool(
    candidates: Int32s, scores: Float32s, demoted: npt.NDArray[np.bool_], k: int
) -> Candidates | None:
    """The ``k`` best candidates not ``demoted``, best first, lower index first among ties;
    None when the pool holds fewer than ``k`` of them (the answer then reaches beyond it)."""
    if demoted.shape[0]:
        inside = candidates < demoted.shape[0]
        keep = ~inside
        keep[inside] = ~demoted[candidates[inside]]
        candidates, scores = candidates[keep], scores[keep]
    if candidates.shape[0] < k:
        return None
    order = np.lexsort((candidates, -scores))[:k]
    return Candidates(candidates[order], scores[order].astype(np.float32), "hybrid")


def demoted_cold(core: ScoringCore, rows: Float32s, names: list[str], text_source: str) -> Any:
    """Cold items the text source scores: the core ranks them below every warm item."""
    if text_source not in names or not core.any_cold():
        return _NO_COLD
    text = rows[names.index(text_source)]
    n = min(text.shape[0], core.cold().shape[0])
    return core.cold()[:n] & np.isfinite(text[:n])


def as_rows(names: list[str], rows: Float32s) -> dict[str, Float32s]:
    """The stacked rows as the core's dict of (1, I) views."""
    return {name: rows[s : s + 1] for s, name in enumerate(names)}


def needed_sources(core: ScoringCore, names: list[str], text_source: str) -> list[str]:
    """The sources whose rows decide the answer: the fallback (and the text source, which
    orders the cold items, when there are any) or all of them."""
    if core.fallback is None:
        return names
    wanted = {core.fallback}
    if text_source in names and core.any_cold():
        wanted.add(text_source)
    return [name for name in names if name in wanted]


def fused_retrieve(
    core: ScoringCore,
    sources: Mapping[str, Any],
    query: Query,
    k: int,
    n_items: int,
    text_source: str,
    recent: int,
    name: str,
) -> Candidates:
    """The hybrid's top ``k`` for a request read through the sources' ``query_row``."""
    names = needed_sources(core, list(sources), text_source)
    rows = query_rows({n: sources[n] for n in names}, query, n_items)
    if core.fallback is None and isinstance(core.ranker, LinearBlend):
        candidates, scores = blended_pool(core, rows)
        found = top_of_pool(candidates, scores, demoted_cold(core, rows, names, text_source), k)
        if found is not None:
            return Candidates(found.items, found.scores, name)
    found = _through_core(core, names, rows, query, k, n_items, text_source, recent, name)
    if len(found) < k and len(names) < len(sources):  # a fallback that proposed too few
        rows = query_rows(dict(sources), query, n_items)
        names = list(sources)
        found = _through_core(core, names, rows, query, k, n_items, text_source, recent, name)
    return found


def _through_core(
    core: ScoringCore,
    names: list[str],
    rows: Any,
    query: Query,
    k: int,
    n_items: int,
    text_source: str,
    recent: int,
    name: str,
) -> Candidates:
    by_name = as_rows(names, rows)
    cold_text = by_name.get(text_source) if core.any_cold() else None
    latest = latest_of_history(query.history, recent, n_items)  # only the core reads it
    scores = core.scores(by_name, latest, cold_text)[0]
    return candidates_from_scores(scores, query, k, name)
