"""SASRec inference for one sequence in numpy: what a request needs, without torch's per-call cost.

A request scores one short sequence, so the work is a few (T, 64) matrix products, and torch's
dispatch (about 50 module calls, each several microseconds) costs more than the arithmetic.
This copy of an eval-mode :class:`~pulserec.models.sequence.sasrec_model.SASRec` reads the same
weights and computes the same function with three shortcuts that change no result: padding
positions are dropped (they are masked out as keys and their outputs are never read), the last
block computes only the last position (the only one the next-item scores read), and the item
vectors (id embedding plus projected text) are computed once. Its scores match the module's to
float32 rounding (``tests/retrievers/test_sequence_inference.py``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from pulserec.models.sequence.sasrec_model import CausalBlock, SASRec

Float32s = npt.NDArray[np.float32]
LAYER_NORM_EPS = 1e-5


def _array(tensor: torch.Tensor) -> Float32s:
    return np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype=np.float32)


def _layer_norm(x: Float32s, weight: Float32s, bias: Float32s) -> Float32s:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    out: Float32s = centred / np.sqrt(variance + LAYER_NORM_EPS) * weight + bias
    return out


def _gelu(x: Float32s) -> Float32s:
    """The exact (erf) GELU of ``nn.GELU()``: torch's erf is ten times scipy's on float32."""
    out: Float32s = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    return out


@functools.cache
def _future(t: int) -> npt.NDArray[np.bool_]:
    """(T, T): True where a position would look ahead."""
    return np.triu(np.ones((t, t), dtype=bool), 1)


@dataclass(frozen=True)
class _Block:
    norm1: tuple[Float32s, Float32s]
    in_weight: Float32s  # (C, 3C): query, key, value projections side by side
    in_bias: Float32s
    out_weight: Float32s  # (C, C)
    out_bias: Float32s
    norm2: tuple[Float32s, Float32s]
    ff1: tuple[Float32s, Float32s]  # (C, 4C), (4C,)
    ff2: tuple[Float32s, Float32s]  # (4C, C), (C,)

    @classmethod
    def of(cls, block: CausalBlock) -> _Block:
        attn = block.attn
        first, second = cast(nn.Linear, block.ff[0]), cast(nn.Linear, block.ff[3])
        return cls(
            (_array(block.norm1.weight), _array(block.norm1.bias)),
            _array(attn.in_proj_weight.T),
            _array(attn.in_proj_bias),
            _array(attn.out_proj.weight.T),
            _array(attn.out_proj.bias),
            (_array(block.norm2.weight), _array(block.norm2.bias)),
            (_array(first.weight.T), _array(first.bias)),
            (_array(second.weight.T), _array(second.bias)),
        )

    def __call__(self, x: Float32s, heads: int, last_only: bool) -> Float32s:
        """(T, C) hidden states after this block (only the last row when ``last_only``)."""
        t, c = x.shape
        d = c // heads
        qkv = _layer_norm(x, *self.norm1) @ self.in_weight + self.in_bias  # (T, 3C)
        queries = qkv[-1:, :c] if last_only else qkv[:, :c]
        q = queries.reshape(-1, heads, d).transpose(1, 0, 2) / np.float32(np.sqrt(d))
        k = np.ascontiguousarray(qkv[:, c : 2 * c].reshape(t, heads, d).transpose(1, 2, 0))
        v = np.ascontiguousarray(qkv[:, 2 * c :].reshape(t, heads, d).transpose(1, 0, 2))
        logits = np.ascontiguousarray(q) @ k  # (H, Tq, T)
        if not last_only and t > 1:
            np.putmask(logits, np.broadcast_to(_future(t), logits.shape), -np.inf)
        logits -= logits.max(axis=-1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=-1, keepdims=True)
        attended = (weights @ v).transpose(1, 0, 2).reshape(-1, c)  # (Tq, C)
        x = (x[-1:] if last_only else x) + attended @ self.out_weight + self.out_bias
        hidden = _layer_norm(x, *self.norm2) @ self.ff1[0] + self.ff1[1]
        out: Float32s = x + _gelu(hidden) @ self.ff2[0] + self.ff2[1]
        return out


class SequenceScorer:
    """Next-item scores of one sequence (1-based item ids, most recent last) in numpy."""

    def __init__(self, module: SASRec) -> None:
        with torch.no_grad():
            items = _array(module.item_vectors())  # (N + 1, C)
        self.items = items
        self.item_columns = np.ascontiguousarray(items[1:].T)  # (C, N)
        self.scale = np.float32(items.shape[1] ** 0.5)
        self.positions = _array(module.positions.weight)  # (max_len, C)
        self.max_len = module.max_len
        self.heads = module.heads
        self.blocks = [_Block.of(block) for block in module.blocks]  # type: ignore[arg-type]
        self.norm = (_array(module.norm.weight), _array(module.norm.bias))

    def next_scores(self, sequence: npt.NDArray[np.int64]) -> Float32s:
        """(N,) scores of every item as the one after ``sequence`` (non-empty)."""
        recent = sequence[-self.max_len :]
        x = self.items[recent] * self.scale + self.positions[self.max_len - recent.shape[0] :]
        for i, block in enumerate(self.blocks):
            x = block(x, self.heads, last_only=i == len(self.blocks) - 1)
        last = _layer_norm(x[-1], *self.norm)
        out: Float32s = last @ self.item_columns
        return out
