"""One request's context, built once by the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pulserec.engine.state.online_state import UserContext


@dataclass(frozen=True, slots=True)
class Request:
    """History (positive items, most recent last), what to exclude, stated tastes, options."""

    history: npt.NDArray[np.int32]
    exclude: npt.NDArray[np.int32]
    preferences: npt.NDArray[np.float32] | None
    k: int = 10
    offset: int = 0
    category: str | None = None
    explain: bool = False
    diversity: float = 0.0
    query: str | None = None
    mask: npt.NDArray[np.bool_] | None = None  # extra filter (True: may be served)
    user: int | None = None  # whose stored history this is (None: an anonymous session)
    models: tuple[str, ...] | None = None  # the bundle's models to ask (None: the configured)
    stated: str | None = None  # the user's stated preferences as written (likes, dislikes)
    weights: npt.NDArray[np.float64] | None = None  # boost/bury factor per item (rules.py)

    @classmethod
    def for_user(
        cls,
        context: UserContext,
        k: int,
        offset: int,
        exclude_seen: bool,
        category: str | None,
        explain: bool,
        diversity: float,
        models: tuple[str, ...] | None,
        mask: npt.NDArray[np.bool_] | None = None,
        weights: npt.NDArray[np.float64] | None = None,
    ) -> Request:
        """A user's list request from their context (``exclude_seen`` is in the context)."""
        return cls(
            context.history,
            context.seen,
            context.preferences,
            k,
            offset,
            category,
            explain,
            diversity,
            mask=mask,
            user=context.user,
            models=models,
            stated=context.stated,
            weights=weights,
        )
