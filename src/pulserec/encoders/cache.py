"""Vectors persisted per (encoder id, text hash), so unchanged text is never encoded twice.

One SQLite file in the data dir. ``encode_cached`` looks texts up in chunks, encodes only the
misses (in batches, with a progress bar for bulk work) and stores them before returning.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pulserec.encoders.base import Encoder, Vectors

_CHUNK = 900
CACHE_FILENAME = "embeddings.sqlite3"


def text_key(text: str) -> bytes:
    """A 16-byte digest of the text (the cache key with the encoder id)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    """Float32 vectors keyed by encoder id and text digest."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (encoder TEXT NOT NULL, key BLOB NOT NULL,"
            " vector BLOB NOT NULL, PRIMARY KEY (encoder, key)) WITHOUT ROWID"
        )

    def get(self, encoder_id: str, keys: Sequence[bytes]) -> dict[bytes, Vectors]:
        """The cached vectors among ``keys``."""
        found: dict[bytes, Vectors] = {}
        with self._lock:
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, vector FROM vectors WHERE encoder = ? AND key IN ({marks})",
                    [encoder_id, *chunk],
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, encoder_id: str, keys: Sequence[bytes], vectors: Vectors) -> None:
        rows = [
            (encoder_id, k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for k, v in zip(keys, vectors, strict=True)
        ]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            self._conn.execute("COMMIT")

    def count(self, encoder_id: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM vectors WHERE encoder = ?", (encoder_id,)
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def encode_cached(
    encoder: Encoder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    batch_size: int = 64,
    progress: bool = False,
) -> Vectors:
    """Vectors for ``texts``: cached ones read back, the rest encoded (and cached)."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    keys = [text_key(t) for t in texts]
    found = cache.get(encoder.id, keys) if cache is not None else {}
    missing = [i for i, k in enumerate(keys) if k not in found]
    for i, key in enumerate(keys):
        if key in found:
            out[i] = found[key]
    step = max(batch_size * 16, 1024)
    with tqdm(
        total=len(missing),
        desc=f"encoding with {encoder.id}",
        unit=" texts",
        disable=not progress or not missing,
    ) as bar:
        for start in range(0, len(missing), step):
            rows = missing[start : start + step]
            vectors = encoder.encode([texts[i] for i in rows], batch_size=batch_size)
            out[rows] = vectors
            if cache is not None:
                cache.put(encoder.id, [keys[i] for i in rows], vectors)
            bar.update(len(rows))
    return out
