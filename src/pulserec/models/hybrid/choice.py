"""How the hybrid chooses what serves: each candidate ranker learnt on half the held-out
users and judged on the other half beside every source alone; the best serves (a source when
no ranker beats it), refit on every user. Plus the held-out labels and the catalog NDCG the
hybrid's other decisions (the costly sources, the pruning) are judged by."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core import metrics
from pulserec.core.topk import top_k_rows
from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.holdout import ndcg_at
from pulserec.models.hybrid.rankers import new_ranker, predict, train_ranker

logger = logging.getLogger(__name__)
Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Choice:
    """The ranker that serves (refit on every held-out user), the source that serves instead
    when no ranker beats it (None: the ranker serves), and the figures behind the choice."""

    ranker: Any
    fallback: str | None
    validation: dict[str, Any]


def choose_ranker(
    features: Float32s,
    labels: Any,
    half: npt.NDArray[np.bool_],
    names: Sequence[str],
    kinds: Sequence[str],
    params: dict[str, Any],
) -> Choice:
    """Learn each ranker of ``kinds`` on the ``half`` users and judge it (NDCG@10 of the pool)
    on the others, beside each source (``names``, in feature order) alone."""
    labels = labels.astype(np.int32)
    judged: dict[str, float] = {}
    for kind in kinds:
        probe = new_ranker(kind, len(names), params)
        train_ranker(probe, features[half], labels[half])
        judged[kind] = ndcg_at(predict(probe, features[~half]), labels[~half], 10)
    sources = {
        name: ndcg_at(features[~half][:, :, 2 * i], labels[~half], 10)
        for i, name in enumerate(names)
    }
    kind = max(judged, key=lambda k: judged[k])
    best_name = max(sources, key=lambda k: sources[k])
    fallback = best_name if judged[kind] < sources[best_name] else None
    served = fallback or kind
    logger.info(
        "hybrid ndcg@10 %s vs best source %s %.4f: serving %s",
        ", ".join(f"{k} {v:.4f}" for k, v in judged.items()),
        best_name,
        sources[best_name],
        served,
    )
    validation: dict[str, Any] = {f"source.{n}": round(v, 4) for n, v in sources.items()}
    validation.update({f"ranker.{k}": round(v, 4) for k, v in judged.items()})
    validation.update(
        {
            "ranker_ndcg@10": judged[kind],
            "best_source": best_name,
            "best_source_ndcg@10": sources[best_name],
            "served": served,
            "served_ndcg@10": max(judged[kind], sources[best_name]),
        }
    )
    ranker = new_ranker(kind, len(names), params)
    train_ranker(ranker, features, labels)
    return Choice(ranker, fallback, validation)


def sub_blend(blend: LinearBlend, names: list[str], kept: list[str]) -> LinearBlend:
    """The fitted blend over the ``kept`` sources only (their score columns renumbered)."""
    sub = LinearBlend([2 * i for i in range(len(kept))], blend.passes)
    sub.weights_ = np.array([blend.weights_[names.index(n)] for n in kept], dtype=np.float32)
    return sub


def held_out_labels(truth: Any, candidates: Int32s) -> npt.NDArray[np.int32]:
    """(users, pool) held-out hits of each pooled candidate."""
    rows = np.arange(candidates.shape[0])[:, None]
    return np.asarray(truth[rows, candidates].todense()).astype(np.int32)


def catalog_ndcg(scores: Float32s, truth: Any, k: int = 10) -> float:
    """Mean NDCG@k of (users, items) score rows against a sparse (users, items) matrix of
    held-out items, the ideal counting every held-out item (the evaluation's metric)."""
    k = min(k, scores.shape[1])  # a catalog smaller than k
    return metrics.ndcg(top_k_rows(np.nan_to_num(scores, nan=-np.inf), k), truth, k)
