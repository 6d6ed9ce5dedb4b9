"""The one error format of the API and the handlers that produce it.

``{"error": {"code": str, "message": str, "details": [{"index", "field", "message"}]}}``
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_json",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
}


class ApiError(Exception):
    """An error a route raises on purpose; rendered in the standard error format."""

    def __init__(
        self, status: int, message: str, details: Sequence[dict[str, Any]] = (), code: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES_BY_STATUS.get(status, "error")
        self.message = message
        self.details = list(details)


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": list(details)}}


def error_response(
    status: int, message: str, details: Sequence[dict[str, Any]] = (), code: str = ""
) -> JSONResponse:
    code = code or _CODES_BY_STATUS.get(status, "error")
    return JSONResponse(error_body(code, message, details), status_code=status)


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic error locations to ``{"index", "field", "message"}``.

    ``("body", "events", 3, "value")`` becomes index 3, field "value"; a location with no list
    index (a query parameter, a missing top-level key) has index None.
    """
    details = []
    for error in errors:
        location = list(error.get("loc", ()))
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:]
        index = None
        if len(location) >= 2 and isinstance(location[1], int):
            index = location[1]
            location = location[2:]
        field = ".".join(str(part) for part in location) or "body"
        details.append({"index": index, "field": field, "message": str(error.get("msg", ""))})
    return details


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    bad_json = [e for e in errors if e.get("type") == "json_invalid"]
    if bad_json:
        reason = bad_json[0].get("ctx", {}).get("error", "malformed JSON")
        return error_response(400, f"the request body is not valid JSON: {reason}")
    if any(e.get("loc") == ("body",) and isinstance(e.get("input"), bytes) for e in errors):
        return error_response(400, "the request body must be JSON (Content-Type: application/json)")
    details = validation_details(errors)
    first = details[0]
    where = f"item {first['index']}, " if first["index"] is not None else ""
    message = f"{len(details)} invalid field(s); first: {where}{first['field']}: {first['message']}"
    return error_response(422, message, details)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.details, exc.code)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    return error_response(exc.status_code, message)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error", code="internal")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, leave in the standard format."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
