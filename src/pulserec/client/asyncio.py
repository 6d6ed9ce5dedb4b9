"""The asyncio client: the same routes, retries and buffered events as :mod:`.sync`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
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


class AsyncClient:
    """``async with AsyncClient("http://localhost:8000", api_key=...) as client``: the API
    with ``await``; otherwise as :class:`~pulserec.client.sync.Client`.

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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retries, self.backoff_s = retries, backoff_s
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.max_buffer = max(self.batch_size, max_buffer)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers(api_key, read_key),
            timeout=timeout_s,
            transport=transport,
        )
        self._buffer: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._closed = False

    # -- plumbing ----------------------------------------------------------------------------
    async def send(self, call: Call[T]) -> T:
        """Send one call, retrying as the class says; :class:`PulserecError` on an error."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(call.method, call.path, **request_args(call))
            except httpx.TransportError as error:
                if attempt >= self.retries or not retryable(call, error, None):
                    raise
            else:
                if attempt >= self.retries or not retryable(call, None, response.status_code):
                    return cast(T, answer(call, response))
            await asyncio.sleep(wait_s(attempt, self.backoff_s))
            attempt += 1

    async def close(self) -> None:
        """Flush buffered events, then release the connections."""
        if self._closed:
            return
        try:
            await self.flush()
        finally:
            self._closed = True
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- events ------------------------------------------------------------------------------
    async def send_events(self, events: Sequence[Mapping[str, Any]]) -> Accepted:
        """Send events now (each given an ``event_id`` if it has none), in batches."""
        accepted = duplicates = 0
        with_ids = calls.with_event_ids(events)
        for start in range(0, len(with_ids), self.batch_size):
            done = await self.send(calls.send_events(with_ids[start : start + self.batch_size]))
            accepted, duplicates = accepted + done["accepted"], duplicates + done["duplicates"]
        return {"accepted": accepted, "duplicates": duplicates}

    async def track(
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
        self._buffer += calls.with_event_ids([event])
        if len(self._buffer) >= self.batch_size:
            await self.flush()

    async def flush(self) -> Accepted:
        """Send every buffered event; what could not be sent stays buffered (at most
        ``max_buffer``, oldest dropped first) and the error is raised."""
        accepted = duplicates = 0
        async with self._lock:  # one flush at a time sends each event once
            while batch := self._buffer[: self.batch_size]:
                try:
                    done = await self.send(calls.send_events(batch))
                except Exception:
                    del self._buffer[: max(0, len(self._buffer) - self.max_buffer)]
                    raise
                del self._buffer[: len(batch)]
                accepted += done["accepted"]
                duplicates += done["duplicates"]
        return {"accepted": accepted, "duplicates": duplicates}

    @property
    def buffered(self) -> int:
        """Events waiting in the buffer."""
        return len(self._buffer)

    # -- catalog and people ------------------------------------------------------------------
    async def upsert_items(self, items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        return await self.send(calls.upsert_items(items))

    async def get_item(self, item_id: str) -> Item:
        return cast(Item, await self.send(calls.get_item(item_id)))

    async def list_items(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        return await self.send(calls.list_items(offset, limit))

    async def iter_items(self, page_size: int = 500) -> AsyncIterator[Item]:
        """Every item, a page at a time."""
        offset = 0
        while page := (await self.list_items(offset, page_size))["items"]:
            for item in page:
                yield item
            offset += len(page)

    async def delete_item(self, item_id: str) -> dict[str, str]:
        return await self.send(calls.delete_item(item_id))

    async def upsert_users(self, users: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        return await self.send(calls.upsert_users(users))

    async def get_user(self, user_id: str) -> User:
        return cast(User, await self.send(calls.get_user(user_id)))

    async def list_users(
        self, offset: int = 0, limit: int = 100, q: str | None = None
    ) -> dict[str, Any]:
        return await self.send(calls.list_users(offset, limit, q))

    async def iter_users(
        self, page_size: int = 500, q: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every user (or those whose id contains ``q``), a page at a time."""
        offset = 0
        while page := (await self.list_users(offset, page_size, q))["users"]:
            for user in page:
                yield user
            offset += len(page)

    async def user_events(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return list((await self.send(calls.user_events(user_id, limit)))["events"])

    async def export_user(self, user_id: str) -> dict[str, Any]:
        return await self.send(calls.export_user(user_id))

    async def similar_users(self, user_id: str, k: int = 10) -> SimilarUsers:
        return cast(SimilarUsers, await self.send(calls.similar_users(user_id, k)))

    async def delete_user(self, user_id: str) -> dict[str, str]:
        return await self.send(calls.delete_user(user_id))

    # -- recommendations ---------------------------------------------------------------------
    async def recommend(self, user_id: str, **options: Unpack[RecommendOptions]) -> RankedList:
        return cast(RankedList, await self.send(calls.recommend(user_id, options)))

    async def iter_recommendations(
        self, user_id: str, total: int, page_size: int = 50, **options: Unpack[RecommendOptions]
    ) -> AsyncIterator[Recommended]:
        """Up to ``total`` items of a user's list, ``page_size`` at a time (pages of one list
        never overlap)."""
        for offset in range(0, total, page_size):
            size = min(page_size, total - offset)
            page = await self.send(
                calls.recommend(user_id, {**options, "k": size, "offset": offset})
            )
            for item in page["items"]:
                yield item
            if len(page["items"]) < size:
                return

    async def recommend_batch(
        self, users: Sequence[str], **options: Unpack[RecommendOptions]
    ) -> BatchAnswer:
        return cast(BatchAnswer, await self.send(calls.recommend_batch(users, options)))

    async def session(
        self, items: Sequence[str], **options: Unpack[RecommendOptions]
    ) -> RankedList:
        return cast(RankedList, await self.send(calls.session(items, options)))

    async def similar(self, item_id: str, **options: Unpack[ListOptions]) -> RankedList:
        return cast(RankedList, await self.send(calls.similar(item_id, options)))

    async def search(
        self, q: str, user_id: str | None = None, **options: Unpack[RecommendOptions]
    ) -> RankedList:
        return cast(RankedList, await self.send(calls.search(q, user_id, options)))

    async def popular(
        self, window: str | None = None, **options: Unpack[RecommendOptions]
    ) -> RankedList:
        return cast(RankedList, await self.send(calls.popular(window, options)))

    async def chat(
        self, message: str, user_id: str | None = None, **options: Unpack[ListOptions]
    ) -> ChatAnswer:
        return cast(ChatAnswer, await self.send(calls.chat(message, user_id, options)))

    # -- experiments and operations ----------------------------------------------------------
    async def create_experiment(self, definition: Mapping[str, Any]) -> dict[str, Any]:
        return await self.send(calls.create_experiment(definition))

    async def list_experiments(self) -> list[dict[str, Any]]:
        return list((await self.send(calls.list_experiments()))["experiments"])

    async def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        return await self.send(calls.get_experiment(experiment_id))

    async def stop_experiment(self, experiment_id: str) -> dict[str, Any]:
        return await self.send(calls.stop_experiment(experiment_id))

    async def experiment_report(self, experiment_id: str) -> dict[str, Any]:
        return await self.send(calls.experiment_report(experiment_id))

    async def train(self, wait: bool = True) -> dict[str, Any]:
        return await self.send(calls.train(wait))

    async def train_job(self, job_id: str) -> dict[str, Any]:
        return await self.send(calls.train_job(job_id))

    async def stats(self) -> dict[str, Any]:
        return await self.send(calls.stats())

    async def health(self) -> dict[str, Any]:
        return await self.send(calls.health())

    async def metrics(self) -> str:
        return await self.send(calls.metrics())
