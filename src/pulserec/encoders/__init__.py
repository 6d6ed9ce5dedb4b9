"""Text encoders: the full language model off the request path, compressed ones on it.

``load_encoder(name)``:
- ``minilm``: all-MiniLM-L6-v2 on PyTorch via sentence-transformers (the reference);
- ``minilm-onnx``: the same model on onnxruntime, fp32 (same vectors, faster);
- ``minilm-int8``: onnxruntime with per-channel int8 weights (the query encoder);
- ``static``: model2vec-distilled static token vectors (microseconds);
- ``hashing``: a dependency-free hashing encoder for unit tests only.
"""

from __future__ import annotations

from pulserec.encoders.base import Encoder, Vectors, normalise

ENCODERS = ("minilm", "minilm-onnx", "minilm-int8", "static", "hashing")

__all__ = ["ENCODERS", "Encoder", "Vectors", "load_encoder", "normalise"]


def load_encoder(name: str) -> Encoder:
    """Build the named encoder (exports or distils into the cache on first use)."""
    if name == "minilm":
        from pulserec.encoders.sentence import SentenceEncoder

        return SentenceEncoder()
    if name in ("minilm-onnx", "minilm-int8"):
        from pulserec.encoders.onnx import OnnxEncoder

        return OnnxEncoder("fp32" if name == "minilm-onnx" else "int8")
    if name == "static":
        from pulserec.encoders.static import distill_static

        return distill_static()
    if name == "hashing":
        from pulserec.encoders.hashing import HashingEncoder

        return HashingEncoder()
    raise ValueError(f"unknown encoder {name!r} (known: {', '.join(ENCODERS)})")
