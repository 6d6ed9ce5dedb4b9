"""``pulserec import``: progress bars and a summary around the importers.

Rows go into the data dir's store, or through a server's API: the one given with ``--url``, or
the live server that holds the data dir (``server.json``), so that server sees them at once.
Every file's kind is known before any is read, so items go in before users before events
whatever the order given (events never make placeholders of items the same command brings).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from pulserec.app.server_lock import live_server
from pulserec.cli.http_import import HttpSink, reachable
from pulserec.data.import_report import KINDS, OTHER_REASONS
from pulserec.data.importers import ImportReport, Kind, LocalSink, Sink, import_file, resolve_kind
from pulserec.data.readers import ReadOptions, UnreadableFileError
from pulserec.storage import open_store
from pulserec.storage.ingest import Ingestor

HTTP_CHUNK_ROWS = 5_000


def remote_target(
    data_dir: Path, url: str | None, api_key: str | None, console: Console
) -> HttpSink | None:
    """The server to import through, or None for the local store; ValueError (one line) when
    the server given or the one holding the data dir cannot be reached."""
    if url is not None:
        if not reachable(url):
            raise ValueError(f"cannot reach a pulserec server at {url} (GET /healthz failed)")
        return HttpSink(url, api_key)
    server = live_server(data_dir)
    if server is None:
        return None
    if not reachable(server.url):
        raise ValueError(
            f"the data dir {data_dir} is held by a running server (pid {server.pid}, "
            f"{server.url}) that does not answer yet; use --url {server.url} once it is up, "
            "or stop it first"
        )
    console.print(
        f"{data_dir} is held by the server at {server.url} (pid {server.pid}): "
        "importing through its API",
        soft_wrap=True,
    )
    return HttpSink(server.url, api_key)


def run_import(
    files: list[Path],
    kind: str | None,
    data_dir: Path,
    console: Console,
    remote: HttpSink | None = None,
    options: ReadOptions | None = None,
) -> tuple[int, int]:
    """Import every file (items, then users, then events) and print a summary table; returns
    (records stored, unreadable files). With ``remote`` the rows go through that server's API
    instead of the local store. ``options``: the CSV delimiter and the encoding."""
    options = options or ReadOptions()
    planned, unreadable = _plan(files, cast(Kind | None, kind), options, console)
    if remote is not None:
        stored, failed = _import_all(planned, remote, HTTP_CHUNK_ROWS, options, console)
        return stored, unreadable + failed
    store = open_store(data_dir)
    try:
        sink = LocalSink(Ingestor(store))
        stored, failed = _import_all(planned, sink, 20_000, options, console)
        return stored, unreadable + failed
    finally:
        store.close()


def _plan(
    files: list[Path], kind: Kind | None, options: ReadOptions, console: Console
) -> tuple[list[tuple[Path, Kind]], int]:
    """Each readable file with its kind, items first, then users, then events (in the order
    given within a kind); the others are reported and counted."""
    planned: list[tuple[Path, Kind]] = []
    unreadable = 0
    for path in files:
        try:
            planned.append((path, resolve_kind(path, kind, options)))
        except ValueError as exc:  # UnreadableFileError too
            unreadable += 1
            _cannot(path, exc, console)
    planned.sort(key=lambda entry: KINDS.index(entry[1]))
    return planned, unreadable


def _import_all(
    planned: list[tuple[Path, Kind]],
    sink: Sink,
    chunk_rows: int,
    options: ReadOptions,
    console: Console,
) -> tuple[int, int]:
    reports: list[ImportReport] = []
    unreadable = 0
    for path, kind in planned:
        with tqdm(desc=path.name, unit=" rows") as bar:
            try:
                reports.append(
                    import_file(path, sink, kind, chunk_rows, bar.update, options=options)
                )
            except (UnreadableFileError, ValueError) as exc:
                unreadable += 1
                _cannot(path, exc, console)
    _print_summary(reports, console)
    return sum(r.stored for r in reports), unreadable


def _cannot(path: Path, error: Exception, console: Console) -> None:
    why = str(error).removeprefix(f"{path}: ")
    console.print(f"[red]cannot import {path}:[/red] {why}", soft_wrap=True)


def _print_summary(reports: list[ImportReport], console: Console) -> None:
    table = Table(title="import summary")
    for column in ("file", "kind", "rows", "stored", "duplicates", "rejected", "rows/s"):
        table.add_column(column, justify="left" if column in ("file", "kind") else "right")
    for r in reports:
        rate = r.rows / r.seconds if r.seconds > 0 else 0.0
        table.add_row(
            str(r.path),
            r.kind,
            f"{r.rows:,}",
            f"{r.stored:,}",
            f"{r.duplicates:,}",
            f"{r.rejected:,}",
            f"{rate:,.0f}",
        )
    console.print(table)
    for r in reports:
        if r.rejected:
            _print_rejections(r, console)
        if r.repeats:
            console.print(
                f"[yellow]{r.path}: {r.repeats:,} rows repeat the id of an earlier row of the "
                "file (counted as duplicates; the first row is kept)[/yellow]",
                soft_wrap=True,
            )
            for sample in r.repeated[:5]:
                console.print(f"  e.g. {sample}", soft_wrap=True)


def _print_rejections(r: ImportReport, console: Console) -> None:
    """The rejected count, then reasons whose counts add up to it (the rarest grouped)."""
    console.print(f"[yellow]{r.path}: {r.rejected:,} rows rejected[/yellow]", soft_wrap=True)
    shown = [item for item in r.reasons.most_common() if item[0] != OTHER_REASONS][:5]
    for reason, count in shown:
        console.print(f"  {count:,} × {reason}", soft_wrap=True)
    rest = r.rejected - sum(count for _, count in shown)
    if rest:
        console.print(f"  {rest:,} × {OTHER_REASONS}", soft_wrap=True)
    for sample in r.samples[:5]:
        console.print(f"  e.g. {sample}", soft_wrap=True)
