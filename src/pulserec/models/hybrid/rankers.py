"""The hybrid's rankers: a learned linear blend or LightGBM LambdaRank, behind four functions.

Features are (users, pool, F) arrays (see :mod:`pulserec.models.hybrid.features`); labels are the
held-out hits of each pooled candidate. A LightGBM ranker persists as its text model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.features import Float32s
from pulserec.models.hybrid.holdout import ndcg_at


def new_ranker(kind: str, n_sources: int, lgbm_params: dict[str, Any]) -> Any:
    """An unfitted blend over the sources' score columns, or a LightGBM LambdaRank ranker."""
    if kind == "blend":
        return LinearBlend([2 * i for i in range(n_sources)])
    import lightgbm

    return lightgbm.LGBMRanker(objective="lambdarank", **lgbm_params)


def train_ranker(ranker: Any, features: Float32s, labels: Any) -> None:
    """Fit ``ranker`` on the users that have at least one held-out hit in their pool."""
    keep = labels.sum(axis=1) > 0
    if isinstance(ranker, LinearBlend):
        ranker.fit(features[keep], labels[keep])
        return
    n, m, f = features[keep].shape
    ranker.fit(features[keep].reshape(n * m, f), labels[keep].reshape(-1), group=[m] * n)


def predict(ranker: Any, features: Float32s) -> Float32s:
    """(users, pool) ranker scores."""
    if isinstance(ranker, LinearBlend):
        return ranker.predict(features)
    n, m, f = features.shape
    return np.asarray(ranker.predict(features.reshape(n * m, f)), np.float32).reshape(n, m)


def best_source(names: list[str], features: Float32s, labels: Any) -> tuple[str, float]:
    """The source whose own score column has the best NDCG@10 on ``labels``, and that NDCG."""
    results = {name: ndcg_at(features[:, :, 2 * i], labels, 10) for i, name in enumerate(names)}
    best = max(results, key=lambda k: results[k])
    return best, results[best]


def lightgbm_text(ranker: Any) -> str | None:
    """A LightGBM ranker in LightGBM's text model format (None for a blend or no ranker)."""
    if ranker is None or isinstance(ranker, LinearBlend):
        return None
    import lightgbm

    booster = ranker.booster_ if isinstance(ranker, lightgbm.LGBMRanker) else ranker
    return str(booster.model_to_string())


def lightgbm_from_text(text: str) -> Any:
    """The ``lightgbm.Booster`` of a text model written by :func:`lightgbm_text`."""
    import lightgbm

    return lightgbm.Booster(model_str=text)
