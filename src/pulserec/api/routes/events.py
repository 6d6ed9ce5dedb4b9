"""Event ingestion: one atomic, idempotent batch per request."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter

from pulserec.api.forgotten import forgotten_error
from pulserec.api.schemas import EventsBody
from pulserec.api.services import Services


def events_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])

    @router.post("/events")
    async def ingest_events(body: EventsBody) -> dict[str, int]:
        """Validate the whole batch, store it durably, then reply."""
        now = time.time()
        events = [event.to_domain(now) for event in body.events]
        result = await asyncio.wrap_future(services.ingestor.submit_events(events))
        if result.forgotten:  # a deleted user's events: the store refused the batch whole
            raise forgotten_error(result.forgotten, "user_id")
        services.metrics.record_events(result.accepted)
        services.metrics.events_duplicate.inc(result.duplicates)
        return {"accepted": result.accepted, "duplicates": result.duplicates}

    return router
