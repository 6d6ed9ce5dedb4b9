"""A small causal transformer over item sequences (SASRec), whose items know their text.

Each item's input vector is a learned id embedding plus a learned projection of its
language-model text vector, so an item seen a handful of times (or never) still lands near
items that read alike. Reads top to bottom; tensor shapes in comments: B batch, T positions,
C channels, N items.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

LEFT, RIGHT = "left", "right"  # where positions start: the first item, or the last


class CausalBlock(nn.Module):
    """Pre-norm self-attention that only looks back, then a feed-forward layer."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, 4 * dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(4 * dim, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        """``blocked`` (B * heads, T, T) is True where a position may not look."""
        h = self.norm1(x)  # (B, T, C)
        attended, _ = self.attn(h, h, h, attn_mask=blocked, need_weights=False)
        x = x + attended  # (B, T, C)
        out: torch.Tensor = x + self.ff(self.norm2(x))  # (B, T, C)
        return out


class SASRec(nn.Module):
    """Next-item scores from a sequence of item indices (0 is padding, items are 1..N)."""

    def __init__(
        self,
        n_items: int,
        text: torch.Tensor | None,
        dim: int = 64,
        layers: int = 2,
        heads: int = 2,
        max_len: int = 50,
        dropout: float = 0.2,
        positions: str = LEFT,
    ) -> None:
        super().__init__()
        if positions not in (LEFT, RIGHT):
            raise ValueError(f"positions must be {LEFT!r} or {RIGHT!r}")
        self.max_len = max_len
        self.aligned = positions
        self.heads = heads
        self._frozen_items: torch.Tensor | None = None
        self.item_ids = nn.Embedding(n_items + 1, dim, padding_idx=0)  # (N + 1, C)
        self.register_buffer("text", text if text is not None else torch.zeros(n_items + 1, 0))
        text_dim = int(text.shape[1]) if text is not None else 0
        self.text_proj = nn.Linear(text_dim, dim, bias=False) if text is not None else None
        self.positions = nn.Embedding(max_len, dim)  # (T, C)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(CausalBlock(dim, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        nn.init.normal_(self.item_ids.weight, std=0.02)

    def item_vectors(self) -> torch.Tensor:
        """Every item's vector (N + 1, C): id embedding plus projected text vector.

        Computed once for inference (eval mode, no grad) and kept until training resumes or
        the weights are loaded again: it is the costliest step of scoring one sequence."""
        frozen = not self.training and not torch.is_grad_enabled()
        if frozen and self._frozen_items is not None:
            return self._frozen_items
        vectors: torch.Tensor = self.item_ids.weight
        if self.text_proj is not None:
            vectors = vectors + self.text_proj(self.text)
        self._frozen_items = vectors if frozen else None
        return vectors

    def train(self, mode: bool = True) -> SASRec:
        self._frozen_items = None
        return super().train(mode)

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        self._frozen_items = None
        return super().load_state_dict(*args, **kwargs)

    def forward(self, seqs: torch.Tensor) -> torch.Tensor:
        """Hidden states (B, T, C) for item sequences (B, T), left-padded with 0."""
        items = self.item_vectors()
        t = seqs.shape[1]
        x = items[seqs] * (items.shape[1] ** 0.5)  # (B, T, C)
        x = self.dropout(x + self.position_vectors(seqs))  # (B, T, C)
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)  # (T, T)
        blocked = causal[None] | (seqs == 0)[:, None, :]  # (B, T, T): no future, no padding
        blocked &= ~torch.eye(t, dtype=torch.bool)[None]  # each position sees itself: no NaN rows
        blocked = blocked.repeat_interleave(self.heads, dim=0)  # (B * heads, T, T)
        for block in self.blocks:
            x = block(x, blocked)
        out: torch.Tensor = self.norm(x)  # (B, T, C)
        return out

    def position_vectors(self, seqs: torch.Tensor) -> torch.Tensor:
        """(B, T, C) or (T, C): left-aligned, the first item of each sequence at position 0
        (appending an item leaves the others' positions be, so a request can extend the last
        one's keys and values); right-aligned (models saved before), the last at the end."""
        if self.aligned == RIGHT:
            return self.positions.weight[-seqs.shape[1] :]
        index = (torch.cumsum(seqs != 0, dim=1) - 1).clamp(min=0)  # padding: position 0
        return self.positions.weight[index]

    def next_scores(self, seqs: torch.Tensor) -> torch.Tensor:
        """Scores (B, N) of every item as the next one after each sequence."""
        last = self.forward(seqs)[:, -1, :]  # (B, C)
        return last @ self.item_vectors()[1:].T  # (B, N)


def build(params: dict[str, Any], n_items: int, text: torch.Tensor | None) -> SASRec:
    """The module from saved hyper-parameters."""
    return SASRec(
        n_items,
        text,
        dim=int(params["dim"]),
        layers=int(params["layers"]),
        heads=int(params["heads"]),
        max_len=int(params["max_len"]),
        dropout=float(params["dropout"]),
        positions=str(params.get("positions", RIGHT)),  # saved before positions were chosen
    )


def context(sequence: list[int], max_len: int, aligned: str) -> list[int]:
    """The items a prediction after ``sequence`` reads. Right-aligned: the last ``max_len``.
    Left-aligned: the whole sequence up to ``max_len`` items, then a window that starts at a
    multiple of ``max_len // 2`` and grows by one item per event (between ``max_len // 2 + 1``
    and ``max_len`` items), so a request extends the previous one's window except once every
    ``max_len // 2`` events."""
    n = len(sequence)
    if aligned == RIGHT or n <= max_len or max_len < 2:
        return sequence[-max_len:]
    hop = max(1, max_len // 2)
    return sequence[-(hop + (n - hop - 1) % hop + 1) :]
