"""Bulk import of items, users or events from CSV, JSONL or Parquet.

Rows go through the same validation as the HTTP API (``pulserec.core.schemas``); valid rows are
stored
chunk by chunk (each chunk atomically, retries deduplicated by ``event_id``), invalid ones are
counted and reported with their row number and reason. In CSV, the extra columns of items and
users (the ones folded into ``attributes``) get an inferred int, float or bool type; the named
fields stay strings for the schema to parse.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ValidationError

from pulserec.core.schemas import EventIn, ItemIn, UserIn
from pulserec.data.readers import BadRow, Row, columns_of, read_chunks
from pulserec.storage.ingest import Ingestor

Kind = Literal["items", "users", "events"]
KINDS: tuple[Kind, ...] = ("items", "users", "events")
ITEM_FIELDS = frozenset(
    {"id", "title", "description", "tags", "categories", "attributes", "hidden", "timestamp"}
)
USER_FIELDS = frozenset({"id", "preferences", "attributes"})
EVENT_FIELDS = frozenset(
    {"event_id", "user_id", "item_id", "type", "value", "timestamp", "query", "attributes"}
)
LIST_SEPARATOR = "|"
MAX_SAMPLES = 10


@dataclass
class ImportReport:
    """What happened to one file."""

    path: Path
    kind: Kind
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def reject(self, number: int, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"row {number}: {reason}")


def detect_kind(columns: Sequence[str]) -> Kind:
    """Events have ``user_id`` and ``type``; items have ``id`` and ``title``; users have ``id``."""
    names = set(columns)
    if {"user_id", "type"} <= names:
        return "events"
    if {"id", "title"} <= names:
        return "items"
    if "id" in names:
        return "users"
    raise ValueError(
        f"cannot tell what the columns {sorted(names)} hold: events need user_id and type, "
        "items id and title, users id (or pass --kind)"
    )


def _as_id(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return [] if value is None else value


def _split_extras(row: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """Known fields as they are; other non-null columns folded into ``attributes``."""
    shaped = {k: v for k, v in row.items() if k in known and v is not None}
    extras = {k: v for k, v in row.items() if k not in known and v is not None}
    if extras:
        shaped["attributes"] = {**extras, **(shaped.get("attributes") or {})}
    if "id" in shaped:
        shaped["id"] = _as_id(shaped["id"])
    return shaped


def shape_item(row: dict[str, Any]) -> dict[str, Any]:
    shaped = _split_extras(row, ITEM_FIELDS)
    for name in ("tags", "categories"):
        if name in shaped:
            shaped[name] = _as_list(shaped[name])
    if isinstance(shaped.get("hidden"), str):
        shaped["hidden"] = shaped["hidden"].strip().lower() in ("1", "true", "yes")
    return shaped


def shape_user(row: dict[str, Any]) -> dict[str, Any]:
    return _split_extras(row, USER_FIELDS)


def shape_event(row: dict[str, Any]) -> dict[str, Any]:
    """Known fields as they are (empty ones left out); other columns (``ms_played``) folded
    into ``attributes``, as for items."""
    present = {k: v for k, v in row.items() if v is not None and v != ""}
    shaped = _split_extras(present, EVENT_FIELDS)
    for name in ("user_id", "item_id", "event_id"):
        if name in shaped:
            shaped[name] = _as_id(shaped[name])
    return shaped


_PLAN: dict[
    Kind, tuple[Callable[[dict[str, Any]], dict[str, Any]], type[BaseModel], frozenset[str]]
] = {
    "items": (shape_item, ItemIn, ITEM_FIELDS),
    "users": (shape_user, UserIn, USER_FIELDS),
    "events": (shape_event, EventIn, EVENT_FIELDS),
}


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "row"
    return f"{where}: {first['msg']}"


Valid = tuple[int, BaseModel]
"""A validated row with its row number (for reports)."""


class Sink(Protocol):
    """Where validated rows go: the local store, or a running server's API."""

    def store(self, kind: Kind, rows: list[Valid], report: ImportReport) -> None:
        """Store ``rows`` and count them (stored, duplicates, rejected) in ``report``."""


class LocalSink:
    """Rows into a store through the shared write path."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    def store(self, kind: Kind, rows: list[Valid], report: ImportReport) -> None:
        if not rows:
            return
        now = time.time()
        models: list[Any] = [model for _, model in rows]
        if kind == "events":
            result = self.ingestor.add_events([m.to_domain(now) for m in models])
            report.stored += result.accepted
            report.duplicates += result.duplicates
        elif kind == "items":
            report.stored += self.ingestor.add_items([m.to_domain(now) for m in models])
        else:
            report.stored += self.ingestor.add_users([m.to_domain() for m in models])


def _validate_chunk(rows: list[Row], kind: Kind, start: int, report: ImportReport) -> list[Valid]:
    shape, model, _ = _PLAN[kind]
    valid: list[Valid] = []
    for offset, row in enumerate(rows):
        if isinstance(row, BadRow):
            report.reject(row.number, row.reason)
            continue
        try:
            valid.append((start + offset, model.model_validate(shape(row))))
        except ValidationError as error:
            report.reject(start + offset, _reason(error))
    return valid


def import_file(
    path: Path,
    target: Ingestor | Sink,
    kind: Kind | None = None,
    chunk_rows: int = 20_000,
    on_rows: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file into a store (an ``Ingestor``) or another sink; ``on_rows`` is told how many
    rows each chunk held (for a progress bar)."""
    sink = LocalSink(target) if isinstance(target, Ingestor) else target
    columns = columns_of(path)
    resolved: Kind = kind or detect_kind(columns)
    report = ImportReport(path=path, kind=resolved)
    started = time.perf_counter()
    known = _PLAN[resolved][2]
    typed = [c for c in columns if c not in known]  # extra columns become attributes
    for chunk in read_chunks(path, chunk_rows, infer=typed):
        first_row = report.rows + (2 if path.suffix.lower() == ".csv" else 1)
        sink.store(resolved, _validate_chunk(chunk, resolved, first_row, report), report)
        report.rows += len(chunk)
        if on_rows is not None:
            on_rows(len(chunk))
    report.seconds = time.perf_counter() - started
    return report
