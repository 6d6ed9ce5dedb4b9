"""The one error format of the API, the handlers that produce it, and its place in the OpenAPI
document (every operation lists the error statuses it can answer, with this shape).

``{"error": {"code": str, "message": str, "details": [{"index", "field", "message"}]}}``
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from pulserec.storage.base import CommitUnknown, StoreUnavailable

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    index: int | None
    field: str
    message: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: ErrorInfo


_ERROR_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "Missing or wrong API key",
    403: "A cross-site write (a foreign Origin or Sec-Fetch-Site: cross-site)",
    404: "Unknown resource",
    409: "Conflict (a second training, an existing id)",
    413: "Request body over the limit",
    415: "A write whose body is not JSON",
    422: "A well-formed request that breaks the rules",
    503: "The store is unreachable",
}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_CONFLICTS = ("/v1/admin/train", "/v1/experiments")


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


async def _on_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, CommitUnknown):  # its message is ours: no driver detail in it
        return error_response(503, str(exc))
    # the driver's message names hosts, users, paths: it goes to the log, not to the client
    return error_response(503, "the store is unreachable; try again (details in the server log)")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error", code="internal")


def _error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    statuses = {422}
    if path.startswith("/v1/"):
        statuses.add(401)
    if "requestBody" in operation:
        statuses.add(400)
    if method in _WRITES:
        statuses |= {403, 413, 415, 503}
    if "{" in path:
        statuses.add(404)
    if method == "post" and path.startswith(_CONFLICTS):
        statuses.add(409)
    return sorted(statuses)


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """Give every operation of an OpenAPI document its error responses in the standard shape
    (FastAPI's default 422 ``HTTPValidationError`` is not what the API sends)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    definition = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(definition.pop("$defs", {}))
    schemas["ErrorBody"] = definition
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _error_statuses(method, path, operation):
                description = _ERROR_DESCRIPTIONS[status]
                responses.setdefault(str(status), {"description": description, "content": content})
    return spec


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, leave in the standard format, as /openapi.json says."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StoreUnavailable, _on_unavailable)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 - mypy forbids assigning to a method
