"""Reference retrievers for offline evaluation: uniform random and a TF-IDF content baseline.

The TF-IDF baseline is what language-model content retrieval has to beat on ``cold-items``: each
item is a bag of lower-cased title words and ``genre=<name>`` tokens, weighted by TF-IDF
(smoothed idf ``ln((1 + n) / (1 + df)) + 1``, rows L2-normalised); a user's profile is the mean
of their training items' vectors, and an item's score is its cosine to that profile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core.interactions import Interactions
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores

_WORD = re.compile(r"[a-z0-9]+")


def item_tokens(titles: Sequence[str], genres: Sequence[Sequence[str]]) -> list[list[str]]:
    """Title words and ``genre=`` tokens per item.

    >>> item_tokens(["Toy Story"], [("Animation", "Comedy")])
    [['toy', 'story', 'genre=animation', 'genre=comedy']]
    """
    return [
        _WORD.findall(title.lower()) + [f"genre={g.lower()}" for g in row]
        for title, row in zip(titles, genres, strict=True)
    ]


def tfidf_matrix(docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
    """Row-normalised TF-IDF (documents x vocabulary); an empty document is a zero row.

    >>> m = tfidf_matrix([["a", "b"], ["a"], []])
    >>> m.shape, round(float(m[1, 0]), 3), m[2].nnz
    ((3, 2), 1.0, 0)
    """
    vocab: dict[str, int] = {}
    cols = [vocab.setdefault(token, len(vocab)) for doc in docs for token in doc]
    rows = np.repeat(np.arange(len(docs)), [len(doc) for doc in docs])
    data = np.ones(len(cols), dtype=np.float32)
    tf = sp.csr_matrix((data, (rows, cols)), shape=(len(docs), max(len(vocab), 1)))
    tf.sum_duplicates()
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    idf = (np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0).astype(np.float32)
    weighted = sp.csr_matrix(tf.multiply(idf[None, :]), dtype=np.float32)
    return _normalise_rows(weighted)


def _normalise_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1), dtype=np.float64)).ravel()
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ m, dtype=np.float32)


class RandomRetriever:
    """Uniform random scores from a seeded generator (a floor every model must clear)."""

    def __init__(self, seed: int = 0, name: str = "random") -> None:
        self.seed = seed
        self.name = name

    def fit(self, data: Interactions) -> Self:
        self.n_items_ = data.n_items
        self.rng_ = np.random.default_rng(self.seed)
        return self

    def update(self, data: Interactions) -> None:
        self.n_items_ = max(self.n_items_, data.n_items)

    def score(self, users: Int32s) -> Float32s:
        return self.rng_.random((users.shape[0], self.n_items_), dtype=np.float32)

    def retrieve(self, query: Query, k: int) -> Candidates:
        row = self.score(np.array([max(query.user, 0)], dtype=np.int32))[0]
        return candidates_from_scores(row, query, k, self.name)


class TfidfRetriever:
    """Cosine between a user's mean item TF-IDF vector and every item's vector."""

    def __init__(self, item_matrix: sp.csr_matrix, name: str = "tfidf") -> None:
        self.item_matrix = sp.csr_matrix(item_matrix, dtype=np.float32)
        self.name = name

    def fit(self, data: Interactions) -> Self:
        self.data_ = data
        seen = data.matrix()  # (U, I) binary
        items = self._items(seen.shape[1])  # (I, V)
        counts = np.asarray(seen.sum(axis=1), dtype=np.float32).ravel()
        inverse = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
        profiles = sp.diags(inverse) @ seen @ items  # (U, V), means of item vectors
        self.profiles_ = _normalise_rows(sp.csr_matrix(profiles))
        self.items_ = items
        return self

    def _items(self, n_items: int) -> sp.csr_matrix:
        """The item matrix with zero rows for items beyond it (e.g. ones added later)."""
        m = self.item_matrix
        if n_items <= m.shape[0]:
            return sp.csr_matrix(m[:n_items])
        pad = sp.csr_matrix((n_items - m.shape[0], m.shape[1]), dtype=np.float32)
        return sp.csr_matrix(sp.vstack([m, pad]))

    def update(self, data: Interactions) -> None:
        """Refit every profile on all events seen so far (cheap: one sparse product)."""
        self.fit(Interactions.concat([self.data_, data]))

    def score(self, users: Int32s) -> Float32s:
        known = (users >= 0) & (users < self.profiles_.shape[0])
        out = np.zeros((users.shape[0], self.items_.shape[0]), dtype=np.float32)
        if known.any():
            out[known] = (self.profiles_[users[known]] @ self.items_.T).toarray()
        return out

    def retrieve(self, query: Query, k: int) -> Candidates:
        row: npt.NDArray[np.float32] = self.score(np.array([query.user], dtype=np.int32))[0]
        return candidates_from_scores(row, query, k, self.name)
