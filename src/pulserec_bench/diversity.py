"""``pulserec bench diversity``: what MMR re-ranking trades, NDCG@10 against intra-list diversity.

On ml-100k's ``random`` split (seed 0): fit one model on train, take each test user's best 50
unseen items, re-order them with MMR at several strengths (over raw and over catalog-centred
text vectors), and measure NDCG@10 and intra-list diversity (1 - mean pairwise cosine of the raw
item text embeddings, as ``pulserec evaluate`` reports it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pulserec.evaluation.data import load_eval_data
from pulserec.evaluation.protocols import make_split
from pulserec.models import registry
from pulserec.models.hybrid.diversity import mmr

Floats = npt.NDArray[np.float32]
STRENGTHS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
POOL = 50


def _figures(
    lists: list[npt.NDArray[np.int32]], truth: list[list[int]], vectors: Floats
) -> tuple[float, float]:
    ndcg, diversity = [], []
    for top, relevant in zip(lists, truth, strict=True):
        gains = np.isin(top, relevant) / np.log2(np.arange(2, 2 + len(top)))
        ideal = (1 / np.log2(np.arange(2, 2 + min(len(relevant), 10)))).sum()
        ndcg.append(gains.sum() / ideal)
        v = vectors[top]
        n = len(top)
        diversity.append(1 - ((v @ v.T).sum() - n) / (n * (n - 1)))
    return float(np.mean(ndcg)), float(np.mean(diversity))


def run(model_name: str = "hybrid-no-sequence") -> None:
    """Measure and print the trade-off table."""
    data = load_eval_data("movielens-100k")
    if data.text_vectors is None:
        raise RuntimeError("item text vectors are needed")
    split = make_split("random", data.interactions, 0)
    model = registry.make(model_name, vectors=data.text_vectors).fit(split.train)
    users = np.unique(split.test.user_idx).astype(np.int32)
    scores = model.score(users)
    rows, cols = (split.train.matrix() + split.valid.matrix())[users].nonzero()
    scores[rows, cols] = -np.inf
    raw, _ = data.text_vectors.aligned(data.interactions.items)
    centred = raw - raw.mean(axis=0)
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    truth = [list(r) for r in split.test.matrix()[users].tolil().rows]
    pools = [np.argsort(-row, kind="stable")[:POOL].astype(np.int32) for row in scores]
    base_ndcg, base_div = _figures([p[:10] for p in pools], truth, raw)
    print(f"{model_name} on ml-100k random (seed 0), MMR over its top {POOL}:")
    print(f"  no re-ranking: ndcg@10 {base_ndcg:.4f}, diversity {base_div:.4f}")
    for label, space in (("raw", raw), ("centred", centred)):
        for strength in STRENGTHS:
            lists = [mmr(p, scores[u][p], space, 10, strength) for u, p in enumerate(pools)]
            ndcg, div = _figures(lists, truth, raw)
            print(
                f"  {label:8s} diversity={strength:.1f}: ndcg@10 {ndcg:.4f}"
                f" ({(ndcg / base_ndcg - 1) * 100:+.1f}%), diversity {div:.4f}"
                f" ({(div / base_div - 1) * 100:+.1f}%)"
            )
