"""Generators and the rewriter against FakeChatServer, a real loopback chat-completions server."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pulserec.llm import ExplanationRewriter, GeneratorError, OpenAICompatGenerator
from pulserec.llm.generate import Generator
from pulserec.llm.llama_cpp import LlamaCppGenerator
from pulserec.llm.rewriter import first_sentence
from pulserec.testing.server import free_port

REPLY = "You'll love Heat, since you enjoyed Ronin."
GROUNDED = "Because you liked Ronin."
REASONS: list[dict[str, Any]] = [{"kind": "history", "item_ids": [3]}]
HI = [{"role": "user", "content": "hi"}]
BROKEN = {"error": (500, b"model exploded"), "malformed": (200, b'{"choi'), "shape": (200, b"{}")}


class FakeChatServer:
    """Test double: an OpenAI-compatible ``POST /v1/chat/completions`` on uvicorn in a thread.

    ``mode``: ``ok`` answers ``reply``; ``slow`` holds each request until ``release`` is set;
    ``error`` (HTTP 500), ``malformed`` (broken JSON), ``shape`` (no choices) answer ``BROKEN``.
    """

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        config = uvicorn.Config(app, loop="asyncio", lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), daemon=True)
        self.release = threading.Event()
        self.reset()

    def reset(self) -> None:
        """Back to answering normally; frees any request still held by ``slow``."""
        self.release.set()
        self.mode, self.reply = "ok", REPLY
        self.requests: list[tuple[dict[str, str], Any]] = []
        self.received, self.release = threading.Event(), threading.Event()

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append((dict(request.headers), body))
        self.received.set()
        if self.mode == "slow":
            await asyncio.to_thread(self.release.wait, 30)
        if self.mode in BROKEN:
            status, raw = BROKEN[self.mode]
            return Response(raw, status, media_type="application/json")
        choice = {"message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}
        return JSONResponse({"object": "chat.completion", "choices": [choice]})

    def __enter__(self) -> FakeChatServer:
        self.thread.start()
        while not self.server.started and self.thread.is_alive():
            threading.Event().wait(0.01)
        assert self.server.started, "FakeChatServer failed to start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer() as running:
        yield running


@pytest.fixture
def chat(server: FakeChatServer) -> FakeChatServer:
    server.reset()  # also frees a request that an earlier test's timed-out client left held
    return server


@pytest.fixture
def rw(chat: FakeChatServer) -> Iterator[ExplanationRewriter]:
    rewriter = ExplanationRewriter(OpenAICompatGenerator(chat.base_url, "m"), 30, queue_size=1)
    yield rewriter
    chat.release.set()
    rewriter.close(timeout=10)  # no request of this test may reach the next one


def test_complete_sends_model_messages_and_key_only_when_set(chat: FakeChatServer) -> None:
    generator = OpenAICompatGenerator(chat.base_url + "/", "qwen2.5:0.5b", api_key="sekrit")
    assert generator.complete(HI, max_tokens=12) == REPLY
    headers, body = chat.requests[0]
    assert headers["authorization"] == "Bearer sekrit"
    assert body["model"] == "qwen2.5:0.5b" and body["messages"] == HI
    assert body["max_tokens"] == 12 and isinstance(body["temperature"], float)
    OpenAICompatGenerator(chat.base_url, "m").complete(HI)
    assert "authorization" not in chat.requests[1][0]


def test_timeout_raises_while_server_still_holds_request(chat: FakeChatServer) -> None:
    chat.mode = "slow"
    with pytest.raises(GeneratorError, match=r"timed out after 0\.2 s"):
        OpenAICompatGenerator(chat.base_url, "m", timeout_s=0.2).complete(HI)
    assert chat.received.wait(10) and not chat.release.is_set()  # it gave up, not the server


@pytest.mark.parametrize(
    ("mode", "message"),
    [("error", "HTTP 500: model exploded"), ("malformed", "malformed JSON"), ("shape", "no ch")],
)
def test_bad_answers_raise_clear_errors(chat: FakeChatServer, mode: str, message: str) -> None:
    chat.mode = mode
    with pytest.raises(GeneratorError, match=message):
        OpenAICompatGenerator(chat.base_url, "m").complete(HI)


def test_connection_refused_is_a_generator_error() -> None:
    generator = OpenAICompatGenerator(f"http://127.0.0.1:{free_port()}/v1", "m")
    with pytest.raises(GeneratorError, match="request failed"):
        generator.complete(HI)


def test_rewrite_is_async_then_cached(chat: FakeChatServer, rw: ExplanationRewriter) -> None:
    chat.mode = "slow"
    assert rw.text(GROUNDED, "Heat", REASONS) == GROUNDED
    assert chat.received.wait(10)  # the rewrite is now held inside the server
    assert rw.text(GROUNDED, "Heat", REASONS) == GROUNDED
    chat.release.set()
    assert rw.wait_idle(10)
    assert rw.text(GROUNDED, "Heat", REASONS) == REPLY
    assert rw.stats() == dict(hits=1, misses=2, failures=0, dropped=0, cached=1)
    assert len(chat.requests) == 1
    system, user = (message["content"] for message in chat.requests[0][1]["messages"])
    assert "Do not add facts" in system and GROUNDED in user and "Heat" in user


def test_rewrite_failure_keeps_grounded(chat: FakeChatServer, rw: ExplanationRewriter) -> None:
    chat.mode = "error"
    assert rw.text(GROUNDED, "Heat", REASONS) == GROUNDED
    assert rw.wait_idle(10)
    assert rw.text(GROUNDED, "Heat", REASONS) == GROUNDED
    assert (rw.failures, rw.hits, len(chat.requests)) == (1, 0, 1)  # not retried at once


def test_rewrite_overflow_is_dropped(chat: FakeChatServer, rw: ExplanationRewriter) -> None:
    chat.mode = "slow"
    rw.text("Because A.", "A", [])
    assert chat.received.wait(10)  # the worker is busy with A
    rw.text("Because B.", "B", [])  # fills the queue
    assert rw.text("Because C.", "C", []) == "Because C." and rw.dropped == 1
    chat.release.set()
    assert rw.wait_idle(10)
    assert [b["messages"][1]["content"][:7] for _, b in chat.requests] == ["Item: A", "Item: B"]


def test_summary_fallback_then_cached(chat: FakeChatServer, rw: ExplanationRewriter) -> None:
    chat.reply = '"A tense heist in Lyon."\n'
    description = "A heist film set in Lyon. It has three endings."
    assert rw.summary("Heat", description) == "A heist film set in Lyon."
    assert rw.wait_idle(10)
    assert rw.summary("Heat", description) == "A tense heist in Lyon."
    assert first_sentence("word " * 100) == "word " * 38 + "word…"  # 195 characters
    assert first_sentence("  Short one!  Then more.") == "Short one!"


def generator_from_env(env: dict[str, str]) -> Generator | None:
    """The generator the settings read from ``env`` name (as ``pulserec serve`` builds it)."""
    from pulserec.app.runtime import generator
    from pulserec.app.settings import Settings

    return generator(Settings.load(env=env))


def test_generator_from_the_settings(tmp_path: Path) -> None:
    assert generator_from_env({}) is None
    env = {"PULSEREC_LLM_URL": "http://localhost:11434/v1", "PULSEREC_LLM_MODEL": "llama3.2"}
    generator = generator_from_env({**env, "PULSEREC_LLM_KEY": "k"})
    assert isinstance(generator, OpenAICompatGenerator)
    assert (generator.model, generator.api_key) == ("llama3.2", "k")
    assert generator.url == env["PULSEREC_LLM_URL"] + "/chat/completions"
    with pytest.raises(ValueError, match="PULSEREC_LLM_MODEL"):
        generator_from_env({"PULSEREC_LLM_URL": "http://localhost:11434/v1"})
    with pytest.raises(GeneratorError, match="GGUF model file not found"):
        generator_from_env({"PULSEREC_LLM_GGUF": str(tmp_path / "absent.gguf")})


def test_llama_cpp_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(GeneratorError, match="GGUF model file not found"):
        LlamaCppGenerator(tmp_path / "absent.gguf")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # missing even where it is installed
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    with pytest.raises(GeneratorError, match=r"^llama-cpp-python is not installed: pip install"):
        LlamaCppGenerator(tmp_path / "m.gguf")
