"""The ASGI application: routes, error format, Host and cross-site checks, auth, body limit
and metrics in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from pulserec import __version__
from pulserec.api.browser_guards import (
    CrossSiteWriteMiddleware,
    HostCheckMiddleware,
    allowed_names,
    answered_hosts,
    cors_origins,
)
from pulserec.api.errors import install_error_handlers
from pulserec.api.guards import ApiKeyMiddleware, BodyLimitMiddleware
from pulserec.api.metrics import ApiMetrics, MetricsMiddleware
from pulserec.api.routes.admin import admin_router
from pulserec.api.routes.catalog import catalog_router
from pulserec.api.routes.events import events_router
from pulserec.api.routes.experiments import experiments_router
from pulserec.api.routes.ops import ops_router
from pulserec.api.routes.recs import recs_router
from pulserec.api.routes.web import DOCS_ASSETS, docs_assets, static_files, web_router
from pulserec.api.services import Services
from pulserec.core.config import ServerSettings
from pulserec.engine.runtime import Runtime
from pulserec.storage import Store


def _closing(runtime: Runtime) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: on shutdown, write the impressions still queued."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.experiments.close()

    return lifespan


def create_app(store: Store, settings: ServerSettings, runtime: Runtime) -> FastAPI:
    """Build the API over ``store`` and an engine ``runtime`` (built by :mod:`pulserec.app`;
    the API wires nothing itself)."""
    services = Services(store, runtime.ingestor, ApiMetrics(), settings, runtime)
    app = FastAPI(
        title="pulserec",
        version=__version__,
        description="Real-time recommendations: ingest items, users and events.",
        strict_content_type=False,
        docs_url=None,  # served by the web router from local assets (no CDN)
        redoc_url=None,
        lifespan=_closing(runtime),
    )
    app.state.services = services
    install_error_handlers(app)
    routers = (  # the hot routes first: a request is matched against the routes in order
        events_router(services),
        recs_router(services),  # before the catalog: /items/{id}/similar wins over /items/{id}
        ops_router(services),
        catalog_router(services),
        admin_router(services),
        experiments_router(services),
        web_router(settings.display_fields),
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", static_files(), name="static")
    app.mount(DOCS_ASSETS, docs_assets(), name="docs-assets")
    # Added innermost first: metrics see every response; the Host, the origin of a write and
    # the key are checked, in that order, before the body is read.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key, read_key=settings.read_key)
    origins = cors_origins(settings)
    app.add_middleware(
        CrossSiteWriteMiddleware, own_names=allowed_names(settings), allowed_origins=origins
    )
    if origins:  # a team's own site calls the API from its pages (/v1/sdk.js)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
            max_age=600,
        )
    hosts = answered_hosts(settings)
    if hosts is not None:
        app.add_middleware(HostCheckMiddleware, names=hosts)
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    return app
