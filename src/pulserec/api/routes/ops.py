"""Health, metrics, store statistics, the dashboard's time series and evaluation reports."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, PlainTextResponse, Response

from pulserec.api.errors import ApiError
from pulserec.api.services import Services

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_reports(root: Path) -> list[dict[str, Any]]:
    """Every ``<root>/<protocol>/results.json``, parsed, newest first, with its PNG plots.
    An unreadable file is listed with an ``error`` instead of ``results``."""
    if not root.is_dir():
        return []
    reports: list[dict[str, Any]] = []
    for results in root.glob("*/results.json"):
        folder = results.parent
        if not _SAFE_NAME.match(folder.name):
            continue
        entry: dict[str, Any] = {
            "protocol": folder.name,
            "modified": _stamp(results.stat().st_mtime),
            "plots": sorted(
                p.name for p in folder.glob("*.png") if _SAFE_NAME.match(p.name) and p.is_file()
            ),
        }
        try:
            entry["results"] = json.loads(results.read_text(encoding="utf-8"))
        except OSError as error:  # its message names the absolute path: the type only
            entry["error"] = f"unreadable results.json ({type(error).__name__})"
        except ValueError as error:
            entry["error"] = f"unreadable results.json: {error}"
        reports.append(entry)
    reports.sort(key=lambda r: str(r["modified"]), reverse=True)
    return reports


def report_plot(root: Path, protocol: str, name: str) -> Path | None:
    """The path of a report's plot, or None when the names are unsafe or the file is absent."""
    filename = f"{name}.png"
    if not (_SAFE_NAME.match(protocol) and _SAFE_NAME.match(filename)):
        return None
    path = (root / protocol / filename).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return path


def ops_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/metrics", response_class=PlainTextResponse)
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
            "worker_pid": os.getpid(),
            **runtime.engine.stats(),
            "last_training": runtime.trainer.last or None,
            "training": runtime.trainer.running,
            "events_per_second": services.metrics.event_rate(),
            "items": counts.items,
            "users": counts.users,
            "events": counts.events,
            "events_accepted_since_start": ingestor.events_accepted,
            "events_duplicate_since_start": ingestor.events_duplicate,
            "experiments": runtime.experiments.stats(),
            "privacy": runtime.engine.privacy_stats(),
            "artifact_scrub": runtime.scrubber.stats() if runtime.scrubber else None,
            "log": runtime.engine.log_stats(),
        }

    @router.get("/v1/admin/timeseries")
    async def timeseries(
        seconds: Annotated[int, Query(ge=1, le=300, description="How many seconds back")] = 300,
    ) -> dict[str, Any]:
        """Per-second request counts and latency (mean, p50, p99 approximations, ms) of the
        last ``seconds`` seconds, oldest first, for every route of this server."""
        return {
            "interval_s": 1,
            "samples": services.metrics.timeseries.samples(seconds),
            "events_per_second": services.metrics.event_rate(),
        }

    @router.get("/v1/admin/reports")
    async def reports() -> dict[str, Any]:
        """The offline evaluation reports (``results.json``) found under the eval dir."""
        root = services.settings.eval_dir
        found = await run_in_threadpool(list_reports, root)
        return {"dir": str(root.resolve()), "reports": found}

    @router.get("/v1/admin/reports/{protocol}/{name}.png")
    async def report_png(protocol: str, name: str) -> Response:
        """One PNG plot of an evaluation report."""
        path = report_plot(services.settings.eval_dir, protocol, name)
        if path is None:
            raise ApiError(404, f"no plot {name!r}.png for protocol {protocol!r}")
        return FileResponse(path, media_type="image/png")

    return router
