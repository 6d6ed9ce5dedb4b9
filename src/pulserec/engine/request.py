"""One request's context, built once by the engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


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
