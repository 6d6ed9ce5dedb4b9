"""The full encoder: all-MiniLM-L6-v2 through sentence-transformers (PyTorch, CPU).

The reference for every fidelity figure. One intra-op thread: on small shared machines torch's
thread pool costs far more than it gives (see docs/encoders.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pulserec.encoders.base import Vectors, normalise
from pulserec.encoders.model_files import DIM, MODEL_NAME, minilm_path, set_offline


class SentenceEncoder:
    """all-MiniLM-L6-v2, mean-pooled and L2-normalised, as sentence-transformers runs it."""

    id = f"{MODEL_NAME}/torch"
    dim = DIM

    def __init__(self, threads: int = 1) -> None:
        set_offline()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._model: Any = SentenceTransformer(
            str(minilm_path()), device="cpu", local_files_only=True
        )

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalise(vectors)
