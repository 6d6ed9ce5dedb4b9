"""Every encoder gives unit float32 vectors; compressed ones agree with the full model."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from pulserec.encoders import ENCODERS, load_encoder
from pulserec.encoders.base import Encoder, Vectors
from pulserec.encoders.hashing import HashingEncoder
from pulserec.encoders.onnx import OnnxEncoder
from pulserec.encoders.sentence import SentenceEncoder
from pulserec.encoders.static import StaticEncoder
from pulserec.encoders.static_fit import fit_static
from tests.encoders.conftest import SAMPLE_QUERIES

pytestmark = pytest.mark.slow


def _assert_unit_vectors(vectors: Vectors, n: int) -> None:
    assert vectors.shape == (n, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def _top10_overlap(queries_a: Vectors, queries_b: Vectors, items: Vectors) -> float:
    top_a = np.argsort(-(queries_a @ items.T), axis=1)[:, :10]
    top_b = np.argsort(-(queries_b @ items.T), axis=1)[:, :10]
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top_a, top_b, strict=True)]))


def test_every_encoder_returns_unit_float32_vectors(
    full: SentenceEncoder, int8: OnnxEncoder, static: StaticEncoder
) -> None:
    texts = ["Toy Story (1995). Genres: Animation.", "waterproof boots", "x", "ünïcödé ✓"]
    encoders: list[Encoder] = [full, int8, static, HashingEncoder()]
    for encoder in encoders:
        _assert_unit_vectors(encoder.encode(texts), len(texts))
        assert encoder.encode([]).shape == (0, 384)
    assert len({e.id for e in encoders}) == len(encoders), "ids name the variant (cache keys)"


def test_full_encoder_loads_with_no_network() -> None:
    """A dead proxy and hub endpoint: any network attempt would fail or hang the load."""
    dead = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "HF_ENDPOINT": dead}
    env.pop("HF_HUB_OFFLINE", None)
    code = (
        "from pulserec.encoders.sentence import SentenceEncoder;"
        "print(SentenceEncoder().encode(['hello']).shape)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(1, 384)" in result.stdout


def test_onnx_fp32_reproduces_the_full_model(full: SentenceEncoder, movie_texts: list[str]) -> None:
    fp32 = OnnxEncoder("fp32")
    cosines = (fp32.encode(movie_texts) * full.encode(movie_texts)).sum(axis=1)
    assert cosines.min() > 0.9999


def test_int8_agrees_with_the_full_model(
    full: SentenceEncoder, int8: OnnxEncoder, movie_texts: list[str]
) -> None:
    """Stated bar on this fixed sample: top-10 overlap >= 0.85, cosine >= 0.97 everywhere."""
    items = full.encode(movie_texts)
    reference, fast = full.encode(SAMPLE_QUERIES), int8.encode(SAMPLE_QUERIES)
    assert (reference * fast).sum(axis=1).min() >= 0.97
    assert _top10_overlap(reference, fast, items) >= 0.85


def test_static_encoders_agree_above_their_stated_bars(
    full: SentenceEncoder, static: StaticEncoder, movie_texts: list[str]
) -> None:
    """Distilled: overlap >= 0.2 (a bag of token vectors); fitted on the corpus: far closer."""
    items = full.encode(movie_texts)
    reference = full.encode(SAMPLE_QUERIES)
    distilled = _top10_overlap(reference, static.encode(SAMPLE_QUERIES), items)
    assert distilled >= 0.2
    fitted = fit_static(
        static, movie_texts + SAMPLE_QUERIES, np.vstack([items, reference]), epochs=6
    )
    cos_before = (static.encode(movie_texts) * items).sum(axis=1).mean()
    cos_after = (fitted.encode(movie_texts) * items).sum(axis=1).mean()
    assert cos_after > cos_before + 0.2
    assert fitted.encode(["a text about nothing in the corpus"]).shape == (1, 384)


def test_unknown_encoder_name_is_a_clear_error() -> None:
    assert "minilm-int8" in ENCODERS
    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoder("gpt-9")
