"""The ASGI application: routes, error format, auth, body limit and metrics in one place."""

from __future__ import annotations

from fastapi import FastAPI

from pulserec import __version__
from pulserec.api.errors import install_error_handlers
from pulserec.api.guards import ApiKeyMiddleware, BodyLimitMiddleware
from pulserec.api.metrics import ApiMetrics, MetricsMiddleware
from pulserec.api.routes.catalog import catalog_router
from pulserec.api.routes.events import events_router
from pulserec.api.routes.ops import ops_router
from pulserec.api.services import Services
from pulserec.config import ServerSettings
from pulserec.ingest import Ingestor
from pulserec.storage import Store


def create_app(store: Store, settings: ServerSettings | None = None) -> FastAPI:
    """Build the API over ``store``. Settings default to the ``PULSEREC_*`` environment."""
    settings = settings or ServerSettings.from_env()
    services = Services(store, Ingestor(store), ApiMetrics(), settings)
    app = FastAPI(
        title="pulserec",
        version=__version__,
        description="Real-time recommendations: ingest items, users and events.",
        strict_content_type=False,
    )
    app.state.services = services
    install_error_handlers(app)
    for router in (ops_router(services), catalog_router(services), events_router(services)):
        app.include_router(router)
    # Added innermost first: metrics see every response, auth runs before the body is read.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key, read_key=settings.read_key)
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    return app
