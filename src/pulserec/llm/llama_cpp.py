"""In-process generation from a local GGUF model through llama-cpp-python (optional).

``llama_cpp`` is imported only when a generator is built, so pulserec never needs it installed.
Generation runs on the calling thread and cannot be interrupted: callers bound it with
``max_tokens`` and keep it off the request path (see :mod:`pulserec.llm.rewriter`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pulserec.llm.generate import GeneratorError, Messages

INSTALL_HINT = "llama-cpp-python is not installed: pip install llama-cpp-python"


class LlamaCppGenerator:
    """:class:`~pulserec.llm.generate.Generator` over ``llama_cpp.Llama.create_chat_completion``."""

    def __init__(self, gguf_path: str | Path, n_ctx: int = 2048, n_threads: int = 1) -> None:
        path = Path(gguf_path)
        if not path.is_file():
            raise GeneratorError(f"GGUF model file not found: {path}")
        try:
            import llama_cpp
        except ImportError as error:
            raise GeneratorError(INSTALL_HINT) from error
        try:
            self._llama: Any = llama_cpp.Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False
            )
        except Exception as error:  # the library raises ValueError/RuntimeError on bad files
            raise GeneratorError(f"llama.cpp could not load {path}: {error}") from error
        self._lock = threading.Lock()  # one Llama context is not safe to share across threads
        self.name = f"llama.cpp:{path.name}"

    def complete(self, messages: Messages, max_tokens: int = 96, timeout_s: float = 2.0) -> str:
        """The reply to ``messages`` (``timeout_s`` is advisory: llama.cpp cannot be stopped)."""
        try:
            with self._lock:
                result = self._llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=0.2
                )
            content = result["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise GeneratorError("llama.cpp returned no choices[0].message.content") from error
        except Exception as error:
            raise GeneratorError(f"llama.cpp generation failed: {error}") from error
        if not isinstance(content, str):
            raise GeneratorError("llama.cpp returned non-text content")
        return content
