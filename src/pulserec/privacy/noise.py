"""Discrete Laplace noise, calibrated and accounted by OpenDP, drawn from a keyed stream.

OpenDP states the mechanism: :func:`calibrated_scale` builds its discrete Laplace measurement
on integer count vectors under the L1 distance and asks its privacy map what a contribution of
``sensitivity`` costs, so the scale and the epsilon the budget is charged come from OpenDP.

The draws themselves come from BLAKE2b keyed by a secret the store keeps (one value for every
process) over (release window, item id): each worker and replica then publishes the very same
noisy counts for a window, where independent draws would let anyone average them away. OpenDP's own
sampler cannot be seeded, which is why it does not draw them. A draw is the difference of two
geometric variables (``P(G >= k) = exp(-k / scale)``), the exact discrete Laplace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
_MANTISSA = float(2**53)


def calibrated_scale(epsilon: float, sensitivity: int) -> float:
    """The discrete Laplace scale whose release of a count vector with L1 sensitivity
    ``sensitivity`` costs ``epsilon`` by OpenDP's privacy map (checked, not assumed)."""
    if epsilon <= 0 or sensitivity < 1:
        raise ValueError("epsilon must be positive and sensitivity at least 1")
    scale = sensitivity / epsilon
    spent = privacy_loss(scale, sensitivity)
    if spent > epsilon * (1 + 1e-9):
        raise ValueError(f"OpenDP charges {spent} for scale {scale}, above {epsilon}")
    return scale


def privacy_loss(scale: float, sensitivity: int) -> float:
    """OpenDP's epsilon for one discrete Laplace release of scale ``scale``."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
    )
    return float(measurement.map(sensitivity))  # type: ignore[no-untyped-call]


def keyed_laplace(key: bytes, window: int, ids: Sequence[str], scale: float) -> Int64s:
    """One discrete Laplace draw of ``scale`` per item id for release ``window``: a function of
    (key, window, id) alone, so every process draws the same noise for the same item."""
    if not ids:
        return np.zeros(0, dtype=np.int64)
    prefix = window.to_bytes(8, "little", signed=True)
    stream = b"".join(
        [hashlib.blake2b(prefix + i.encode(), key=key, digest_size=16).digest() for i in ids]
    )
    words = np.frombuffer(stream, dtype=np.uint64).reshape(-1, 2).T  # (2, n)
    uniform = ((words >> np.uint64(11)).astype(np.float64) + 1.0) / _MANTISSA  # (0, 1]
    geometric = np.floor(-scale * np.log(uniform)).astype(np.int64)  # (2, n)
    out: Int64s = geometric[0] - geometric[1]
    return out
