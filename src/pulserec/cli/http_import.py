"""``pulserec import --url``: validated rows go to a running server's API in batches.

Each batch stays under the body limit (8 MiB of JSON, at most ``MAX_ROWS[kind]`` rows) and is
atomic on the server; a 422 names the bad rows (``details[].index``), which are reported as
rejected with the server's reason while the rest of the batch is sent again, so the summary reads
like a local import. A 413 halves the batch.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import orjson

from pulserec.data.importers import ImportReport, Kind, Valid

MAX_BATCH_BYTES = 8 << 20
MAX_ROWS: dict[Kind, int] = {"items": 500, "users": 5_000, "events": 10_000}
TIMEOUT_S = 600.0


class RemoteImportError(ValueError):
    """The server refused the import as a whole (unreachable, unauthorised, a server error)."""


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether ``GET /healthz`` answers 200."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/healthz", timeout=timeout) as response:
            return int(response.status) == 200
    except (OSError, ValueError):
        return False


class HttpSink:
    """Posts validated rows to ``POST /v1/items|users|events`` of the server at ``url``."""

    def __init__(self, url: str, api_key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key

    def store(self, kind: Kind, rows: list[Valid], report: ImportReport) -> None:
        payloads = [
            (n, orjson.dumps(m.model_dump(mode="json", exclude_none=True))) for n, m in rows
        ]
        batch: list[tuple[int, bytes]] = []
        size = 0
        for row in payloads:
            if batch and (len(batch) >= MAX_ROWS[kind] or size + len(row[1]) > MAX_BATCH_BYTES):
                self._send(kind, batch, report)
                batch, size = [], 0
            batch.append(row)
            size += len(row[1]) + 1
        if batch:
            self._send(kind, batch, report)

    def _send(self, kind: Kind, batch: list[tuple[int, bytes]], report: ImportReport) -> None:
        while batch:
            status, body = self._post(
                kind,
                b"".join((b'{"', kind.encode(), b'":[', b",".join(p for _, p in batch), b"]}")),
            )
            if status == 200:
                _count(kind, body, report)
                return
            if status == 413 and len(batch) > 1:
                half = len(batch) // 2
                self._send(kind, batch[:half], report)
                batch = batch[half:]
                continue
            batch = _reject_named(batch, status, body, report)

    def _post(self, kind: Kind, data: bytes) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        request = urllib.request.Request(
            f"{self.url}/v1/{kind}", data=data, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json_or_none(error.read())
        except (OSError, ValueError) as exc:
            raise RemoteImportError(f"cannot reach the server at {self.url}: {exc}") from exc


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _count(kind: Kind, body: Any, report: ImportReport) -> None:
    if kind == "events":
        report.stored += int(body["accepted"])
        report.duplicates += int(body["duplicates"])
    else:
        report.stored += int(body["upserted"])


def _reject_named(
    batch: list[tuple[int, bytes]], status: int, body: Any, report: ImportReport
) -> list[tuple[int, bytes]]:
    """Reject the rows a 422 names and return the rest to send again; raise on anything else."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    message = str(error.get("message") or f"HTTP {status}")
    if status == 401:
        raise RemoteImportError(f"the server refused the key ({message}): pass --api-key")
    details = error.get("details") or []
    named = {
        d["index"]: f"{d.get('field', 'row')}: {d.get('message', '')}"
        for d in details
        if isinstance(d, dict) and isinstance(d.get("index"), int) and 0 <= d["index"] < len(batch)
    }
    if status == 413:  # one row over the limit on its own
        for number, _ in batch:
            report.reject(number, message)
        return []
    if status != 422:
        raise RemoteImportError(f"the server answered {status}: {message}")
    if not named:  # a 422 about the batch as a whole: every row of it is rejected
        for number, _ in batch:
            report.reject(number, message)
        return []
    for index, reason in sorted(named.items()):
        report.reject(batch[index][0], reason)
    return [row for index, row in enumerate(batch) if index not in named]
