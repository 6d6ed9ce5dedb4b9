"""Query-string parsing for the hot routes: the same rules and 422 errors as FastAPI's
validation, without its per-request model machinery (recommend is the busiest route)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from pulserec.api.errors import ApiError
from pulserec.core.schemas import MAX_ID_LENGTH

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _invalid(name: str, message: str) -> ApiError:
    detail = {"index": None, "field": name, "message": message}
    return ApiError(422, f"1 invalid field(s); first: {name}: {message}", [detail])


def path_id(name: str, value: str) -> str:
    """An id taken from a path obeys the body's rule: 1-256 printable characters."""
    if not value:
        raise _invalid(name, "String should have at least 1 character")
    if len(value) > MAX_ID_LENGTH:
        raise _invalid(name, f"String should have at most {MAX_ID_LENGTH} characters")
    if not value.isprintable():
        raise _invalid(name, "ids must be printable characters")
    return value


def int_param(params: QueryParams, name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(name, "Input should be a valid integer") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _invalid(name, f"Input should be {bound}")
    return value


def float_param(params: QueryParams, name: str, default: float, low: float, high: float) -> float:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _invalid(name, "Input should be a valid number") from None
    if not low <= value <= high:
        raise _invalid(name, f"Input should be between {low:g} and {high:g}")
    return value


def bool_param(params: QueryParams, name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _invalid(name, "Input should be a valid boolean")


def documented(*parameters: tuple[str, str, Any, str]) -> dict[str, Any]:
    """OpenAPI ``parameters`` for a route that parses its own query string:
    ``(name, type, default, description)`` each."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": kind, "default": default},
                "description": description,
            }
            for name, kind, default, description in parameters
        ]
    }
