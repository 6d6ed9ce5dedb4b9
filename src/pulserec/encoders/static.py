"""Static encoders: one vector per token, a sentence is the mean of its tokens' vectors.

Microseconds per text. Two ways to get the token table:
- ``distill_static``: model2vec's distillation of all-MiniLM-L6-v2, run offline on the local
  model (each vocabulary token passed through the transformer), kept in the model's own 384-d
  space (no PCA) so its vectors are comparable with the full encoder's;
- ``fit_static``: start from that table and train it (PyTorch, cosine loss) to reproduce the full
  encoder's vectors on a corpus of catalog texts and queries, which lifts fidelity a lot in the
  domain it saw.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core.config import cache_dir
from pulserec.encoders.base import Vectors, normalise
from pulserec.encoders.model_files import DIM, MODEL_NAME, minilm_path, set_offline

logger = logging.getLogger(__name__)


class StaticEncoder:
    """Mean of token vectors (special tokens excluded), L2-normalised."""

    dim = DIM

    def __init__(
        self, embeddings: npt.NDArray[np.float32], tokenizer: Any, name: str, max_tokens: int = 256
    ) -> None:
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.dim = int(self.embeddings.shape[1])
        self.id = f"{MODEL_NAME}/static-{name}"
        self.max_tokens = max_tokens
        self._tokenizer = tokenizer

    @classmethod
    def load(cls, directory: Path, name: str) -> StaticEncoder:
        """Read ``embeddings.npy`` and ``tokenizer.json`` written by :meth:`save`."""
        from tokenizers import Tokenizer

        embeddings = np.load(directory / "embeddings.npy", allow_pickle=False)
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        return cls(embeddings, tokenizer, name)

    def save(self, directory: Path) -> None:
        """Write the token table and tokenizer (atomically per file)."""
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f"embeddings.partial-{os.getpid()}.npy"
        np.save(partial, self.embeddings, allow_pickle=False)
        os.replace(partial, directory / "embeddings.npy")
        self._tokenizer.save(str(directory / "tokenizer.json"))

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, without special tokens, truncated to ``max_tokens``."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids[: self.max_tokens] for e in encodings]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.token_ids(texts)
        lengths = np.array([len(i) for i in ids])
        flat = np.fromiter(
            (t for seq in ids for t in seq), dtype=np.int64, count=int(lengths.sum())
        )
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        nonempty = lengths > 0
        if flat.size:
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
            sums = np.add.reduceat(self.embeddings[flat], starts, axis=0)
            out[nonempty] = sums / lengths[nonempty, None]
        return normalise(out)


def static_dir(name: str) -> Path:
    return cache_dir() / "static" / MODEL_NAME / name


def distill_static() -> StaticEncoder:
    """model2vec's distillation of the local model (about 15 s once), cached."""
    directory = static_dir("distilled")
    if (directory / "embeddings.npy").is_file():
        return StaticEncoder.load(directory, "distilled")
    set_offline()
    from model2vec.distill import distill

    logger.info("distilling a static encoder from %s (once)", MODEL_NAME)
    model = distill(model_name=str(minilm_path()), pca_dims=None, quantize_to="float32")
    encoder = StaticEncoder(
        np.asarray(model.embedding, dtype=np.float32), model.tokenizer, "distilled"
    )
    encoder.save(directory)
    return encoder
