"""``pulserec embed``: a stored catalog encoded once into the data dir's cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache
from pulserec.encoders.model_files import MODEL_NAME
from pulserec.testing.server import run_cli

pytestmark = pytest.mark.slow


def test_embed_encodes_each_item_once(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert (
        run_cli(
            "synth",
            "--domain",
            "ecommerce",
            "--items",
            "150",
            "--users",
            "10",
            "--events",
            "50",
            "--out",
            str(tmp_path / "s"),
        ).returncode
        == 0
    )
    assert (
        run_cli("import", str(tmp_path / "s" / "items.jsonl"), "--data-dir", str(data)).returncode
        == 0
    )
    first = run_cli(
        "embed", "--data-dir", str(data), "--encoder", "minilm-int8", "--domain", "ecommerce"
    )
    assert first.returncode == 0, first.stderr
    assert "150 item vectors ready" in first.stderr
    cache = EmbeddingCache(data / CACHE_FILENAME)
    assert cache.count(f"{MODEL_NAME}/onnx-int8-256") == 150
    cache.close()
    again = run_cli(
        "embed", "--data-dir", str(data), "--encoder", "minilm-int8", "--domain", "ecommerce"
    )
    assert again.returncode == 0 and "encoding with" not in again.stderr, "nothing re-encoded"
    bad = run_cli("embed", "--data-dir", str(data), "--encoder", "nope")
    assert bad.returncode != 0 and "unknown encoder" in bad.stderr
