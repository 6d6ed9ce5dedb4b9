"""Routes matched on the raw (still percent-encoded) path, so an id holding ``/`` is one path
segment: ``GET /v1/users/alice%2Fexport`` reads the user ``alice/export``, never ``alice``'s
export. Ids are decoded after the match, as the server decodes the path (UTF-8)."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope


class RawPathRoute(APIRoute):
    """An :class:`APIRoute` whose ``{name:path}`` parameters span encoded slashes only."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if not isinstance(raw, bytes):  # a server that gives no raw path: the decoded one
            return super().matches(scope)
        match, child = super().matches({**scope, "path": raw.decode("latin-1")})
        if match != Match.NONE:
            params = child.get("path_params", {})
            child["path_params"] = {
                key: unquote(value) if isinstance(value, str) else value
                for key, value in params.items()
            }
        return match, child
