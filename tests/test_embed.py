"""``pulserec embed``: a stored catalog encoded once into the data dir's cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache
from pulserec.encoders.model_files import MODEL_NAME

pytestmark = pytest.mark.slow


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulserec", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_embed_encodes_each_item_once(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert (
        _run(
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
        _run("import", str(tmp_path / "s" / "items.jsonl"), "--data-dir", str(data)).returncode == 0
    )
    first = _run(
        "embed", "--data-dir", str(data), "--encoder", "minilm-int8", "--domain", "ecommerce"
    )
    assert first.returncode == 0, first.stderr
    assert "150 item vectors ready" in first.stderr
    cache = EmbeddingCache(data / CACHE_FILENAME)
    assert cache.count(f"{MODEL_NAME}/onnx-int8-256") == 150
    cache.close()
    again = _run(
        "embed", "--data-dir", str(data), "--encoder", "minilm-int8", "--domain", "ecommerce"
    )
    assert again.returncode == 0 and "encoding with" not in again.stderr, "nothing re-encoded"
    bad = _run("embed", "--data-dir", str(data), "--encoder", "nope")
    assert bad.returncode != 0 and "unknown encoder" in bad.stderr
