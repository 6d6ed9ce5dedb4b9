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

from pulserec.ranking.holdout import ndcg_at

Floats = npt.NDArray[np.float32]
WEIGHT_STEPS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)
MISSING_Z = -10.0


def standardise(scores: Floats) -> Floats:
    """Per row z-scores over the finite entries; NaN (and -inf) become ``MISSING_Z``."""
    ok = np.isfinite(scores)
    count = np.maximum(ok.sum(axis=1, keepdims=True), 1)
    values = np.where(ok, scores, 0.0)
    mean = values.sum(axis=1, keepdims=True) / count
    std = np.sqrt((np.where(ok, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count)
    z = np.where(ok, (values - mean) / (std + 1e-9), np.nan)
    out: Floats = np.nan_to_num(z, nan=MISSING_Z).astype(np.float32)
    return out


class LinearBlend:
    """``sum_i w_i * z_i`` over the score columns of the candidate features."""

    def __init__(self, score_columns: list[int], passes: int = 2) -> None:
        self.score_columns = score_columns
        self.passes = passes

    def _z(self, features: Floats) -> Floats:
        return np.stack([standardise(features[:, :, c]) for c in self.score_columns], axis=-1)

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
                    trials.append((ndcg_at(z @ trial, labels, 10), -abs(step - weights[i]), step))
                weights[i] = max(trials)[2]
        self.weights_ = weights
        return self

    def predict(self, features: Floats) -> Floats:
        return np.asarray(self._z(features) @ self.weights_, dtype=np.float32)

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
