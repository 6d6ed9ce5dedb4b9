"""Friendly rewrites of grounded text that never slow or break a response.

The request path only reads a cache: a hit returns the rewrite, a miss returns the grounded text
at once and queues a rewrite for a background worker (bounded queue; overflow is dropped). A
failure keeps the grounded text and is not retried for ``retry_after_s``.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from pulserec.llm.generate import Generator, Messages

logger = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 300
SUMMARY_FALLBACK_CHARS = 200
_EXPLAIN_SYSTEM = (
    "You rewrite recommendation explanations. Rewrite the given reasons into one short, "
    "friendly sentence addressed to the user. Do not add facts: use only the reasons and "
    "the plain explanation given. Reply with the sentence only."
)
_SUMMARY_SYSTEM = (
    "You summarise catalog items. Write one short, friendly sentence about the item using "
    "only the description given. Do not add facts. Reply with the sentence only."
)

Key = tuple[str, str, str]
_Job = tuple[Key, Messages]
V = TypeVar("V")
_COUNTERS = ("hits", "misses", "failures", "dropped")


class ExplanationRewriter:
    """Cache-first rewrites of explanations and item summaries by a :class:`Generator`."""

    def __init__(
        self,
        generator: Generator,
        cache_size: int = 10_000,
        timeout_s: float = 2.0,
        workers: int = 1,
        queue_size: int = 256,
        max_tokens: int = 96,
        retry_after_s: float = 60.0,
    ) -> None:
        self.generator = generator
        self.cache_size = cache_size
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.retry_after_s = retry_after_s
        self.hits = self.misses = self.failures = self.dropped = 0
        self._cache: OrderedDict[Key, str] = OrderedDict()
        self._failed: OrderedDict[Key, float] = OrderedDict()  # key -> monotonic time of failure
        self._queued: set[Key] = set()  # queued or running
        self._closed = False
        self._idle = threading.Condition()
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def text(self, grounded: str, item_title: str, reasons: list[dict[str, Any]]) -> str:
        """The cached friendly rewrite of ``grounded``, else ``grounded`` (rewrite queued)."""
        key = ("explain", item_title, grounded)
        return self._lookup(key, grounded, lambda: _explain_messages(grounded, item_title, reasons))

    def summary(self, item_title: str, description: str) -> str:
        """The cached one-sentence summary, else the description's first sentence (queued)."""
        key = ("summary", item_title, description)
        if not (fallback := first_sentence(description)):
            return ""
        return self._lookup(key, fallback, lambda: _summary_messages(item_title, description))

    def stats(self) -> dict[str, int]:
        """Counters: cache hits and misses, failed and dropped rewrites, cached entries."""
        with self._idle:
            return {name: getattr(self, name) for name in _COUNTERS} | {"cached": len(self._cache)}

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no rewrite is queued or running; False if ``timeout`` ran out first."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._queued, timeout)

    def close(self, timeout: float = 0.0) -> None:
        """Abandon queued jobs, stop the workers; wait up to ``timeout`` s for the job in hand."""
        with self._idle:
            if self._closed:
                return
            self._closed = True
            while not self._jobs.empty():
                if (job := self._jobs.get_nowait()) is not None:
                    self._queued.discard(job[0])
            self._idle.notify_all()
        for _ in self._threads:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    def __enter__(self) -> ExplanationRewriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lookup(self, key: Key, fallback: str, messages: Callable[[], Messages]) -> str:
        with self._idle:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
            failed_lately = time.monotonic() - self._failed.get(key, -math.inf) < self.retry_after_s
            if self._closed or key in self._queued or failed_lately:
                return fallback
            try:
                self._jobs.put_nowait((key, messages()))
            except queue.Full:
                self.dropped += 1
                return fallback
            self._queued.add(key)
        return fallback

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            key, messages = job
            text = self._generate(messages)
            with self._idle:
                if text is None:
                    self.failures += 1
                    _put_bounded(self._failed, key, time.monotonic(), self.cache_size)
                else:
                    self._failed.pop(key, None)
                    _put_bounded(self._cache, key, text, self.cache_size)
                self._queued.discard(key)
                self._idle.notify_all()

    def _generate(self, messages: Messages) -> str | None:
        """The cleaned reply, or None on any failure (a generator must never kill the worker)."""
        try:
            reply = self.generator.complete(messages, self.max_tokens, self.timeout_s)
        except Exception as error:
            logger.warning("%s rewrite failed: %s", self.generator.name, error)
            return None
        if not (cleaned := _clean(reply)):
            logger.warning("%s returned an empty rewrite", self.generator.name)
        return cleaned or None


def _put_bounded(store: OrderedDict[Key, V], key: Key, value: V, size: int) -> None:
    store[key] = value
    store.move_to_end(key)
    if len(store) > size:
        store.popitem(last=False)


def first_sentence(text: str, limit: int = SUMMARY_FALLBACK_CHARS) -> str:
    """The first sentence of ``text``, trimmed at a word to at most ``limit`` characters."""
    sentence = re.split(r"(?<=[.!?])\s+", " ".join(text.split()), maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0] or sentence[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def _clean(reply: str) -> str:
    """First non-empty line of a reply, unquoted and capped."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    text = lines[0].strip("\"'“”") if lines else ""
    return first_sentence(text, MAX_OUTPUT_CHARS) if len(text) > MAX_OUTPUT_CHARS else text


def _describe(reason: dict[str, Any]) -> str:
    """One reason as a prompt line (internal item ids are left out: the titles are in the text)."""
    fields = {k: v for k, v in reason.items() if k not in ("kind", "item_ids")}
    return f"- {reason.get('kind', 'other')}" + (f": {json.dumps(fields)}" if fields else "")


def _explain_messages(grounded: str, item_title: str, reasons: list[dict[str, Any]]) -> Messages:
    listed = "\n".join(_describe(r) for r in reasons) or "- none"
    user = f"Item: {item_title}\nReasons:\n{listed}\nPlain explanation: {grounded}"
    return [{"role": "system", "content": _EXPLAIN_SYSTEM}, {"role": "user", "content": user}]


def _summary_messages(item_title: str, description: str) -> Messages:
    user = f"Item: {item_title}\nDescription: {description[:2000]}"
    return [{"role": "system", "content": _SUMMARY_SYSTEM}, {"role": "user", "content": user}]
