"""Export all-MiniLM-L6-v2 to ONNX once, into the cache: fp32 and per-channel int8.

The exported graph includes mean pooling and L2 normalisation, so a session returns the final
sentence vector. Files are written to a temporary name and renamed, under a file lock, so
concurrent first uses never see a half-written model.
"""

from __future__ import annotations

import fcntl
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pulserec.core.config import cache_dir
from pulserec.encoders.model_files import MODEL_NAME, minilm_path, set_offline

logger = logging.getLogger(__name__)
OPSET = 17
VARIANTS = ("fp32", "int8")


def onnx_dir() -> Path:
    path = cache_dir() / "onnx" / MODEL_NAME
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with (directory / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def onnx_model(variant: str = "int8", directory: Path | None = None) -> Path:
    """The path of the ``fp32`` or ``int8`` model, exporting it first if it is not cached."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r} (known: {', '.join(VARIANTS)})")
    directory = directory or onnx_dir()
    target = directory / f"{variant}.onnx"
    if target.is_file():
        return target
    with _locked(directory):
        fp32 = directory / "fp32.onnx"
        if not fp32.is_file():
            _atomic(fp32, _export_fp32)
        if variant == "int8" and not target.is_file():
            _atomic(target, lambda out: _quantize(fp32, out))
    return target


def _atomic(target: Path, write: Any) -> None:
    partial = target.with_suffix(f".partial-{os.getpid()}")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _export_fp32(out: Path) -> None:
    set_offline()
    import torch
    from transformers import AutoModel, AutoTokenizer

    logger.info("exporting %s to ONNX (once) at %s", MODEL_NAME, out)
    path = minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = _pooled(AutoModel.from_pretrained(path, local_files_only=True).eval())
    sample = tokenizer(
        ["a short text", "a somewhat longer text about films"], padding=True, return_tensors="pt"
    )
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on control flow it freezes
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"]),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(source: Path, out: Path) -> None:
    """Dynamic int8 with per-channel weights, MatMul only (keeps ~0.99 cosine to fp32)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(out),
        per_channel=True,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
    )


def _pooled_model_class() -> Any:
    import torch

    class PooledModel(torch.nn.Module):
        """BERT encoder + attention-masked mean pooling + L2 normalisation."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state  # (B, T, C)
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, C)
            return torch.nn.functional.normalize(pooled, dim=-1)

    return PooledModel


def _pooled(encoder: Any) -> Any:
    """The transformer wrapped so that its ONNX graph ends in the sentence vector."""
    return _pooled_model_class()(encoder)
