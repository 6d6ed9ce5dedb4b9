"""Settings read from the environment, with sane defaults.

Precedence: explicit arguments (CLI flags) over ``PULSEREC_*`` environment variables over defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("pulserec-data")
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads() -> None:
    """One intra-op thread for BLAS, OpenMP, torch and onnxruntime (unless set otherwise):
    on a few shared cores, a second thread makes a small matrix product ten times slower.
    Scale with processes instead."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with the pinned dependencies
        return
    threadpool_limits(int(os.environ["OPENBLAS_NUM_THREADS"]))


def cache_dir() -> Path:
    """Where model exports, data sets and embeddings are cached (``PULSEREC_CACHE_DIR``)."""
    configured = os.environ.get("PULSEREC_CACHE_DIR")
    path = Path(configured) if configured else Path.home() / ".cache" / "pulserec"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the HTTP server needs to know beyond the store."""

    api_key: str | None = None
    read_key: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Read ``PULSEREC_API_KEY``, ``PULSEREC_READ_KEY`` and ``PULSEREC_MAX_BODY_BYTES``."""
        max_body = os.environ.get("PULSEREC_MAX_BODY_BYTES")
        return cls(
            api_key=os.environ.get("PULSEREC_API_KEY") or None,
            read_key=os.environ.get("PULSEREC_READ_KEY") or None,
            max_body_bytes=int(max_body) if max_body else DEFAULT_MAX_BODY_BYTES,
        )
