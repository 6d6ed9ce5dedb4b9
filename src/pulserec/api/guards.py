"""ASGI middleware that refuses a request before any route runs: API keys and body size."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pulserec.api.errors import error_response

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_READ_LIKE_POSTS = frozenset({"/v1/recommend/session", "/v1/chat"})
_OPEN = frozenset({"/v1/sdk.js"})  # the browser snippet: always open, as the page is
# personal data and operations: never open while any key is set
_PERSONAL = ("/v1/users", "/v1/admin", "/v1/experiments")


def _is_personal(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in _PERSONAL)


def _encoded(key: str | None) -> bytes | None:
    return key.encode("utf-8") if key is not None else None


class ApiKeyMiddleware:
    """The API key guards writes under /v1 and grants reads; the read key guards reads.
    Personal data and operations (``/v1/users*``, ``/v1/admin/*``, ``/v1/experiments*``) need
    the API key whenever one is set, else the read key when that is set.

    Keys are compared as bytes (a header is bytes; a configured key as UTF-8), in constant time.
    """

    def __init__(self, app: ASGIApp, api_key: str | None, read_key: str | None) -> None:
        self.app = app
        self.api_key = _encoded(api_key)
        self.read_key = _encoded(read_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if path.startswith("/v1/") and path not in _OPEN:
            message = self._refusal(scope)
            if message:
                await error_response(401, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> str | None:
        """Why the request is refused (None: it may pass)."""
        path = scope["path"]
        keys: tuple[bytes | None, ...]
        if _is_personal(path):
            which = "API key" if self.api_key is not None else "read key"
            keys = (self.api_key if self.api_key is not None else self.read_key,)
            needs = f"reveals personal data or operations: it needs the {which}"
        elif scope["method"] in _WRITE_METHODS and path not in _READ_LIKE_POSTS:
            keys, needs = (self.api_key,), "needs the API key"
        else:
            keys = (self.read_key, self.api_key) if self.read_key is not None else (None,)
            needs = "needs the read key or the API key"
        if keys[0] is None:
            return None
        given = dict(scope["headers"]).get(b"x-api-key")
        if given is not None and any(k is not None and hmac.compare_digest(given, k) for k in keys):
            return None
        return f"this route {needs} in the X-API-Key header"


class BodyLimitMiddleware:
    """Reads a body up to ``max_bytes``; a larger one gets 413 before any route parses it.

    Before the 413 goes out the rest of the body is read and dropped (up to ``drain_bytes``), and
    the response closes the connection: a client that writes its whole body before reading (like
    ``urllib``) then reads the status instead of a connection reset. A client that asked for
    ``Expect: 100-continue`` has sent nothing yet, so it is answered at once.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, drain_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = drain_bytes if drain_bytes is not None else max(8 * max_bytes, 1 << 26)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            waits = headers.get(b"expect", b"").lower() == b"100-continue"
            if not waits and int(declared) <= self.drain_bytes:
                await self._drain(receive, 0)
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            more = bool(message.get("more_body", False))
            if size > self.max_bytes:
                if more:
                    await self._drain(receive, size)
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not more:
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, size: int) -> None:
        """Read and drop the rest of the body, up to ``drain_bytes`` in all."""
        while size <= self.drain_bytes:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mib = self.max_bytes / (1024 * 1024)
        message = f"the request body exceeds the limit of {limit_mib:g} MiB; send smaller batches"
        response = error_response(413, message)
        response.headers["connection"] = "close"
        await response(scope, receive, send)
