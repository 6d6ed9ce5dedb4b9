"""What the sync and async clients share: headers, errors, when to retry and how long to wait."""

from __future__ import annotations

import random
from typing import Any

import httpx

from pulserec.client.calls import Call

RETRIED_STATUS = frozenset({502, 503, 504})  # the store unreachable, a proxy between restarts
MAX_WAIT_S = 5.0


class PulserecError(Exception):
    """An error answer: its HTTP status and the API's ``code``, ``message`` and ``details``."""

    def __init__(
        self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.details = details or []


def headers(api_key: str | None, read_key: str | None) -> dict[str, str]:
    """The key the server wants: the API key (it grants reads too), else the read key."""
    key = api_key or read_key
    out = {"Accept": "application/json", "User-Agent": "pulserec-client"}
    return {**out, "X-API-Key": key} if key else out


def request_args(call: Call[Any]) -> dict[str, Any]:
    """``httpx`` keyword arguments for ``call``."""
    args: dict[str, Any] = {"params": call.params}
    if call.body is not None:
        args["json"] = call.body
    return args


def retryable(call: Call[Any], error: Exception | None, status: int | None) -> bool:
    """Whether ``call`` may be sent again after ``error`` (a transport failure) or ``status``."""
    if status is not None:
        return status in RETRIED_STATUS
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return True  # it never reached the server
    return call.retry == "always" and isinstance(error, httpx.TransportError)


def wait_s(attempt: int, backoff_s: float) -> float:
    """Exponential backoff with jitter: about ``backoff_s * 2**attempt``, at most 5 s."""
    return float(min(MAX_WAIT_S, backoff_s * 2.0**attempt) * (0.5 + random.random() / 2))


def answer(call: Call[Any], response: httpx.Response) -> Any:
    """The decoded answer, or :class:`PulserecError` for an error status."""
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            raise PulserecError(
                response.status_code, error["code"], error["message"], error.get("details")
            )
        except (ValueError, KeyError, TypeError):
            raise PulserecError(response.status_code, "http_error", response.text[:200]) from None
    return response.text if call.text else response.json()
