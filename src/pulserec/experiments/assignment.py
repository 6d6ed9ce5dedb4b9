"""Deterministic assignment: a user's variant from a salted hash of their id.

``bucket(salt, user)`` is a uniform number in [0, 1) from BLAKE2b over the salt and the id, so
a user stays in one variant for the experiment's life, changing nothing else changes no one's
assignment, and two experiments with different salts split users independently. Anonymous
sessions are assigned the same way by their session key.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from itertools import accumulate

_SCALE = float(2**64)


def bucket(salt: str, user_id: str) -> float:
    """A uniform number in [0, 1) fixed by (salt, user id)."""
    digest = hashlib.blake2b(f"{salt}\x1f{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def variant_index(salt: str, user_id: str, weights: Sequence[float]) -> int:
    """The index of the variant ``user_id`` falls in, variants sharing [0, 1) by weight."""
    if not weights or any(w <= 0 for w in weights):
        raise ValueError("every variant needs a positive weight")
    bounds = list(accumulate(weights))
    point = bucket(salt, user_id) * bounds[-1]
    return min(bisect.bisect_right(bounds, point), len(bounds) - 1)
