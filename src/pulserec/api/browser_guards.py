"""ASGI middleware that keeps a browser from being turned against the server.

- :class:`HostCheckMiddleware`: a server bound to loopback answers only loopback host names
  and those of ``allowed_hosts``, so a DNS-rebinding page (``Host: attacker.example``) reads
  nothing (400 ``bad_host``).
- :class:`CrossSiteWriteMiddleware`: a write (``POST PUT PATCH DELETE``) from another site (a
  foreign ``Origin``, ``Sec-Fetch-Site: cross-site``) is 403 ``forbidden`` unless its origin is
  one of ``allowed_origins`` (``PULSEREC_ALLOWED_ORIGINS``: a team's own site, whose pages use
  ``/v1/sdk.js``; those origins also get CORS answers, :func:`cors_origins`); a write whose
  body is not JSON (a form, ``text/plain``, no ``Content-Type``) is 415
  ``unsupported_media_type``. The page the server serves itself is same-origin and sends JSON.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from pulserec.api.errors import error_response
from pulserec.core.config import ServerSettings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_HOST = "*"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None] | None:
    """A ``Host`` value as (lower-case name, port or None): ``[::1]:80`` -> ``("::1", 80)``;
    None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return None
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
    if not rest:
        return (name, None) if name else None
    if not (rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    return (name, int(rest[1:])) if name else None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an interface to listen on) is a loopback one."""
    name = host.strip("[]").lower()
    try:
        return name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def allowed_names(settings: ServerSettings) -> frozenset[str]:
    """The host names of ``allowed_hosts``, ports dropped (``*`` is no name)."""
    entries = (split_host(entry) for entry in settings.allowed_hosts if entry != ANY_HOST)
    return frozenset(entry[0] for entry in entries if entry is not None)


def answered_hosts(settings: ServerSettings) -> frozenset[str] | None:
    """The host names a server answers: None (any) unless it listens on loopback, then the
    loopback names and ``allowed_hosts`` (``*`` in it: any)."""
    if settings.host is None or not is_loopback(settings.host):
        return None
    if ANY_HOST in settings.allowed_hosts:
        return None
    return LOOPBACK_NAMES | allowed_names(settings)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class HostCheckMiddleware:
    """Answers only requests whose ``Host`` names one of ``names`` (any port); one without a
    ``Host`` (HTTP/1.0, not a browser) passes."""

    def __init__(self, app: ASGIApp, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = _header(scope, b"host")
            given = split_host(raw.decode("latin-1")) if raw is not None else None
            if raw is not None and (given is None or given[0] not in self.names):
                shown = ", ".join(f"[{n}]" if ":" in n else n for n in sorted(self.names))
                message = (
                    f"this server does not answer the host name {raw.decode('latin-1')[:100]!r}: "
                    f"it listens on loopback and answers {shown}; add the name to "
                    "PULSEREC_ALLOWED_HOSTS (or allowed_hosts in the settings file) to reach it so"
                )
                await error_response(400, message, code="bad_host")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class CrossSiteWriteMiddleware:
    """Refuses cross-site writes (403) and writes that are not JSON (415). An ``Origin`` is
    the server's own when it names the request's ``Host`` (name and port) or one of
    ``own_names`` (the allowed host names: a page reached through a proxy that rewrites
    ``Host``)."""

    def __init__(
        self,
        app: ASGIApp,
        own_names: frozenset[str] = frozenset(),
        allowed_origins: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.own_names = own_names
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _WRITE_METHODS:
            refusal = self._refusal(dict(scope["headers"]))
            if refusal is not None:
                status, code, message = refusal
                await error_response(status, message, code=code)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        site = headers.get(b"sec-fetch-site", b"").strip().lower()
        origin = headers.get(b"origin")
        allowed = origin is not None and _origin(origin) in self.allowed_origins
        if not allowed and (
            site == b"cross-site" or (origin is not None and not self._own(origin, headers))
        ):
            return 403, "forbidden", (
                "cross-site write refused: this server takes writes only from its own pages, "
                "the origins of PULSEREC_ALLOWED_ORIGINS and clients that send no foreign Origin "
                "(call it from a server, not from another site's page)"
            )  # fmt: skip
        content_type = headers.get(b"content-type")
        has_body = headers.get(b"content-length", b"0").strip() not in (b"0", b"") or (
            b"transfer-encoding" in headers
        )
        if (content_type is not None and not _is_json(content_type)) or (
            content_type is None and has_body
        ):
            shown = content_type.decode("latin-1")[:100] if content_type is not None else "none"
            return 415, "unsupported_media_type", (
                f"writes take JSON bodies only (Content-Type: application/json); got {shown!r}"
            )  # fmt: skip
        return None

    def _own(self, origin: bytes, headers: dict[bytes, bytes]) -> bool:
        try:
            parts = urlsplit(origin.decode("latin-1").strip())
            name, port = (parts.hostname or "").lower(), parts.port
        except ValueError:  # a port out of range, a malformed IPv6 literal
            return False
        if parts.scheme not in _DEFAULT_PORTS or not name:
            return False  # "null" (a sandboxed frame, a file), or no web origin at all
        if name in self.own_names:
            return True
        raw = headers.get(b"host")
        host = split_host(raw.decode("latin-1")) if raw is not None else None
        if host is None:
            return False
        default = _DEFAULT_PORTS[parts.scheme]
        return host[0] == name and (host[1] or default) == (port or default)


def _origin(raw: bytes) -> str:
    """An ``Origin`` header in the form the allow-list holds: ``scheme://host[:port]``."""
    return raw.decode("latin-1").strip().lower().rstrip("/")


def cors_origins(settings: ServerSettings) -> frozenset[str]:
    """The web origins allowed to call the API from their pages (``PULSEREC_ALLOWED_ORIGINS``:
    ``https://shop.example``, a port where not the default; ``*`` is refused: a list only)."""
    out = set()
    for entry in settings.allowed_origins:
        parts = urlsplit(entry.strip().lower())
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(
                f"PULSEREC_ALLOWED_ORIGINS: {entry!r} is not an origin such as https://shop.example"
            )
        out.add(f"{parts.scheme}://{parts.netloc}")
    return frozenset(out)
