"""A client for OpenAI-compatible chat-completions servers, on the standard library.

Speaks the wire protocol that OpenAI, Ollama (``http://localhost:11434/v1``), vLLM and the
llama.cpp server share: ``POST {base_url}/chat/completions`` with a JSON body, the reply in
``choices[0].message.content``. One connection per call keeps it thread-safe and simple.
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

from pulserec.llm.generate import Generator, GeneratorError, Messages

DEFAULT_TIMEOUT_S = 2.0
_ERROR_BODY_CHARS = 200


class OpenAICompatGenerator:
    """:class:`Generator` over an OpenAI-compatible HTTP endpoint (``base_url`` ends in ``/v1``)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        temperature: float = 0.2,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"LLM base URL must be http(s)://host[:port][/path], got {base_url!r}")
        if not model:
            raise ValueError("an OpenAI-compatible generator needs a model name")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key or None
        self.timeout_s = timeout_s
        self.temperature = temperature
        self.name = f"openai:{model}"
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = f"{parts.path}/chat/completions"

    def complete(
        self, messages: Messages, max_tokens: int = 96, timeout_s: float | None = None
    ) -> str:
        """POST the chat request and return the reply text (``timeout_s`` bounds the call)."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.temperature,
        }
        status, raw = self._post(json.dumps(body).encode(), timeout)
        if status != 200:
            text = raw[:_ERROR_BODY_CHARS].decode(errors="replace")
            raise GeneratorError(f"{self.url} answered HTTP {status}: {text}")
        return _content(raw, self.url)

    @property
    def url(self) -> str:
        """The full chat-completions URL."""
        return f"{self.base_url}/chat/completions"

    def _post(self, payload: bytes, timeout: float) -> tuple[int, bytes]:
        """Send one request; every socket wait is bounded by what is left of ``timeout``."""
        deadline = time.monotonic() + timeout
        connection_type = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = connection_type(self._host, self._port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            conn.request("POST", self._path, body=payload, headers=headers)
            response = conn.getresponse()
            if conn.sock is not None:
                conn.sock.settimeout(max(deadline - time.monotonic(), 1e-3))
            raw = response.read()
        except TimeoutError as error:
            raise GeneratorError(f"{self.url} timed out after {timeout:g} s") from error
        except (OSError, http.client.HTTPException) as error:
            raise GeneratorError(f"{self.url} request failed: {error!r}") from error
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise GeneratorError(f"{self.url} timed out after {timeout:g} s")
        return response.status, raw


def _content(raw: bytes, url: str) -> str:
    """``choices[0].message.content`` from a chat-completions body, or a clear error."""
    try:
        data: Any = json.loads(raw)
    except ValueError as error:
        snippet = raw[:_ERROR_BODY_CHARS].decode(errors="replace")
        raise GeneratorError(f"{url} returned malformed JSON: {snippet!r}") from error
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise GeneratorError(f"{url} returned no choices[0].message.content") from error
    if not isinstance(content, str):
        raise GeneratorError(f"{url} returned non-text content: {type(content).__name__}")
    return content


def make_generator(
    url: str | None = None,
    model: str | None = None,
    key: str | None = None,
    gguf: str | None = None,
) -> Generator | None:
    """An OpenAI-compatible server's generator (``url`` + ``model``, optional ``key``), else
    in-process llama.cpp over ``gguf``, else None."""
    url, gguf = (url or "").strip(), (gguf or "").strip()
    if url:
        model = (model or "").strip()
        if not model:
            raise ValueError("PULSEREC_LLM_URL is set but PULSEREC_LLM_MODEL is not")
        return OpenAICompatGenerator(url, model, api_key=(key or "").strip() or None)
    if gguf:
        from pulserec.llm.llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(gguf)
    return None
