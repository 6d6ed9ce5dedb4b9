"""BPR (Rendle et al. 2009): pairwise ranking matrix factorisation, trained with torch.

Each step takes a mini-batch of observed (user, item) pairs, draws one negative item per pair
uniformly among the items the user has not interacted with, and maximises
``log sigmoid(x_u . (y_i - y_j) + b_i - b_j)`` with L2 on the embeddings used (sparse Adam, so
a step costs only the rows it touches). Training is single-threaded and seeded (numpy draws the
batches and negatives, a torch generator the initial embeddings), so a fit is reproducible.
Fold-in (``update`` and unknown users in ``retrieve``) optimises the same objective for one user
vector with the items fixed, in numpy, with negatives drawn from a fixed seed (pure).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Float32s, Int32s
from pulserec.models.cf._cf import (
    CFModel,
    State,
    check_count,
    check_positive,
    csr_from_state,
    csr_state,
    grow_rows,
    rows_of,
    zeroed_rows,
)
from pulserec.models.persistable import Model, persistable

Ints = npt.NDArray[np.int64]
INIT_STD = 0.1
NEGATIVE_ROUNDS = 8  # redraws of negatives that hit a positive (then accept the collision)
FOLD_STEPS = 60
FOLD_LR = 0.1


def sample_negatives(
    rng: np.random.Generator, users: Ints, positive_keys: Ints, n_items: int
) -> Ints:
    """One uniform item per user, redrawn while it is one of the user's positives.

    ``positive_keys`` are the sorted ``user * n_items + item`` codes of the positives.
    """
    negatives: Ints = np.asarray(rng.integers(0, n_items, size=users.shape[0]), dtype=np.int64)
    if positive_keys.size == 0:
        return negatives
    for _ in range(NEGATIVE_ROUNDS):
        keys = users * n_items + negatives
        found = np.searchsorted(positive_keys, keys)
        found = np.minimum(found, positive_keys.shape[0] - 1)
        hit = positive_keys[found] == keys
        if not hit.any():
            break
        negatives[hit] = rng.integers(0, n_items, size=int(hit.sum()))
    return negatives


@persistable("bpr")
class BPR(CFModel):
    """BPR-MF with item biases: ``user_factors_`` (U, F), ``item_factors_`` (I, F), ``item_bias_``.

    Defaults were tuned on ml-100k (random split, validation part).
    """

    def __init__(
        self,
        factors: int = 64,
        lr: float = 0.005,
        reg: float = 0.01,
        epochs: int = 20,
        batch_size: int = 1024,
        seed: int = 0,
        name: str = "bpr",
    ) -> None:
        check_count("factors", factors)
        check_positive("lr", lr)
        check_positive("reg", reg, allow_zero=True)
        check_count("epochs", epochs, minimum=0)
        check_count("batch_size", batch_size)
        self.factors = factors
        self.lr = lr
        self.reg = reg
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed
        self.name = name

    def fit(self, data: Interactions) -> Self:
        """Train from a seeded start; torch runs on one thread and is restored after."""
        import torch

        x = self._set_matrix(data.matrix())
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._train(x.shape, rows_of(x).astype(np.int64), x.indices.astype(np.int64))
        finally:
            torch.set_num_threads(threads)
        return self

    def _train(self, shape: tuple[int, int], users: Ints, items: Ints) -> None:
        import torch
        from torch.nn.functional import logsigmoid

        generator = torch.Generator().manual_seed(self.seed)
        tables = [
            torch.nn.Embedding(shape[0], self.factors, sparse=True),
            torch.nn.Embedding(shape[1], self.factors, sparse=True),
            torch.nn.Embedding(shape[1], 1, sparse=True),
        ]
        with torch.no_grad():
            for table in tables[:2]:
                table.weight.normal_(0.0, INIT_STD, generator=generator)
            tables[2].weight.zero_()
        user_emb, item_emb, bias = tables
        optimiser = torch.optim.SparseAdam([t.weight for t in tables], lr=self.lr)
        rng = np.random.default_rng(self.seed)
        keys = users * shape[1] + items  # sorted: csr order is by user, then item
        for _ in range(self.epochs):
            order = rng.permutation(users.shape[0])
            for start in range(0, order.shape[0], self.batch_size):
                batch = order[start : start + self.batch_size]
                negatives = sample_negatives(rng, users[batch], keys, shape[1])
                u, i, j = (torch.from_numpy(a) for a in (users[batch], items[batch], negatives))
                xu, yi, yj = user_emb(u), item_emb(i), item_emb(j)  # (B, F) each
                margin = (xu * (yi - yj)).sum(1) + (bias(i) - bias(j)).squeeze(1)
                penalty = (xu.square().sum() + yi.square().sum() + yj.square().sum()) / len(batch)
                loss = -logsigmoid(margin).mean() + self.reg * penalty
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()  # type: ignore[no-untyped-call]
        self.user_factors_ = user_emb.weight.detach().numpy().copy()
        self.item_factors_ = item_emb.weight.detach().numpy().copy()
        self.item_bias_ = bias.weight.detach().numpy()[:, 0].copy()

    def fold_in(self, item_indices: Int32s) -> Float32s:
        """A user vector (F,) for this history with the items fixed (pure, deterministic).

        Full-batch Adam on the BPR objective from zero, one fresh negative per positive per step.
        """
        n_items = self.item_factors_.shape[0]
        items = np.asarray(item_indices, dtype=np.int32)
        items = np.unique(items[(items >= 0) & (items < n_items)])
        x = np.zeros(self.factors, dtype=np.float64)
        if items.size == 0:
            return x.astype(np.float32)
        rng = np.random.default_rng(self.seed)
        negatives = rng.integers(0, n_items, size=(FOLD_STEPS, items.shape[0]))
        y, b = self.item_factors_.astype(np.float64), self.item_bias_.astype(np.float64)
        m, v = np.zeros_like(x), np.zeros_like(x)
        for step in range(FOLD_STEPS):
            diff = y[items] - y[negatives[step]]  # (n, F)
            margin = diff @ x + b[items] - b[negatives[step]]
            grad = -(diff.T @ (1.0 / (1.0 + np.exp(margin)))) / items.shape[0] + 2 * self.reg * x
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            m_hat, v_hat = m / (1 - 0.9 ** (step + 1)), v / (1 - 0.999 ** (step + 1))
            x -= FOLD_LR * m_hat / (np.sqrt(v_hat) + 1e-8)
        return x.astype(np.float32)

    def forget(self, users: Int32s) -> None:
        """Deleted users: their matrix rows and factor rows are zeroed (the item factors they
        helped fit keep that share until the next fit)."""
        super().forget(users)
        self.user_factors_ = zeroed_rows(self.user_factors_, users)

    def update(self, data: Interactions) -> None:
        """Add ``data``; new items start at zero, touched users are folded in."""
        x, users, _ = self._merge(data)
        self.user_factors_ = grow_rows(self.user_factors_, x.shape[0])
        self.item_factors_ = grow_rows(self.item_factors_, x.shape[1])
        self.item_bias_ = grow_rows(self.item_bias_, x.shape[1])
        for user in users:
            self.user_factors_[user] = self.fold_in(x.indices[x.indptr[user] : x.indptr[user + 1]])

    def _scores(self, vectors: Float32s) -> Float32s:
        return np.asarray(vectors @ self.item_factors_.T + self.item_bias_, dtype=np.float32)

    def _score_users(self, users: Int32s) -> Float32s:
        return self._scores(self.user_factors_[users])

    def _score_history(self, items: Int32s) -> Float32s:
        return np.asarray(self._scores(self.fold_in(items)[None, :])[0], dtype=np.float32)

    def state(self) -> State:
        """Learned arrays, for ``np.savez``."""
        return {
            **csr_state("user_items", self.user_items_),
            "user_factors": self.user_factors_,
            "item_factors": self.item_factors_,
            "item_bias": self.item_bias_,
        }

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments (JSON-ready)."""
        return {
            "factors": self.factors,
            "lr": self.lr,
            "reg": self.reg,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "name": self.name,
        }

    @classmethod
    def from_state(
        cls,
        params: dict[str, Any],
        state: State,
        children: dict[str, Model] | None = None,
        *,
        vectors: ItemVectors | None = None,
        users: IdMap | None = None,
        items: IdMap | None = None,
    ) -> Self:
        """A model rebuilt from its hyper-parameters and :meth:`state`."""
        model = cls(**params)
        model._set_matrix(csr_from_state("user_items", state))
        for key in ("user_factors", "item_factors", "item_bias"):
            setattr(model, f"{key}_", np.array(state[key], dtype=np.float32))
        return model
