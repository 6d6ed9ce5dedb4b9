"""Retraining: start one (waiting for the swap, or not), and ask how a job went."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from pulserec.api.errors import ApiError
from pulserec.api.responses import json_response
from pulserec.api.services import Services
from pulserec.engine.lifecycle.training import TrainingConflict


def admin_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1/admin", tags=["operations"])
    trainer = services.runtime.trainer

    @router.post(
        "/train",
        responses={202: {"description": "with wait=false: the job id, at once"}},
    )
    async def train(wait: bool = True) -> Response:
        """Retrain every model from the stored events in the background; with ``wait`` (the
        default) reply once the new models serve, else 202 with the job id at once."""
        try:
            job = trainer.start()
        except TrainingConflict as error:
            raise ApiError(409, str(error)) from None
        if not wait:
            return json_response({"job": job.id}, status=202)
        await asyncio.to_thread(job.done.wait)
        if job.state != "done":
            raise ApiError(500, f"training failed: {job.error}", code="training_failed")
        body: dict[str, Any] = {
            "model_version": job.model_version,
            "job": job.id,
            "models": job.models,
            "skipped": job.skipped,
            "served": job.served,
        }
        if not job.models and job.skipped:
            reasons = "; ".join(f"{name}: {why}" for name, why in job.skipped.items())
            body["message"] = f"no model could be trained ({reasons}); text and trending serve"
        return json_response(body)

    @router.get("/train/{job_id}")
    async def train_job(job_id: str) -> dict[str, Any]:
        job = trainer.jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"no training job {job_id!r}")
        return job.as_json()

    return router
