"""Health, metrics and store statistics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from pulserec.api.services import Services


def ops_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/metrics")
    async def metrics() -> Response:
        counts = await run_in_threadpool(services.store.counts)
        for kind, value in (
            ("items", counts.items),
            ("users", counts.users),
            ("events", counts.events),
        ):
            services.metrics.catalog.labels(kind).set(value)
        services.metrics.set_model_version(services.runtime.engine.model_version)
        return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/v1/admin/stats")
    async def stats() -> dict[str, Any]:
        counts = await run_in_threadpool(services.store.counts)
        ingestor = services.ingestor
        runtime = services.runtime
        return {
            "model_version": runtime.engine.model_version,
            "models": list(runtime.engine.bundle.models) if runtime.engine.bundle else [],
            "last_training": runtime.trainer.last or None,
            "training": runtime.trainer.running,
            "events_per_second": services.metrics.event_rate(),
            "items": counts.items,
            "users": counts.users,
            "events": counts.events,
            "events_accepted_since_start": ingestor.events_accepted,
            "events_duplicate_since_start": ingestor.events_duplicate,
        }

    return router
