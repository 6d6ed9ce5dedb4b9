"""Event ingestion: one atomic, idempotent batch per request."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from pulserec.api.forgotten import refuse_forgotten
from pulserec.api.schemas import EventsBody
from pulserec.api.services import Services


def events_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])

    @router.post("/events")
    async def ingest_events(body: EventsBody) -> dict[str, int]:
        """Validate the whole batch, store it durably, then reply."""
        now = time.time()
        events = [event.to_domain(now) for event in body.events]
        users = [e.user_id for e in events]
        await run_in_threadpool(refuse_forgotten, services.store, users, "user_id")
        result = await asyncio.wrap_future(services.ingestor.submit_events(events))
        services.metrics.record_events(result.accepted)
        services.metrics.events_duplicate.inc(result.duplicates)
        answer = {"accepted": result.accepted, "duplicates": result.duplicates}
        if result.forgotten:  # refused by the store: a deletion committed after the check
            answer["forgotten"] = len(result.forgotten)
        return answer

    return router
