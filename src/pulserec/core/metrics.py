"""Offline metrics in batch: top-N accuracy, rating error and beyond-accuracy figures.

Top-N metrics take a ``(users, K)`` matrix of recommended item indices, best first (``-1`` marks
an empty slot), and the users' test sets in the same row order, either as a CSR matrix
(``users x items``, non-zero = relevant) or as one array of item indices per user. Conventions
follow RecBole so that figures compare with its evaluator:

* ``precision@k = hits / k`` and ``recall@k = hits / |test|``;
* ``ndcg@k`` uses binary gains, with the ideal DCG over ``min(|test|, k)`` items;
* ``map@k = sum_i(precision@i * rel_i) / min(|test|, k)``;
* ``mrr@k = 1 / rank of the first hit`` (0 without one), ``hit@k = 1`` if any hit;
* ``f1@k`` is the harmonic mean of precision@k and recall@k per user (0 when both are 0).

Every top-N figure is a mean over users; users whose test set is empty are skipped. All work is
vectorised over users, with no per-user Python loop. This is the one NDCG of the package: the
hybrid's validation (:func:`ndcg_of_hits`) and the offline evaluation both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntArray = npt.NDArray[np.integer]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
TestSets: TypeAlias = Any | Sequence[IntArray]  # a scipy CSR matrix or per-user arrays

TOP_N_METRICS = ("precision", "recall", "f1", "ndcg", "map", "mrr", "hit")


def as_csr(test: TestSets, n_items: int | None = None) -> sp.csr_matrix:
    """Test sets as a canonical binary CSR matrix (duplicates merged, explicit zeros dropped).

    >>> as_csr([np.array([2, 0, 2]), np.array([], dtype=int)], n_items=3).toarray()
    array([[1., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    if isinstance(test, sp.spmatrix | sp.sparray):
        m = sp.csr_matrix(test, dtype=np.float32, copy=True)
        m.eliminate_zeros()
    else:
        lengths = np.array([len(row) for row in test], dtype=np.int64)
        cols = np.concatenate([np.asarray(r, dtype=np.int64) for r in test] or [np.zeros(0, int)])
        width = n_items if n_items is not None else int(cols.max(initial=-1)) + 1
        rows = np.repeat(np.arange(len(lengths)), lengths)
        data = np.ones(cols.shape[0], dtype=np.float32)
        m = sp.csr_matrix((data, (rows, cols)), shape=(len(lengths), width))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def hit_matrix(topk: IntArray, test: TestSets) -> Bools:
    """``hits[u, r]``: whether the item at rank ``r`` of row ``u`` is in that user's test set.

    >>> hit_matrix(np.array([[3, 1, -1], [0, 2, 1]]), [np.array([1, 5]), np.array([2])])
    array([[False,  True, False],
           [False,  True, False]])
    """
    m = as_csr(test)
    if m.shape[0] != topk.shape[0]:
        raise ValueError(f"{topk.shape[0]} top-K rows but {m.shape[0]} test sets")
    width = np.int64(m.shape[1])
    test_rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    test_keys = test_rows * width + m.indices.astype(np.int64)
    items = topk.astype(np.int64)
    valid = (items >= 0) & (items < width)
    keys = np.arange(topk.shape[0], dtype=np.int64)[:, None] * width + items
    return valid & np.isin(keys, test_keys)


def n_relevant(test: TestSets) -> npt.NDArray[np.int64]:
    """The size of each user's test set."""
    sizes: npt.NDArray[np.int64] = np.diff(as_csr(test).indptr).astype(np.int64)
    return sizes


def _discounts(k: int) -> Floats:
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def _precision_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    return np.asarray(hits.sum(axis=1) / float(k), dtype=np.float64)


def _recall_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    return np.asarray(hits.sum(axis=1) / n_rel.astype(np.float64), dtype=np.float64)


def _f1_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    p, r = _precision_rows(hits, n_rel, k), _recall_rows(hits, n_rel, k)
    total = p + r
    return np.divide(2.0 * p * r, total, out=np.zeros_like(total), where=total > 0)


def _ndcg_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    discounts = _discounts(k)
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_rel, k) - 1]
    return np.asarray(dcg / ideal, dtype=np.float64)


def ndcg_of_hits(hits: Bools, n_rel: IntArray) -> float:
    """Mean NDCG of ``(users, k)`` hit rows (best first) for users with ``n_rel`` relevant
    items each (rows with none skipped); the same NDCG as :func:`ndcg`."""
    keep = np.asarray(n_rel) > 0
    if not keep.any():
        return 0.0
    k = hits.shape[1]
    return float(np.mean(_ndcg_rows(np.asarray(hits, bool)[keep], np.asarray(n_rel)[keep], k)))


def _map_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1, dtype=np.float64)
    return np.asarray((precision_at * hits).sum(axis=1) / np.minimum(n_rel, k), dtype=np.float64)


def _mrr_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    first = np.argmax(hits, axis=1)
    return np.asarray(np.where(hits.any(axis=1), 1.0 / (first + 1.0), 0.0), dtype=np.float64)


def _hit_rows(hits: Bools, n_rel: IntArray, k: int) -> Floats:
    return np.asarray(hits.any(axis=1), dtype=np.float64)


RowMetric = Callable[[Bools, IntArray, int], Floats]
ROW_METRICS: dict[str, RowMetric] = {
    "precision": _precision_rows,
    "recall": _recall_rows,
    "f1": _f1_rows,
    "ndcg": _ndcg_rows,
    "map": _map_rows,
    "mrr": _mrr_rows,
    "hit": _hit_rows,
}


def _prepared(topk: IntArray, test: TestSets, k: int) -> tuple[Bools, IntArray]:
    """Hits cut to ``k`` and test sizes, for the users whose test set is not empty."""
    if not 1 <= k <= topk.shape[1]:
        raise ValueError(f"k={k} must be within 1..{topk.shape[1]} (the top-K width)")
    hits, n_rel = hit_matrix(topk, test), n_relevant(test)
    keep = n_rel > 0
    return hits[keep, :k], n_rel[keep]


def _mean(name: str, topk: IntArray, test: TestSets, k: int) -> float:
    hits, n_rel = _prepared(topk, test, k)
    return float(ROW_METRICS[name](hits, n_rel, k).mean()) if n_rel.size else 0.0


def precision(topk: IntArray, test: TestSets, k: int) -> float:
    """Mean ``hits / k``.

    >>> precision(np.array([[1, 2], [3, 4]]), [np.array([2]), np.array([3, 4, 5])], 2)
    0.75
    """
    return _mean("precision", topk, test, k)


def recall(topk: IntArray, test: TestSets, k: int) -> float:
    """Mean ``hits / |test|``; the empty third test set is skipped.

    >>> recall(np.array([[1, 2], [3, 4], [5, 6]]),
    ...        [np.array([2]), np.array([3, 4, 5, 7]), np.array([], dtype=int)], 2)
    0.75
    """
    return _mean("recall", topk, test, k)


def f1(topk: IntArray, test: TestSets, k: int) -> float:
    """Mean per-user harmonic mean of precision and recall.

    >>> round(f1(np.array([[1, 2]]), [np.array([2, 3, 4, 5])], 2), 4)  # p=.5, r=.25
    0.3333
    """
    return _mean("f1", topk, test, k)


def ndcg(topk: IntArray, test: TestSets, k: int) -> float:
    """Mean NDCG with binary gains; the ideal DCG covers ``min(|test|, k)`` items.

    >>> round(ndcg(np.array([[9, 2, 3]]), [np.array([2])], 3), 4)  # 1/log2(3)
    0.6309
    """
    return _mean("ndcg", topk, test, k)


def mean_average_precision(topk: IntArray, test: TestSets, k: int) -> float:
    """Mean ``sum_i(precision@i * rel_i) / min(|test|, k)``.

    >>> mean_average_precision(np.array([[1, 9, 2]]), [np.array([1, 2])], 3)  # (1 + 2/3) / 2
    0.8333333333333333
    """
    return _mean("map", topk, test, k)


def mrr(topk: IntArray, test: TestSets, k: int) -> float:
    """Mean reciprocal rank of the first hit (0 for a user without one).

    >>> mrr(np.array([[9, 8, 2], [1, 2, 3]]), [np.array([2]), np.array([7])], 3)
    0.16666666666666666
    """
    return _mean("mrr", topk, test, k)


def hit(topk: IntArray, test: TestSets, k: int) -> float:
    """Share of users with at least one hit in their top ``k``.

    >>> hit(np.array([[9, 8, 2], [1, 2, 3]]), [np.array([2]), np.array([7])], 2)
    0.0
    """
    return _mean("hit", topk, test, k)


def ranking_metrics(
    topk: IntArray, test: TestSets, ks: Iterable[int], names: Iterable[str] = TOP_N_METRICS
) -> dict[str, float]:
    """Every named metric at every ``k``, keyed ``"name@k"``; hits are computed once.

    >>> ranking_metrics(np.array([[1, 2]]), [np.array([2])], [1, 2], ["hit"])
    {'hit@1': 0.0, 'hit@2': 1.0}
    """
    hits, n_rel = hit_matrix(topk, test), n_relevant(test)
    keep = n_rel > 0
    hits, n_rel = hits[keep], n_rel[keep]
    out: dict[str, float] = {}
    for name in names:
        for k in sorted(set(ks)):
            if not 1 <= k <= topk.shape[1]:
                raise ValueError(f"k={k} must be within 1..{topk.shape[1]} (the top-K width)")
            rows = ROW_METRICS[name](hits[:, :k], n_rel, k)
            out[f"{name}@{k}"] = float(rows.mean()) if rows.size else 0.0
    return out


def mae(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Mean absolute error.

    >>> mae([3.5, 2.0, 5.0], [4, 2, 3])
    0.8333333333333334
    """
    diff = np.asarray(predicted, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
    return float(np.abs(diff).mean())


def rmse(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Root mean squared error.

    >>> rmse([3.0, 2.0, 5.0], [4, 2, 3])
    1.2909944487358056
    """
    diff = np.asarray(predicted, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def exposure(topk: IntArray, n_items: int) -> npt.NDArray[np.int64]:
    """How many lists each item appears in (empty slots ``-1`` ignored).

    >>> exposure(np.array([[0, 2], [2, -1]]), 4)
    array([1, 0, 2, 0])
    """
    items = topk[(topk >= 0) & (topk < n_items)]
    return np.bincount(items.astype(np.int64), minlength=n_items).astype(np.int64)


def coverage(topk: IntArray, n_items: int) -> float:
    """Catalog coverage: share of the ``n_items`` catalog recommended to anyone.

    >>> coverage(np.array([[0, 2], [2, -1]]), 4)
    0.5
    """
    return float((exposure(topk, n_items) > 0).sum() / max(n_items, 1))


def gini(counts: npt.ArrayLike) -> float:
    """Gini coefficient of exposure counts over the catalog: 0 = even, near 1 = concentrated.

    >>> gini([5, 5, 5, 5])
    0.0
    >>> gini([0, 0, 0, 8])
    0.75
    """
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = x.shape[0], x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(((2.0 * ranks - n - 1.0) * x).sum() / (n * total))


def popularity_share(train_counts: npt.ArrayLike, n_users: int) -> Floats:
    """``p(i)``: the share of training users who interacted with each item, at least ``1/n``.

    Items never seen in training (cold items) count as seen once, so their novelty is finite:
    ``log2(n_users)``, the largest value any item can have.

    >>> popularity_share([4, 1, 0], 4)
    array([1.  , 0.25, 0.25])
    """
    counts = np.maximum(np.asarray(train_counts, dtype=np.float64), 1.0)
    return np.asarray(counts / max(n_users, 1), dtype=np.float64)


def novelty(topk: IntArray, share: Floats) -> float:
    """Mean self-information ``-log2 p(i)`` of the recommended items (Zhou et al. 2010).

    >>> novelty(np.array([[0, 1], [1, -1]]), np.array([1.0, 0.25]))
    1.3333333333333333
    """
    items = topk[(topk >= 0) & (topk < share.shape[0])]
    return float(-np.log2(share[items]).mean()) if items.size else 0.0


def intra_list_diversity(
    topk: IntArray, vectors: npt.NDArray[np.floating], batch: int = 1024
) -> float:
    """Mean over lists of ``1 - mean pairwise cosine`` of the listed items' vectors.

    Pairs with an item that has no vector (all zeros) or an empty slot are left out; a list with
    no pair left is skipped.

    >>> v = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> intra_list_diversity(np.array([[0, 1, 2], [0, 1, -1]]), v)  # (1 - 1/3 + 1 - 1) / 2
    0.33333333333333337
    """
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=np.float64), where=norms > 0)
    has = norms[:, 0] > 0
    total, lists = 0.0, 0
    off_diagonal = ~np.eye(topk.shape[1], dtype=bool)
    for start in range(0, topk.shape[0], batch):
        rows = topk[start : start + batch]
        ok = (rows >= 0) & (rows < unit.shape[0])
        safe = np.where(ok, rows, 0)
        ok &= has[safe]
        emb = unit[safe] * ok[..., None]  # (B, K, d)
        sims = emb @ emb.transpose(0, 2, 1)  # (B, K, K)
        pairs = ok[:, :, None] & ok[:, None, :] & off_diagonal
        n_pairs = pairs.sum(axis=(1, 2))
        present = n_pairs > 0
        mean_sim = (sims * pairs).sum(axis=(1, 2))[present] / n_pairs[present]
        total += float((1.0 - mean_sim).sum())
        lists += int(present.sum())
    return total / lists if lists else 0.0
