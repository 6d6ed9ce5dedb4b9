"""Experiments: create (201), list, read, stop and report. Definitions are read from the
store on every call, so each worker and replica answers the same."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from pulserec.api.errors import ApiError
from pulserec.api.experiment_schemas import ExperimentIn
from pulserec.api.query_params import path_id
from pulserec.api.responses import json_response
from pulserec.api.services import Services
from pulserec.engine.lifecycle.training import TrainingConflict
from pulserec.experiments.definition import Experiment, ExperimentConflict
from pulserec.experiments.reports import Reports


def experiments_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1/experiments", tags=["experiments"])
    runtime = services.runtime
    experiments, engine, store = runtime.experiments, runtime.engine, services.store
    reports = Reports(store, experiments.log)  # built once per state of the store

    def found(experiment_id: str) -> Experiment:
        experiments.reload()
        experiment = experiments.get(path_id("experiment_id", experiment_id))
        if experiment is None:
            raise ApiError(404, f"no experiment with id {experiment_id!r}")
        return experiment

    def pending(experiment: Experiment) -> list[str]:
        """Models its variants name that the served version lacks (a training fits them)."""
        return sorted(experiment.models() - set(engine.stats()["models"]))

    def described(experiment: Experiment) -> dict[str, Any]:
        return {**experiment.as_json(), "pending_models": pending(experiment)}

    @router.post("", status_code=201, responses={201: {"description": "the experiment"}})
    async def create(body: ExperimentIn) -> Response:
        """Start an experiment at once; its definition is immutable (a second POST with the
        same id, or one whose traffic overlaps a running experiment, is a 409)."""
        try:
            experiment = await run_in_threadpool(experiments.create, body.definition())
        except ExperimentConflict as error:
            raise ApiError(409, str(error)) from None
        if pending(experiment) and not runtime.trainer.running:
            with suppress(TrainingConflict):  # its variants name models not served yet: fit them
                runtime.trainer.start()
        return json_response(described(experiment), status=201)

    @router.get("")
    async def listing() -> Response:
        """Every experiment, running or stopped, in creation order."""
        experiments.reload()
        return json_response({"experiments": [described(e) for e in experiments.all()]})

    @router.get("/{experiment_id:path}/report")
    async def report_of(experiment_id: str) -> Response:
        """Per-variant users, impressions, clicks and CTR with 95% intervals, the lift, the
        sample-ratio check, guardrails, CUPED and the stopping rule's decision."""
        experiment = found(experiment_id)

        return json_response(await run_in_threadpool(reports.of, experiment))

    @router.post("/{experiment_id:path}/stop")
    async def stop(experiment_id: str) -> Response:
        """End it: users get the default configuration again; the report stays."""
        found(experiment_id)
        stopped = await run_in_threadpool(experiments.stop, experiment_id)
        assert stopped is not None
        return json_response(described(stopped))

    @router.get("/{experiment_id:path}")
    async def one(experiment_id: str) -> Response:
        """The experiment: its definition, state and traffic range."""
        return json_response(described(found(experiment_id)))

    return router
