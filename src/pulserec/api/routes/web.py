"""The web page (``GET /``, its files under ``/static``), the favicon and the API docs
(``GET /docs``: Swagger UI from the ``swagger-ui-bundle`` package under ``/docs-assets``, so it
works offline, reading ``/docs/openapi.json``, the 3.0 form of the schema). All open under
auth."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from pulserec.api.docs_schema import openapi_30

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SWAGGER_DIR = Path(str(swagger_ui_path))
DOCS_ASSETS = "/docs-assets"
FAVICON = "/static/favicon.svg"
DOCS_SCHEMA = "/docs/openapi.json"


DISPLAY_META = '<meta name="pulserec-display-fields" content="">'


def web_router(display_fields: tuple[str, ...] = ()) -> APIRouter:
    """The page; ``display_fields`` (``PULSEREC_DISPLAY_FIELDS``) are the item attributes its
    cards show under the title, handed to it in a ``<meta>`` tag."""
    router = APIRouter(tags=["web"])
    fields = html.escape(",".join(display_fields), quote=True)
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    page = page.replace(DISPLAY_META, DISPLAY_META.replace('content=""', f'content="{fields}"'))

    @router.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page)

    @router.get("/v1/sdk.js", include_in_schema=False)
    async def sdk() -> FileResponse:
        """The browser snippet: pulserec.track, .recommend, .impression (no build step)."""
        return FileResponse(
            WEB_DIR / "sdk.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @router.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(WEB_DIR / "favicon.svg", media_type="image/svg+xml")

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=DOCS_SCHEMA,
            title="pulserec API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            swagger_ui_parameters={"validatorUrl": None},  # no call to validator.swagger.io
        )

    @router.get(DOCS_SCHEMA, include_in_schema=False)
    async def docs_schema(request: Request) -> dict[str, Any]:
        return openapi_30(request.app.openapi())

    return router


def static_files() -> StaticFiles:
    """The page's CSS, JavaScript modules and icon (no build step)."""
    return StaticFiles(directory=WEB_DIR)


def docs_assets() -> StaticFiles:
    """Swagger UI's JavaScript and CSS, shipped by the ``swagger-ui-bundle`` package."""
    return StaticFiles(directory=SWAGGER_DIR)
