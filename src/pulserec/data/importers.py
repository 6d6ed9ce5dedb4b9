"""Bulk import of items, users or events from CSV, JSONL or Parquet.

Rows go through the same validation as the HTTP API (``pulserec.core.schemas``); valid rows are
stored chunk by chunk (each chunk atomically, retries deduplicated by ``event_id``), invalid ones
are counted and reported with their line (row) number and reason, and the others are stored. An
item or user id that an earlier row of the same file had is a duplicate: counted and sampled,
the first row kept. In CSV, the extra columns of items and users (the ones folded into
``attributes``) get an inferred int, float or bool type; the named fields stay strings for the
schema to parse.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ValidationError

from pulserec.core.schemas import EventIn, ItemIn, UserIn
from pulserec.data.import_report import KINDS, ImportReport, Kind
from pulserec.data.readers import (
    BadRow,
    Numbered,
    ReadOptions,
    UnreadableFileError,
    columns_of,
    file_format,
    read_chunks,
)
from pulserec.storage.ingest import Ingestor
from pulserec.storage.tombstones import FORGOTTEN_MESSAGE, RESTORE_HINT

__all__ = ["KINDS", "ImportReport", "Kind", "LocalSink", "Sink", "detect_kind", "import_file"]

ITEM_FIELDS = frozenset(ItemIn.model_fields)
USER_FIELDS = frozenset(UserIn.model_fields)
EVENT_FIELDS = frozenset(EventIn.model_fields)
REQUIRED: dict[Kind, tuple[str, ...]] = {
    "items": ("id", "title"),
    "users": ("id",),
    "events": ("user_id", "type"),
}
LIST_SEPARATOR = "|"


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


def _json_object(value: Any) -> Any:
    """An ``attributes`` cell: a JSON object written as text (CSV) becomes that object; anything
    else is left for the schema to refuse."""
    if isinstance(value, str | bytes):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return parsed if isinstance(parsed, dict) else value
    return value


def _split_extras(row: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """Known fields as they are; other non-null columns folded into ``attributes``."""
    shaped = {k: v for k, v in row.items() if k in known and v is not None}
    extras = {k: v for k, v in row.items() if k not in known and v is not None}
    if "attributes" in shaped:
        shaped["attributes"] = _json_object(shaped["attributes"])
    attributes = shaped.get("attributes", {})
    if extras and isinstance(attributes, dict):
        shaped["attributes"] = {**extras, **attributes}
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
    """Known fields as they are (empty ones left out); the other columns (``ms_played``) are
    folded into ``attributes`` by ``EventIn`` itself, as over HTTP."""
    shaped = {k: v for k, v in row.items() if v is not None and v != ""}
    if "attributes" in shaped:
        shaped["attributes"] = _json_object(shaped["attributes"])
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
            while result.forgotten:  # a deleted user's (storage.tombstones): refused whole
                for index in result.forgotten:
                    report.reject(rows[index][0], f"user_id: {FORGOTTEN_MESSAGE}")
                gone = set(result.forgotten)
                rows = [row for n, row in enumerate(rows) if n not in gone]
                models = [model for _, model in rows]
                result = self.ingestor.add_events([m.to_domain(now) for m in models])
            report.stored += result.accepted
            report.duplicates += result.duplicates
        elif kind == "items":
            report.stored += self.ingestor.add_items([m.to_domain(now) for m in models])
        else:
            users = [m.to_domain() for m in models]
            dead = self.ingestor.store.forgotten([u.id for u in users])
            for (number, _), user in zip(rows, users, strict=True):
                if user.id in dead:
                    report.reject(number, f"id: {FORGOTTEN_MESSAGE}{RESTORE_HINT}")
            report.stored += self.ingestor.add_users([u for u in users if u.id not in dead])


class _Validator:
    """Validates one file's rows; remembers the item or user ids seen, to report repeats."""

    def __init__(self, kind: Kind, report: ImportReport) -> None:
        self.shape, self.model, _ = _PLAN[kind]
        self.report = report
        self.seen: set[int] | None = None if kind == "events" else set()

    def chunk(self, rows: list[Numbered]) -> list[Valid]:
        """The valid rows of ``rows``; the others are counted in the report."""
        valid: list[Valid] = []
        for number, row in rows:
            if isinstance(row, BadRow):
                self.report.reject(row.number, row.reason)
                continue
            try:
                model: Any = self.model.model_validate(self.shape(row))
            except ValidationError as error:
                self.report.reject(number, _reason(error))
                continue
            if self.seen is not None:
                key = str(model.id)
                if hash(key) in self.seen:
                    self.report.repeat(number, key)
                    continue
                self.seen.add(hash(key))
            valid.append((number, model))
        return valid


def resolve_kind(path: Path, kind: Kind | None, options: ReadOptions | None = None) -> Kind:
    """The kind of ``path``: ``kind`` if given, else detected from its columns. A CSV or Parquet
    file without the columns its kind needs is refused (UnreadableFileError)."""
    columns = columns_of(path, options)
    resolved: Kind = kind or detect_kind(columns)
    missing = [name for name in REQUIRED[resolved] if name not in columns]
    if missing and file_format(path) != "jsonl":  # JSONL keys vary by line: checked per row
        raise UnreadableFileError(
            f"{path}: {resolved} need the columns {', '.join(REQUIRED[resolved])}; the file has "
            f"{', '.join(columns) or 'none'}"
        )
    return resolved


def import_file(
    path: Path,
    target: Ingestor | Sink,
    kind: Kind | None = None,
    chunk_rows: int = 20_000,
    on_rows: Callable[[int], None] | None = None,
    *,
    options: ReadOptions | None = None,
) -> ImportReport:
    """Import one file into a store (an ``Ingestor``) or another sink; ``on_rows`` is told how many
    rows each chunk held (for a progress bar). ``options``: the CSV delimiter and the encoding."""
    sink = LocalSink(target) if isinstance(target, Ingestor) else target
    resolved = resolve_kind(path, kind, options)
    report = ImportReport(path=path, kind=resolved)
    started = time.perf_counter()
    known = _PLAN[resolved][2]
    typed = [c for c in columns_of(path, options) if c not in known]  # extras become attributes
    validator = _Validator(resolved, report)
    for chunk in read_chunks(path, chunk_rows, infer=typed, options=options):
        sink.store(resolved, validator.chunk(chunk), report)
        report.rows += len(chunk)
        if on_rows is not None:
            on_rows(len(chunk))
    report.seconds = time.perf_counter() - started
    return report
