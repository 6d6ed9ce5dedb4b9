"""The web page: ``GET /`` (index.html) and its static files under ``/static`` (both open)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def web_router() -> APIRouter:
    router = APIRouter(tags=["web"])

    @router.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")

    return router


def static_files() -> StaticFiles:
    """The page's CSS and JavaScript modules (no build step)."""
    return StaticFiles(directory=WEB_DIR)
