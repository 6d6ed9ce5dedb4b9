"""Train a static encoder's token table to reproduce the full encoder on given texts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from pulserec.encoders.base import Vectors
from pulserec.encoders.static import StaticEncoder


def fit_static(
    base: StaticEncoder,
    texts: Sequence[str],
    targets: Vectors,
    name: str = "fitted",
    epochs: int = 8,
    lr: float = 0.05,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> StaticEncoder:
    """A copy of ``base`` whose token vectors minimise ``1 - cos(mean(tokens), target)``.

    Only tokens that occur in ``texts`` move; the rest keep the distilled vectors, so text
    outside the corpus encodes exactly as before.
    """
    import torch

    if len(texts) != targets.shape[0]:
        raise ValueError("texts and targets must have the same length")
    generator = torch.Generator().manual_seed(seed)
    ids = base.token_ids(texts)
    keep = [i for i, seq in enumerate(ids) if seq]
    table = torch.nn.EmbeddingBag.from_pretrained(
        torch.from_numpy(base.embeddings.copy()), freeze=False, mode="mean", sparse=True
    )
    optimizer = torch.optim.SparseAdam(list(table.parameters()), lr=lr)
    goal = torch.from_numpy(np.ascontiguousarray(targets[keep]))
    for _ in tqdm(range(epochs), desc="fitting static encoder", disable=not progress):
        order = torch.randperm(len(keep), generator=generator)
        for start in range(0, len(keep), batch_size):
            rows = order[start : start + batch_size].tolist()
            seqs = [ids[keep[r]] for r in rows]
            flat = torch.tensor([t for s in seqs for t in s], dtype=torch.long)
            offsets = torch.tensor(np.concatenate(([0], np.cumsum([len(s) for s in seqs])[:-1])))
            pooled = table(flat, offsets)  # (B, C)
            loss = 1 - torch.nn.functional.cosine_similarity(pooled, goal[rows]).mean()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()  # type: ignore[no-untyped-call]
    weights = table.weight.detach().numpy().astype(np.float32)
    return StaticEncoder(weights, base._tokenizer, name, base.max_tokens)
