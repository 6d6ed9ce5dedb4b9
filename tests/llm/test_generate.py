"""Generators and the rewriter against FakeChatServer, a real loopback chat-completions server."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pulserec.llm import ExplanationRewriter, GeneratorError, OpenAICompatGenerator
from pulserec.llm.llama_cpp import INSTALL_HINT, LlamaCppGenerator
from pulserec.llm.openai_compat import generator_from_env
from pulserec.llm.rewriter import first_sentence
from pulserec.testing import free_port

REPLY = "You'll love Heat, since you enjoyed Ronin."
GROUNDED = "Because you liked Ronin."
REASONS: list[dict[str, Any]] = [{"kind": "history", "item_ids": [3]}]


class FakeChatServer:
    """Test double: an OpenAI-compatible ``POST /v1/chat/completions`` on uvicorn in a thread.

    ``mode``: ``ok`` answers ``reply``; ``slow`` holds each request until ``release`` is set;
    ``error`` answers HTTP 500; ``malformed`` sends broken JSON; ``shape`` JSON with no choices.
    """

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        config = uvicorn.Config(app, loop="asyncio", lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), daemon=True)
        self.reset()

    def reset(self) -> None:
        """Back to answering normally; frees any request still held by ``slow``."""
        if hasattr(self, "release"):
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
        if self.mode == "error":
            return PlainTextResponse("model exploded", status_code=500)
        if self.mode == "malformed":
            return Response(b'{"choices": [', media_type="application/json")
        if self.mode == "shape":
            return JSONResponse({"object": "chat.completion"})
        message = {"role": "assistant", "content": self.reply}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return JSONResponse(
            {"object": "chat.completion", "model": body["model"], "choices": [choice]}
        )

    def __enter__(self) -> FakeChatServer:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("FakeChatServer failed to start")
            threading.Event().wait(0.01)
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
def chat(server: FakeChatServer) -> Iterator[FakeChatServer]:
    server.reset()
    yield server
    server.reset()


def make_rewriter(chat: FakeChatServer, **kwargs: Any) -> ExplanationRewriter:
    return ExplanationRewriter(OpenAICompatGenerator(chat.base_url, "tiny"), timeout_s=30, **kwargs)


def test_complete_sends_model_messages_and_key(chat: FakeChatServer) -> None:
    messages = [{"role": "user", "content": "hello"}]
    generator = OpenAICompatGenerator(chat.base_url + "/", "qwen2.5:0.5b", api_key="sekrit")
    assert generator.complete(messages, max_tokens=12) == REPLY
    headers, body = chat.requests[0]
    assert headers["authorization"] == "Bearer sekrit"
    assert body["model"] == "qwen2.5:0.5b" and body["messages"] == messages
    assert body["max_tokens"] == 12 and isinstance(body["temperature"], float)


def test_no_authorization_header_without_key(chat: FakeChatServer) -> None:
    OpenAICompatGenerator(chat.base_url, "m").complete([{"role": "user", "content": "hi"}])
    assert "authorization" not in chat.requests[0][0]


def test_timeout_raises_while_server_still_holds_request(chat: FakeChatServer) -> None:
    chat.mode = "slow"
    generator = OpenAICompatGenerator(chat.base_url, "m", timeout_s=0.2)
    with pytest.raises(GeneratorError, match=r"timed out after 0\.2 s"):
        generator.complete([{"role": "user", "content": "hi"}])
    assert chat.received.is_set() and not chat.release.is_set()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("error", "HTTP 500: model exploded"),
        ("malformed", "malformed JSON"),
        ("shape", "no choices"),
    ],
)
def test_bad_answers_raise_clear_errors(chat: FakeChatServer, mode: str, message: str) -> None:
    chat.mode = mode
    with pytest.raises(GeneratorError, match=message):
        OpenAICompatGenerator(chat.base_url, "m").complete([{"role": "user", "content": "hi"}])


def test_connection_refused_is_a_generator_error() -> None:
    generator = OpenAICompatGenerator(f"http://127.0.0.1:{free_port()}/v1", "m")
    with pytest.raises(GeneratorError, match="request failed"):
        generator.complete([{"role": "user", "content": "hi"}])


def test_rewriter_answers_grounded_at_once_then_cached_rewrite(chat: FakeChatServer) -> None:
    chat.mode = "slow"
    with make_rewriter(chat) as rewriter:
        assert rewriter.text(GROUNDED, "Heat", REASONS) == GROUNDED
        assert chat.received.wait(10)  # the rewrite is now held inside the server
        assert rewriter.text(GROUNDED, "Heat", REASONS) == GROUNDED
        chat.release.set()
        assert rewriter.wait_idle(10)
        assert rewriter.text(GROUNDED, "Heat", REASONS) == REPLY
        assert rewriter.stats() == {
            "hits": 1,
            "misses": 2,
            "failures": 0,
            "dropped": 0,
            "cached": 1,
        }
    assert len(chat.requests) == 1
    prompt = chat.requests[0][1]["messages"]
    assert "Do not add facts" in prompt[0]["content"]
    assert GROUNDED in prompt[1]["content"] and "Heat" in prompt[1]["content"]


def test_rewriter_keeps_grounded_text_when_server_fails(chat: FakeChatServer) -> None:
    chat.mode = "error"
    with make_rewriter(chat) as rewriter:
        assert rewriter.text(GROUNDED, "Heat", REASONS) == GROUNDED
        assert rewriter.wait_idle(10)
        assert rewriter.text(GROUNDED, "Heat", REASONS) == GROUNDED
        assert rewriter.failures == 1 and rewriter.hits == 0


def test_rewriter_drops_requests_beyond_its_queue(chat: FakeChatServer) -> None:
    chat.mode = "slow"
    with make_rewriter(chat, queue_size=1) as rewriter:
        rewriter.text("Because A.", "A", [])
        assert chat.received.wait(10)  # the worker is busy with A
        rewriter.text("Because B.", "B", [])  # fills the queue
        assert rewriter.text("Because C.", "C", []) == "Because C."
        assert rewriter.dropped == 1
        chat.release.set()
        assert rewriter.wait_idle(10)
    assert [r[1]["messages"][1]["content"].split("\n")[0] for r in chat.requests] == [
        "Item: A",
        "Item: B",
    ]


def test_summary_falls_back_to_first_sentence_then_caches(chat: FakeChatServer) -> None:
    chat.reply = '"A tense heist in Lyon."\n'
    with make_rewriter(chat) as rewriter:
        description = "A heist film set in Lyon. It has three endings."
        assert rewriter.summary("Heat", description) == "A heist film set in Lyon."
        assert rewriter.wait_idle(10)
        assert rewriter.summary("Heat", description) == "A tense heist in Lyon."


def test_first_sentence_is_trimmed_at_a_word() -> None:
    text = first_sentence("word " * 100)
    assert len(text) <= 200 and text.endswith("word…")
    assert first_sentence("  Short one!  Then more.") == "Short one!"


def test_generator_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert generator_from_env({}) is None
    env = {"PULSEREC_LLM_URL": "http://localhost:11434/v1", "PULSEREC_LLM_MODEL": "llama3.2"}
    generator = generator_from_env({**env, "PULSEREC_LLM_KEY": "k"})
    assert isinstance(generator, OpenAICompatGenerator)
    assert (generator.url, generator.model, generator.api_key) == (
        "http://localhost:11434/v1/chat/completions",
        "llama3.2",
        "k",
    )
    with pytest.raises(ValueError, match="PULSEREC_LLM_MODEL"):
        generator_from_env({"PULSEREC_LLM_URL": "http://localhost:11434/v1"})
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    with pytest.raises(GeneratorError, match="pip install llama-cpp-python"):
        generator_from_env({"PULSEREC_LLM_GGUF": str(tmp_path / "m.gguf")})


def test_llama_cpp_missing_file_and_missing_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(GeneratorError, match="GGUF model file not found"):
        LlamaCppGenerator(tmp_path / "absent.gguf")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    with pytest.raises(GeneratorError) as caught:
        LlamaCppGenerator(tmp_path / "m.gguf")
    assert str(caught.value) == INSTALL_HINT


def test_llama_cpp_reads_the_chat_completion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Llama:  # stands in for llama_cpp.Llama: only the call shape matters here
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

        def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
            return {"choices": [{"message": {"content": f"{len(kwargs['messages'])} msg"}}]}

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    generator = LlamaCppGenerator(tmp_path / "m.gguf", n_threads=2)
    assert generator.complete([{"role": "user", "content": "hi"}]) == "1 msg"
    assert generator.name == "llama.cpp:m.gguf"
