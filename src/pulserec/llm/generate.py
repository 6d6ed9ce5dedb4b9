"""The text-generation seam: anything that turns chat messages into one short reply.

Generated text is optional garnish in pulserec. Callers run generators off the request path
and fall back to grounded text, so a generator only has to fail loudly and promptly: it raises
:class:`GeneratorError` (never hangs past its timeout where the backend allows) on any
timeout, transport or protocol problem.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

Messages = list[dict[str, str]]


class GeneratorError(RuntimeError):
    """A generator could not produce text: timeout, transport, protocol or setup error."""


@runtime_checkable
class Generator(Protocol):
    """Chat messages in (``[{"role": ..., "content": ...}]``), one reply string out."""

    name: str

    def complete(self, messages: Messages, max_tokens: int = 96, timeout_s: float = 2.0) -> str:
        """The model's reply to ``messages``; raises :class:`GeneratorError` on failure."""
        ...
