"""Process-wide defaults, the HTTP server's settings and the thread limit.

Nothing here reads ``PULSEREC_*`` variables: :mod:`pulserec.app.settings` reads flags, the
environment and the settings file once and passes the values in (``ServerSettings``,
:func:`use_cache_dir`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("pulserec-data")
DEFAULT_EVAL_DIR = Path("pulserec-eval")
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_cache_dir: Path | None = None


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


def use_cache_dir(path: Path | None) -> None:
    """Set this process's cache dir (None: the default, ``~/.cache/pulserec``)."""
    global _cache_dir
    _cache_dir = path


def cache_dir() -> Path:
    """Where model exports, data sets and embeddings are cached (see :func:`use_cache_dir`)."""
    path = _cache_dir if _cache_dir is not None else Path.home() / ".cache" / "pulserec"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the HTTP server needs to know beyond the store."""

    api_key: str | None = None
    read_key: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    eval_dir: Path = DEFAULT_EVAL_DIR  # where `pulserec evaluate` reports are read from
    # the interface listened on (None: not known, an app built in-process): on loopback, only
    # loopback host names and ``allowed_hosts`` ("*": any) are answered
    host: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    # item attributes the page's cards show under the title (empty: the creator, as found)
    display_fields: tuple[str, ...] = ()
    # web origins whose pages may call the API (CORS, and writes past the cross-site check)
    allowed_origins: tuple[str, ...] = ()
