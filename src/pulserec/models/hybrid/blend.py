"""A learned linear blend of per-user standardised source scores.

On ml-100k the held-out labels that train a ranker are few (about five per user in a pool of
200), and a GBDT ranker over-fits them and ties many candidates; a handful of blend weights,
fitted by coordinate ascent on held-out NDCG@10, generalises better (docs/models.md has the
figures). Scores a source did not give (NaN) count as far below every scored candidate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.models.hybrid.holdout import ndcg_at

Floats = npt.NDArray[np.float32]
WEIGHT_STEPS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)
MISSING_Z = -10.0


def z_scores(scores: Floats) -> npt.NDArray[np.float64]:
    """Per row z-scores over the finite entries, accumulated in float64 (so that the result
    does not depend on how the row sits in memory); NaN and -inf become ``MISSING_Z``."""
    ok = np.isfinite(scores)
    count = np.maximum(ok.sum(axis=1, keepdims=True), 1)
    values = np.where(ok, scores, 0.0).astype(np.float64)
    mean = values.sum(axis=1, keepdims=True) / count
    centred = np.where(ok, values - mean, 0.0)
    std = np.sqrt((centred**2).sum(axis=1, keepdims=True) / count)
    return np.where(ok, centred / (std + 1e-9), MISSING_Z)


def standardise(scores: Floats) -> Floats:
    """:func:`z_scores` as float32."""
    return z_scores(scores).astype(np.float32)


class LinearBlend:
    """``sum_i w_i * z_i`` over the score columns of the candidate features."""

    def __init__(self, score_columns: list[int], passes: int = 2) -> None:
        self.score_columns = score_columns
        self.passes = passes

    def _z(self, features: Floats) -> npt.NDArray[np.float64]:
        """(B, m, S) z-scores of the score columns, each over its request's candidates."""
        columns = features[:, :, self.score_columns]
        scores = np.ascontiguousarray(np.moveaxis(columns, -1, 0))  # (S, B, m)
        s, b, m = scores.shape
        z = z_scores(scores.reshape(s * b, m)).reshape(s, b, m)
        return np.ascontiguousarray(np.moveaxis(z, 0, -1))

    def fit(self, features: Floats, labels: Any) -> LinearBlend:
        z = self._z(features)
        weights = np.zeros(len(self.score_columns), dtype=np.float32)
        weights[int(np.argmax([ndcg_at(z[:, :, i], labels, 10) for i in range(z.shape[2])]))] = 1
        for _ in range(self.passes):
            for i in range(len(weights)):
                trials = []
                for step in WEIGHT_STEPS:
                    trial = weights.copy()
                    trial[i] = step
                    if not trial.any():  # no weight at all would rank by the pool's order,
                        continue  # which the served scores do not keep
                    trials.append((ndcg_at(z @ trial, labels, 10), -abs(step - weights[i]), step))
                weights[i] = max(trials)[2]
        self.weights_ = weights
        return self

    def predict(self, features: Floats) -> Floats:
        return blend(self._z(features), self.weights_)

    def state(self) -> dict[str, npt.NDArray[Any]]:
        """Score columns, passes and learned weights, as arrays."""
        return {
            "score_columns": np.array(self.score_columns, dtype=np.int64),
            "passes": np.array(self.passes, dtype=np.int64),
            "weights": self.weights_,
        }

    @classmethod
    def from_state(cls, state: dict[str, npt.NDArray[Any]]) -> LinearBlend:
        """The fitted blend saved by :meth:`state`."""
        blend = cls([int(c) for c in state["score_columns"]], int(state["passes"]))
        blend.weights_ = np.array(state["weights"], dtype=np.float32)
        return blend


def blend(z: npt.NDArray[np.float64], weights: Floats) -> Floats:
    """(B, m) weighted sums of (B, m, S) z-scores, in float64, returned as float32."""
    return np.asarray(z @ weights.astype(np.float64), dtype=np.float32)
