"""Sequence retriever: SASRec trained on users' item sequences, next-item scores on request.

``fit`` trains with full softmax cross-entropy at every position; ``update`` only appends new
items to the users' sequences (the network is retrained by ``fit``), so the next request already
conditions on the newest click.

With ``dp_epsilon`` set, ``fit`` trains the network with DP-SGD instead
(:mod:`pulserec.models.sequence.dp_sgd`): one example per user, each user's gradient clipped,
Gaussian
noise calibrated to ``(dp_epsilon, dp_delta)``; ``privacy_`` says what was spent, and is saved
with the model.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import torch
from tqdm import tqdm

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.arrays import placeholder_map, under, with_prefix
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf._cf import Leaf, derived
from pulserec.models.persistable import Inputs, Model, State, persistable
from pulserec.models.sequence.sasrec_model import LEFT, RIGHT, SASRec, build, context
from pulserec.models.sequence.sasrec_numpy import SequenceScorer
from pulserec.models.sequence.sequences import user_sequences

__all__ = ["SequenceRetriever", "user_sequences"]

if TYPE_CHECKING:
    from pulserec.models.sequence.dp_sgd import PrivacySpent


def _windows(sequences: list[list[int]], length: int) -> torch.Tensor:
    """Left-padded windows of ``length + 1`` items cut from the end of every sequence: (W,
    length + 1), W = 0 when no sequence has two items."""
    rows = []
    for seq in sequences:
        for end in range(len(seq), 1, -length):
            window = seq[max(0, end - length - 1) : end]
            rows.append([0] * (length + 1 - len(window)) + window)
    return torch.tensor(rows, dtype=torch.long).reshape(len(rows), length + 1)


def principal_text(text: torch.Tensor, dims: int) -> torch.Tensor:
    """Item text vectors (N + 1, D), row 0 the zero padding, reduced to their top ``dims``
    principal components over the catalog (centred), scaled to a mean row norm of 1; the
    padding row stays zero. Reads the catalog's text only, no interaction."""
    items = text[1:].double()
    centred = items - items.mean(dim=0)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vh[: min(dims, vh.shape[0])].T  # (N, dims)
    reduced = reduced / reduced.norm(dim=1).mean().clamp(min=1e-12)
    return torch.cat([torch.zeros(1, reduced.shape[1], dtype=torch.float64), reduced]).float()


_PRIVACY = ("epsilon", "delta", "noise_multiplier", "steps", "sample_rate", "max_grad_norm")


@persistable("sequence")
class SequenceRetriever(Leaf):
    """SASRec over item sequences, items tied to their text vectors when given."""

    privacy_: PrivacySpent | None = None  # set by a private fit (``dp_epsilon``)

    def __init__(
        self,
        vectors: ItemVectors | None = None,
        dim: int = 64,
        layers: int = 2,
        heads: int = 2,
        max_len: int = 50,
        dropout: float = 0.2,
        positions: str = LEFT,
        epochs: int = 60,
        lr: float = 2e-3,
        batch_size: int = 128,
        seed: int = 0,
        name: str = "sequence",
        dp_epsilon: float | None = None,
        dp_delta: float | None = None,
        dp_max_grad_norm: float = 1.0,
        dp_epochs: int | None = None,
        dp_batch_size: int = 256,
        dp_lr: float | None = None,
        dp_accountant: str = "rdp",
        dp_text_dim: int | None = None,
        dp_train_ids: bool = False,
        dp_average: float | None = None,
    ) -> None:
        """``dp_*`` apply only with ``dp_epsilon`` (private training): ``dp_delta`` (default
        ``0.1 / n_users``), the per-user clipping norm, epochs (default ``epochs``), expected
        batch of users, learning rate (default ``lr``), accountant (``rdp`` or ``prv``);
        ``dp_text_dim`` reduces the item text vectors to that many principal components of the
        catalog first (fewer weights to noise); ``dp_train_ids=False`` sets the item id
        embedding to zeros and leaves it untrained, so items are their (public) text vectors
        through the learned projection (it is trained anyway when there are no text vectors).
        """
        if dim % heads:
            raise ValueError("dim must be divisible by heads")
        self.vectors = vectors
        self.params: dict[str, Any] = {
            "dim": dim,
            "layers": layers,
            "heads": heads,
            "max_len": max_len,
            "dropout": dropout,
            "positions": positions,
        }
        self.epochs, self.lr, self.batch_size, self.seed = epochs, lr, batch_size, seed
        self.name = name
        self.dp: dict[str, Any] = {
            "dp_epsilon": dp_epsilon,
            "dp_delta": dp_delta,
            "dp_max_grad_norm": dp_max_grad_norm,
            "dp_epochs": dp_epochs,
            "dp_batch_size": dp_batch_size,
            "dp_lr": dp_lr,
            "dp_accountant": dp_accountant,
            "dp_text_dim": dp_text_dim,
            "dp_train_ids": dp_train_ids,
            "dp_average": dp_average,
        }

    def _text(self, data: Interactions) -> torch.Tensor | None:
        if self.vectors is None:
            return None
        matrix, _ = self.vectors.aligned(data.items)
        return torch.from_numpy(np.vstack([np.zeros((1, matrix.shape[1]), np.float32), matrix]))

    def fit(self, data: Interactions) -> Self:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        torch.manual_seed(self.seed)
        started = time.perf_counter()
        try:
            self.sequences_ = user_sequences(data)
            self.items_ = data.items
            if self.dp["dp_epsilon"] is None:
                self.model_ = build(self.params, data.n_items, self._text(data))
                self._train(_windows(self.sequences_, int(self.params["max_len"])))
            else:
                self._train_private(data)
        finally:
            torch.set_num_threads(threads)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _train(self, windows: torch.Tensor) -> None:
        model = self.model_
        if not len(windows):  # nobody has a next item yet: the network stays as built
            model.eval()
            return
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        generator = torch.Generator().manual_seed(self.seed)
        model.train()
        for _ in tqdm(range(self.epochs), desc="training sequence model", leave=False):
            shuffled = windows[torch.randperm(len(windows), generator=generator)]
            for batch in torch.split(shuffled, self.batch_size):
                inputs, targets = batch[:, :-1], batch[:, 1:]  # (B, T) each
                hidden = model(inputs)  # (B, T, C)
                logits = hidden @ model.item_vectors().T  # (B, T, N + 1)
                loss = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=0
                )
                optimizer.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
        model.eval()

    def _train_private(self, data: Interactions) -> None:
        """DP-SGD, one user one example (see :mod:`pulserec.models.sequence.dp_sgd`)."""
        from pulserec.models.sequence.dp_sgd import train_private

        dp = self.dp
        text = self._text(data)
        if text is not None and dp["dp_text_dim"] is not None:
            text = principal_text(text, int(dp["dp_text_dim"]))
        self.model_ = build(self.params, data.n_items, text)
        freeze: tuple[str, ...] = ()
        if text is not None and not dp["dp_train_ids"]:
            with torch.no_grad():
                self.model_.item_ids.weight.zero_()
            freeze = ("item_ids.weight",)
        self.privacy_ = train_private(
            self.model_,
            self.sequences_,
            epsilon=float(dp["dp_epsilon"]),
            delta=None if dp["dp_delta"] is None else float(dp["dp_delta"]),
            max_grad_norm=float(dp["dp_max_grad_norm"]),
            epochs=int(dp["dp_epochs"] if dp["dp_epochs"] is not None else self.epochs),
            batch_size=int(dp["dp_batch_size"]),
            lr=float(dp["dp_lr"] if dp["dp_lr"] is not None else self.lr),
            seed=self.seed,
            accountant=str(dp["dp_accountant"]),
            freeze=freeze,
            average=None if dp["dp_average"] is None else float(dp["dp_average"]),
        )

    def update(self, data: Interactions) -> None:
        """Append new positive items to their users' sequences."""
        fresh = user_sequences(data)
        self.sequences_.extend([] for _ in range(len(fresh) - len(self.sequences_)))
        for user, items in enumerate(fresh):
            if items:
                self.sequences_[user].extend(
                    i for i in items if i <= self.model_.item_ids.num_embeddings - 1
                )

    def forget(self, users: Int32s) -> None:
        """Deleted users' sequences go, and every window the scorer kept (those it keeps for
        the engine's users are keyed by the engine's index, which this model cannot map)."""
        for user in [int(u) for u in users if 0 <= u < len(self.sequences_)]:
            self.sequences_[user] = []
        if "_scorer" in self.__dict__:
            self.scorer.forget_all()

    def _batch(self, sequences: list[list[int]]) -> torch.Tensor:
        length, aligned = int(self.params["max_len"]), str(self.params["positions"])
        rows = [([0] * length + context(seq, length, aligned))[-length:] for seq in sequences]
        return torch.tensor(rows, dtype=torch.long)

    def _scores(self, sequences: list[list[int]]) -> Float32s:
        with torch.no_grad():
            known = self.model_.next_scores(self._batch(sequences)).numpy()
        known[np.array([not s for s in sequences])] = 0.0
        scores = np.full((len(sequences), len(self.items_)), -np.inf, dtype=np.float32)
        scores[:, : known.shape[1]] = known  # items added since the fit: -inf until refit
        return scores

    def score(self, users: Int32s) -> Float32s:
        known = len(self.sequences_)
        return self._scores([self.sequences_[u] if u < known else [] for u in users.tolist()])

    def query_row(self, query: Query) -> Float32s | None:
        """Next-item scores after the query's user's sequence (or its history); None for an
        empty one."""
        key: int | None = query.user  # whose window the scorer keeps and extends
        if 0 <= query.user < len(self.sequences_) and self.sequences_[query.user]:
            sequence = self.sequences_[query.user]
        else:
            n = self.model_.item_ids.num_embeddings - 1
            sequence = [int(i) + 1 for i in query.history.tolist() if i < n]
            key = -2 - query.owner if query.owner >= 0 else None  # the engine's user
        if not sequence:
            return None
        window = context(sequence, int(self.params["max_len"]), str(self.params["positions"]))
        start = len(sequence) - len(window)
        recent = np.array(window, dtype=np.int64)
        known = self.scorer.next_scores(recent, key, start)
        scores = np.full(len(self.items_), -np.inf, dtype=np.float32)
        scores[: known.shape[0]] = known  # items added since the fit: -inf until refit
        return scores

    @property
    def scorer(self) -> SequenceScorer:
        """The numpy copy of the fitted network that scores one request (built once per fit)."""
        module = self.model_
        return derived(self, "_scorer", module, lambda: SequenceScorer(module))

    def retrieve(self, query: Query, k: int) -> Candidates:
        row = self.query_row(query)
        if row is None:
            return candidates_from_scores(np.zeros(0, np.float32), query, 0, self.name)
        return candidates_from_scores(row, query, k, self.name)

    @property
    def module(self) -> SASRec:
        return self.model_

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments but ``vectors`` (JSON-ready)."""
        return {
            **self.params,
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "name": self.name,
            **({} if self.dp["dp_epsilon"] is None else self.dp),
        }

    def state(self) -> State:
        """Network weights under ``module.`` (safetensors-ready), the users' sequences as one
        flat array plus offsets, and the item count the scores span."""
        weights = {k: v.detach().numpy() for k, v in self.model_.state_dict().items()}
        lengths = np.array([len(s) for s in self.sequences_], dtype=np.int64)
        flat = [item for sequence in self.sequences_ for item in sequence]
        state = {
            **with_prefix("module.", weights),
            "sequences": np.array(flat, dtype=np.int32),
            "offsets": np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)]),
            "n_items": np.array(len(self.items_), dtype=np.int64),
        }
        if self.privacy_ is not None:  # what private training spent, kept with the weights
            state["privacy"] = np.array([getattr(self.privacy_, f) for f in _PRIVACY], np.float64)
            state["privacy_accountant"] = np.array(self.privacy_.accountant)
        return state

    def inputs(self) -> Inputs:
        return Inputs(self.vectors, None, self.items_)

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
        """A model rebuilt from :meth:`init_params` and :meth:`state` (the item text is in
        the weights; ``vectors`` are kept for refits). Scores span ``items`` when given, else
        as many items as at saving."""
        model = cls(vectors, **{"positions": RIGHT, **params})  # saved before: right-aligned
        weights = {k: torch.tensor(v) for k, v in under("module.", state).items()}
        text = weights["text"] if weights["text"].shape[1] else None
        with torch.random.fork_rng(devices=[]):  # the throw-away init leaves torch's RNG be
            model.model_ = build(model.params, int(weights["item_ids.weight"].shape[0]) - 1, text)
        model.model_.load_state_dict(weights)
        model.model_.eval()
        offsets = state["offsets"].tolist()
        flat = state["sequences"].tolist()
        model.sequences_ = [flat[a:b] for a, b in itertools.pairwise(offsets)]
        model.items_ = items if items is not None else placeholder_map(int(state["n_items"]))
        if "privacy" in state:
            from pulserec.models.sequence.dp_sgd import PrivacySpent

            figures = dict(zip(_PRIVACY, state["privacy"].tolist(), strict=True))
            model.privacy_ = PrivacySpent(
                epsilon=figures["epsilon"],
                delta=figures["delta"],
                noise_multiplier=figures["noise_multiplier"],
                steps=int(figures["steps"]),
                sample_rate=figures["sample_rate"],
                max_grad_norm=figures["max_grad_norm"],
                accountant=str(state["privacy_accountant"]),
            )
        return model
