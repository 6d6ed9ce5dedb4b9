"""The blocking client: every route, retries, buffered events, paging helpers."""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar, Unpack, cast

import httpx

from pulserec.client import calls
from pulserec.client.calls import Call, ListOptions, RecommendOptions
from pulserec.client.transport import answer, headers, request_args, retryable, wait_s
from pulserec.client.types import (
    Accepted,
    BatchAnswer,
    ChatAnswer,
    Item,
    RankedList,
    Recommended,
    SimilarUsers,
    User,
)

T = TypeVar("T")
MAX_BATCH = 10_000  # events in one POST (the API accepts at least this many)


class Client:
    """``Client("http://localhost:8000", api_key=...)``: the API in Python.

    Reads and idempotent writes are retried on 502/503/504 and on connection errors with
    exponential backoff (``retries`` times); a training or an experiment's creation only when
    the request never left. Events get an ``event_id`` when they have none, so a retried batch
    counts once. :meth:`track` buffers events (at most ``max_buffer``) and sends them
    ``batch_size`` at a time; :meth:`flush` sends what waits, and closing (or the interpreter
    exiting) flushes.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        read_key: str | None = None,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 0.2,
        batch_size: int = 500,
        max_buffer: int = 10_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retries, self.backoff_s = retries, backoff_s
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.max_buffer = max(self.batch_size, max_buffer)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers(api_key, read_key),
            timeout=timeout_s,
            transport=transport,
        )
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closed = False
        atexit.register(_flush_at_exit, weakref.ref(self))

    # -- plumbing ----------------------------------------------------------------------------
    def send(self, call: Call[T]) -> T:
        """Send one call, retrying as the class says; :class:`PulserecError` on an error."""
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, **request_args(call))
            except httpx.TransportError as error:
                if attempt >= self.retries or not retryable(call, error, None):
                    raise
            else:
                if attempt >= self.retries or not retryable(call, None, response.status_code):
                    return cast(T, answer(call, response))
            time.sleep(wait_s(attempt, self.backoff_s))
            attempt += 1

    def close(self) -> None:
        """Flush buffered events, then release the connections."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events ------------------------------------------------------------------------------
    def send_events(self, events: Sequence[Mapping[str, Any]]) -> Accepted:
        """Send events now (each given an ``event_id`` if it has none), in batches."""
        accepted = duplicates = 0
        with_ids = calls.with_event_ids(events)
        for start in range(0, len(with_ids), self.batch_size):
            done = self.send(calls.send_events(with_ids[start : start + self.batch_size]))
            accepted, duplicates = accepted + done["accepted"], duplicates + done["duplicates"]
        return {"accepted": accepted, "duplicates": duplicates}

    def track(
        self,
        user_id: str,
        item_id: str | None,
        type: str,
        value: float | None = None,
        **fields: Any,
    ) -> None:
        """Buffer one event (``event_id`` assigned now); sent once ``batch_size`` wait."""
        event = {"user_id": user_id, "item_id": item_id, "type": type, **fields}
        if value is not None:
            event["value"] = value
        with self._lock:
            self._buffer += calls.with_event_ids([event])
            full = len(self._buffer) >= self.batch_size
        if full:
            self.flush()

    def flush(self) -> Accepted:
        """Send every buffered event; what could not be sent stays buffered (at most
        ``max_buffer``, oldest dropped first) and the error is raised."""
        accepted = duplicates = 0
        while True:
            with self._lock:
                batch = self._buffer[: self.batch_size]
            if not batch:
                return {"accepted": accepted, "duplicates": duplicates}
            try:
                done = self.send(calls.send_events(batch))
            except Exception:
                with self._lock:
                    del self._buffer[: max(0, len(self._buffer) - self.max_buffer)]
                raise
            with self._lock:
                del self._buffer[: len(batch)]
            accepted, duplicates = accepted + done["accepted"], duplicates + done["duplicates"]

    @property
    def buffered(self) -> int:
        """Events waiting in the buffer."""
        return len(self._buffer)

    # -- catalog and people ------------------------------------------------------------------
    def upsert_items(self, items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        return self.send(calls.upsert_items(items))

    def get_item(self, item_id: str) -> Item:
        return cast(Item, self.send(calls.get_item(item_id)))

    def list_items(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        return self.send(calls.list_items(offset, limit))

    def iter_items(self, page_size: int = 500) -> Iterator[Item]:
        """Every item, a page at a time."""
        offset = 0
        while page := self.list_items(offset, page_size)["items"]:
            yield from page
            offset += len(page)

    def delete_item(self, item_id: str) -> dict[str, str]:
        return self.send(calls.delete_item(item_id))

    def upsert_users(self, users: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        return self.send(calls.upsert_users(users))

    def get_user(self, user_id: str) -> User:
        return cast(User, self.send(calls.get_user(user_id)))

    def list_users(self, offset: int = 0, limit: int = 100, q: str | None = None) -> dict[str, Any]:
        return self.send(calls.list_users(offset, limit, q))

    def iter_users(self, page_size: int = 500, q: str | None = None) -> Iterator[dict[str, Any]]:
        """Every user (or those whose id contains ``q``), a page at a time."""
        offset = 0
        while page := self.list_users(offset, page_size, q)["users"]:
            yield from page
            offset += len(page)

    def user_events(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return list(self.send(calls.user_events(user_id, limit))["events"])

    def export_user(self, user_id: str) -> dict[str, Any]:
        return self.send(calls.export_user(user_id))

    def similar_users(self, user_id: str, k: int = 10) -> SimilarUsers:
        return cast(SimilarUsers, self.send(calls.similar_users(user_id, k)))

    def delete_user(self, user_id: str) -> dict[str, str]:
        return self.send(calls.delete_user(user_id))

    # -- recommendations ---------------------------------------------------------------------
    def recommend(self, user_id: str, **options: Unpack[RecommendOptions]) -> RankedList:
        return cast(RankedList, self.send(calls.recommend(user_id, options)))

    def iter_recommendations(
        self, user_id: str, total: int, page_size: int = 50, **options: Unpack[RecommendOptions]
    ) -> Iterator[Recommended]:
        """Up to ``total`` items of a user's list, ``page_size`` at a time (pages of one list
        never overlap)."""
        for offset in range(0, total, page_size):
            size = min(page_size, total - offset)
            page = self.send(calls.recommend(user_id, {**options, "k": size, "offset": offset}))
            yield from page["items"]
            if len(page["items"]) < size:
                return

    def recommend_batch(
        self, users: Sequence[str], **options: Unpack[RecommendOptions]
    ) -> BatchAnswer:
        return cast(BatchAnswer, self.send(calls.recommend_batch(users, options)))

    def session(self, items: Sequence[str], **options: Unpack[RecommendOptions]) -> RankedList:
        return cast(RankedList, self.send(calls.session(items, options)))

    def similar(self, item_id: str, **options: Unpack[ListOptions]) -> RankedList:
        return cast(RankedList, self.send(calls.similar(item_id, options)))

    def search(
        self, q: str, user_id: str | None = None, **options: Unpack[RecommendOptions]
    ) -> RankedList:
        return cast(RankedList, self.send(calls.search(q, user_id, options)))

    def popular(self, window: str | None = None, **options: Unpack[RecommendOptions]) -> RankedList:
        return cast(RankedList, self.send(calls.popular(window, options)))

    def chat(
        self, message: str, user_id: str | None = None, **options: Unpack[ListOptions]
    ) -> ChatAnswer:
        return cast(ChatAnswer, self.send(calls.chat(message, user_id, options)))

    # -- experiments and operations ----------------------------------------------------------
    def create_experiment(self, definition: Mapping[str, Any]) -> dict[str, Any]:
        return self.send(calls.create_experiment(definition))

    def list_experiments(self) -> list[dict[str, Any]]:
        return list(self.send(calls.list_experiments())["experiments"])

    def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        return self.send(calls.get_experiment(experiment_id))

    def stop_experiment(self, experiment_id: str) -> dict[str, Any]:
        return self.send(calls.stop_experiment(experiment_id))

    def experiment_report(self, experiment_id: str) -> dict[str, Any]:
        return self.send(calls.experiment_report(experiment_id))

    def train(self, wait: bool = True) -> dict[str, Any]:
        return self.send(calls.train(wait))

    def train_job(self, job_id: str) -> dict[str, Any]:
        return self.send(calls.train_job(job_id))

    def stats(self) -> dict[str, Any]:
        return self.send(calls.stats())

    def health(self) -> dict[str, Any]:
        return self.send(calls.health())

    def metrics(self) -> str:
        return self.send(calls.metrics())


def _flush_at_exit(ref: weakref.ref[Client]) -> None:
    client = ref()
    if client is not None and not client._closed:
        with contextlib.suppress(Exception):  # the interpreter is exiting; nothing to tell
            client.close()
