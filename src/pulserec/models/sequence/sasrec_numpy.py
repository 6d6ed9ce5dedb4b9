"""SASRec inference for one sequence in numpy: what a request needs, without torch's per-call cost.

A request scores one short sequence, so the work is a few (T, 64) matrix products, and torch's
dispatch (about 50 module calls, each several microseconds) costs more than the arithmetic.
This copy of an eval-mode :class:`~pulserec.models.sequence.sasrec_model.SASRec` reads the same
weights and computes the same function with three shortcuts that change no result: padding
positions are dropped (they are masked out as keys and their outputs are never read), the last
block computes only the last position (the only one the next-item scores read), and the item
vectors (id embedding plus projected text) are computed once. Its scores match the module's to
float32 rounding (``tests/retrievers/test_sequence_inference.py``).

With left-aligned positions (models fitted since they were chosen), appending an item changes
no earlier position's keys and values, so a user's next request extends the previous one's:
each layer's keys and values are kept per user (:class:`Context`, about 50 KB for the default
network, least recently used dropped past ``CACHE_BYTES``), and one more event costs one
position through the layers instead of the whole window. The window moves once every
``max_len // 2`` events (:func:`~.sasrec_model.context`); then it is computed in full again.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import torch
from scipy.special import erf
from torch import nn

from pulserec.models.sequence.sasrec_model import RIGHT, CausalBlock, SASRec

Float32s = npt.NDArray[np.float32]
LAYER_NORM_EPS = 1e-5
SQRT_HALF = 0.7071067811865476
CACHE_BYTES = 256 * 2**20  # users' kept keys and values, per scorer (as the row caches)


def _array(tensor: torch.Tensor) -> Float32s:
    return np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype=np.float32)


def _layer_norm(x: Float32s, weight: Float32s, bias: Float32s) -> Float32s:
    width = np.float32(x.shape[-1])
    centred = x - np.add.reduce(x, axis=-1, keepdims=True) / width
    variance = np.add.reduce(centred * centred, axis=-1, keepdims=True) / width
    scaled = centred / np.sqrt(variance + np.float32(LAYER_NORM_EPS))
    return np.asarray(scaled * weight + bias, dtype=np.float32)


def _gelu(x: Float32s) -> Float32s:
    """The exact (erf) GELU of ``nn.GELU()``: scipy's erf for a row or two (torch's dispatch
    costs more than the arithmetic there), torch's for a window (ten times scipy's on float32
    arrays that size)."""
    if x.shape[0] <= 2:
        half: Float32s = x * np.float32(0.5)
        return np.asarray(half * (np.float32(1.0) + erf(x * np.float32(SQRT_HALF))), np.float32)
    found: Float32s = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    return found


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

    def __call__(
        self, x: Float32s, heads: int, last_only: bool
    ) -> tuple[Float32s, Float32s, Float32s]:
        """(T, C) hidden states after this block (only the last row when ``last_only``), and
        the (T, C) keys and values of every position."""
        t, c = x.shape
        d = c // heads
        qkv = _layer_norm(x, *self.norm1) @ self.in_weight + self.in_bias  # (T, 3C)
        keys, values = qkv[:, c : 2 * c], qkv[:, 2 * c :]
        queries = qkv[-1:, :c] if last_only else qkv[:, :c]
        q = queries.reshape(-1, heads, d).transpose(1, 0, 2) / np.float32(np.sqrt(d))
        k = np.ascontiguousarray(keys.reshape(t, heads, d).transpose(1, 2, 0))
        v = np.ascontiguousarray(values.reshape(t, heads, d).transpose(1, 0, 2))
        logits = np.ascontiguousarray(q) @ k  # (H, Tq, T)
        if not last_only and t > 1:
            np.putmask(logits, np.broadcast_to(_future(t), logits.shape), -np.inf)
        logits -= logits.max(axis=-1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=-1, keepdims=True)
        attended = (weights @ v).transpose(1, 0, 2).reshape(-1, c)  # (Tq, C)
        x = (x[-1:] if last_only else x) + attended @ self.out_weight + self.out_bias
        return self._feed_forward(x), keys, values

    def step(self, x: Float32s, keys: Float32s, values: Float32s, heads: int) -> Float32s:
        """(1, C) hidden state of one more position, its key and value written into the last
        rows of ``keys`` and ``values`` ((t, C), the earlier positions' already there)."""
        t, c = keys.shape
        d = c // heads
        qkv = _layer_norm(x, *self.norm1) @ self.in_weight + self.in_bias  # (1, 3C)
        keys[-1], values[-1] = qkv[0, c : 2 * c], qkv[0, 2 * c :]
        q = qkv[0, :c].reshape(heads, 1, d) / np.float32(np.sqrt(d))  # (H, 1, d)
        k = keys.reshape(t, heads, d).transpose(1, 2, 0)  # (H, d, t)
        logits = q @ k  # (H, 1, t)
        logits -= logits.max(axis=-1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=-1, keepdims=True)
        attended = (weights @ values.reshape(t, heads, d).transpose(1, 0, 2)).reshape(1, c)
        return self._feed_forward(x + attended @ self.out_weight + self.out_bias)

    def _feed_forward(self, x: Float32s) -> Float32s:
        hidden = _layer_norm(x, *self.norm2) @ self.ff1[0] + self.ff1[1]
        out: Float32s = x + _gelu(hidden) @ self.ff2[0] + self.ff2[1]
        return out


@dataclass
class Context:
    """One user's last window: where it starts in their sequence, its items, each layer's
    keys and values at its positions, and the final hidden state after it."""

    start: int
    items: npt.NDArray[np.int64]
    keys: list[Float32s]  # per layer, (max_len, C); the first len(items) rows filled
    values: list[Float32s]
    last: Float32s  # (C,)

    @property
    def nbytes(self) -> int:
        floats = sum(a.nbytes for a in [*self.keys, *self.values, self.last])
        return int(floats + self.items.nbytes)


class SequenceScorer:
    """Next-item scores of one sequence (1-based item ids, most recent last) in numpy; with a
    user key, left-aligned models extend that user's kept window (:class:`Context`)."""

    def __init__(self, module: SASRec, cache_bytes: int = CACHE_BYTES) -> None:
        with torch.no_grad():
            items = _array(module.item_vectors())  # (N + 1, C)
        self.items = items
        self.item_columns = np.ascontiguousarray(items[1:].T)  # (C, N)
        self.scale = np.float32(items.shape[1] ** 0.5)
        self.positions = _array(module.positions.weight)  # (max_len, C)
        self.max_len = module.max_len
        self.aligned = module.aligned
        self.heads = module.heads
        self.blocks = [_Block.of(block) for block in module.blocks]  # type: ignore[arg-type]
        self.norm = (_array(module.norm.weight), _array(module.norm.bias))
        self.cache_bytes = cache_bytes
        self.extended = self.computed = 0  # requests served by extending, by a full window
        self._kept: OrderedDict[int, Context] = OrderedDict()
        self._kept_bytes = 0
        self._lock = threading.Lock()

    def next_scores(
        self, sequence: npt.NDArray[np.int64], user: int | None = None, start: int = 0
    ) -> Float32s:
        """(N,) scores of every item as the one after ``sequence`` (non-empty: the window a
        prediction reads, :func:`~.sasrec_model.context`); ``user`` and ``start`` (where the
        window starts in the user's whole sequence) let a left-aligned model extend the
        user's last window."""
        if self.aligned == RIGHT or user is None:
            last = self._full(sequence[-self.max_len :])[0]
        else:
            with self._lock:
                last = self._extended(user, sequence, start)
        out: Float32s = last @ self.item_columns
        return out

    def forget(self, users: list[int]) -> None:
        """Drop the kept windows of ``users`` (deleted)."""
        with self._lock:
            for user in users:
                self._drop(user)

    def forget_all(self) -> None:
        """Drop every kept window."""
        with self._lock:
            self._kept.clear()
            self._kept_bytes = 0

    def _positions(self, t: int) -> Float32s:
        if self.aligned == RIGHT:
            return self.positions[self.max_len - t :]
        return self.positions[:t]

    def _full(
        self, recent: npt.NDArray[np.int64]
    ) -> tuple[Float32s, list[Float32s], list[Float32s]]:
        """The final hidden state after ``recent``, and every layer's keys and values."""
        x = self.items[recent] * self.scale + self._positions(recent.shape[0])
        keys, values = [], []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, self.heads, last_only=i == len(self.blocks) - 1)
            keys.append(k)
            values.append(v)
        return _layer_norm(x[-1], *self.norm), keys, values

    def _extended(self, user: int, window: npt.NDArray[np.int64], start: int) -> Float32s:
        kept = self._kept.get(user)
        have = 0 if kept is None else kept.items.shape[0]
        if (
            kept is None
            or kept.start != start
            or have > window.shape[0]
            or not np.array_equal(kept.items, window[:have])
        ):
            self.computed += 1
            last, keys, values = self._full(window)
            self._keep(user, Context(start, window.copy(), _padded(keys, self.max_len),
                                     _padded(values, self.max_len), last))  # fmt: skip
            return last
        self.extended += 1
        self._kept.move_to_end(user)
        for t in range(have, window.shape[0]):
            x = (self.items[window[t]] * self.scale + self.positions[t])[None]
            for layer, block in enumerate(self.blocks):
                x = block.step(
                    x, kept.keys[layer][: t + 1], kept.values[layer][: t + 1], self.heads
                )
            kept.last = _layer_norm(x[0], *self.norm)
        kept.items = window.copy()
        return kept.last

    def _keep(self, user: int, context: Context) -> None:
        self._drop(user)
        self._kept[user] = context
        self._kept_bytes += context.nbytes
        while self._kept_bytes > self.cache_bytes and len(self._kept) > 1:
            self._drop(next(iter(self._kept)))

    def _drop(self, user: int) -> None:
        gone = self._kept.pop(user, None)
        if gone is not None:
            self._kept_bytes -= gone.nbytes


def _padded(arrays: list[Float32s], rows: int) -> list[Float32s]:
    """Each (t, C) array copied into a (rows, C) one (room to extend)."""
    out = []
    for array in arrays:
        room = np.zeros((rows, array.shape[1]), dtype=np.float32)
        room[: array.shape[0]] = array
        out.append(room)
    return out
