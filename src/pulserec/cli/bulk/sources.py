"""Where lists come from: an engine started in process over a data dir (as ``serve`` starts
it, without serving), or a running server's ``POST /v1/recommend/batch``."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import orjson

from pulserec.app.settings import Settings
from pulserec.cli.bulk.writers import UserList
from pulserec.storage import DB_FILENAME, open_store

PAGE = 1_000  # users per listing page and per batch call (the batch route's maximum)
TIMEOUT_S = 600.0


class SourceError(ValueError):
    """The lists cannot be had (no store, server unreachable or refusing); one line."""


class ListSource(Protocol):
    def user_ids(self) -> Iterator[list[str]]: ...
    def count_users(self) -> int: ...
    def lists(
        self, user_ids: Sequence[str], k: int, filters: Sequence[str] = ()
    ) -> list[UserList]: ...
    def check_filters(self, filters: Sequence[str]) -> None: ...
    def close(self) -> None: ...


class LocalSource:
    """The engine over the settings' store: trained models from their artifacts (the data
    dir's unless ``--artifacts``/``PULSEREC_ARTIFACTS`` says otherwise), state from the store."""

    def __init__(self, settings: Settings, progress: bool = True) -> None:
        from pulserec.app.runtime import assemble, engine_config

        data_dir = settings.data_dir
        if settings.store is None and not (data_dir / DB_FILENAME).is_file():
            raise SourceError(f"no pulserec store in {data_dir} (import data or serve it first)")
        self.store = open_store(settings.store_target)
        self.runtime = assemble(
            self.store,
            engine_config(settings),
            data_dir,
            progress=progress,
            artifacts_dir=settings.artifacts_dir,
        )

    def user_ids(self) -> Iterator[list[str]]:
        for page in self.store.iter_users(PAGE):
            yield [user.id for user in page]

    def count_users(self) -> int:
        return self.store.counts().users

    def lists(self, user_ids: Sequence[str], k: int, filters: Sequence[str] = ()) -> list[UserList]:
        engine = self.runtime.engine
        mask = self._mask(filters)
        out = []
        for user_id in user_ids:
            ranked = engine.recommend(user_id, k, mask=mask)
            items = [item.as_json() for item in ranked.items]
            out.append({"user_id": user_id, "items": items, "model_version": ranked.model_version})
        return out

    def _mask(self, filters: Sequence[str]) -> Any:
        from pulserec.engine.facade import FilterError

        try:
            return self.runtime.engine.filter_mask(filters)
        except FilterError as error:
            raise SourceError(f"--filter: {error}") from None

    def check_filters(self, filters: Sequence[str]) -> None:
        """SourceError for a filter that cannot be read or names what no item has."""
        self._mask(filters)

    def close(self) -> None:
        self.runtime.trainer.stop()
        self.store.close()


class HttpSource:
    """The server at ``url``: ``GET /v1/users`` pages and ``POST /v1/recommend/batch``."""

    def __init__(self, url: str, api_key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key

    def _call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(body)
        request = urllib.request.Request(self.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return orjson.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{self.url}{path.split('?')[0]}: {_reason(exc)}") from None
        except (OSError, ValueError) as exc:
            raise SourceError(f"cannot reach {self.url}: {exc}") from None

    def user_ids(self) -> Iterator[list[str]]:
        offset = 0
        while True:
            page = self._call(f"/v1/users?offset={offset}&limit={PAGE}")
            ids = [user["id"] for user in page["users"]]
            if not ids:
                return
            yield ids
            offset += len(ids)
            if offset >= page["total"]:
                return

    def count_users(self) -> int:
        return int(self._call("/v1/users?limit=1")["total"])

    def lists(self, user_ids: Sequence[str], k: int, filters: Sequence[str] = ()) -> list[UserList]:
        body = {"users": list(user_ids), "k": k, "filter": list(filters)}
        answer = self._call("/v1/recommend/batch", body)
        version = answer["model_version"]
        return [{**result, "model_version": version} for result in answer["results"]]

    def check_filters(self, filters: Sequence[str]) -> None:
        """The server's verdict on the filters (a one-item popular list), before any list."""
        if filters:
            query = urllib.parse.urlencode([("k", "1"), *(("filter", f) for f in filters)])
            self._call(f"/v1/popular?{query}")

    def close(self) -> None:
        """Nothing to release."""


def _reason(error: urllib.error.HTTPError) -> str:
    """The API's error message, else the HTTP status."""
    try:
        message = json.loads(error.read())["error"]["message"]
    except (ValueError, KeyError, TypeError, OSError):
        message = error.reason
    return f"{error.code} {message}"
