"""``pulserec import``: progress bars and a summary around the importers.

Rows go into the data dir's store, or through a server's API: the one given with ``--url``, or
the live server that holds the data dir (``server.json``), so that server sees them at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from pulserec.app.server_lock import live_server
from pulserec.cli.http_import import HttpSink, reachable
from pulserec.data.importers import ImportReport, Kind, LocalSink, Sink, import_file
from pulserec.data.readers import UnreadableFileError
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
) -> tuple[int, int]:
    """Import every file and print a summary table; returns (records stored, unreadable files).
    With ``remote`` the rows go through that server's API instead of the local store."""
    if remote is not None:
        return _import_all(files, kind, remote, HTTP_CHUNK_ROWS, console)
    store = open_store(data_dir)
    try:
        return _import_all(files, kind, LocalSink(Ingestor(store)), 20_000, console)
    finally:
        store.close()


def _import_all(
    files: list[Path], kind: str | None, sink: Sink, chunk_rows: int, console: Console
) -> tuple[int, int]:
    reports: list[ImportReport] = []
    unreadable = 0
    for path in files:
        with tqdm(desc=path.name, unit=" rows") as bar:
            try:
                reports.append(
                    import_file(path, sink, cast(Kind | None, kind), chunk_rows, bar.update)
                )
            except (UnreadableFileError, ValueError) as exc:
                unreadable += 1
                console.print(f"[red]cannot import {path}:[/red] {exc}", soft_wrap=True)
    _print_summary(reports, console)
    return sum(r.stored for r in reports), unreadable


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
            console.print(
                f"[yellow]{r.path}: {r.rejected:,} rows rejected[/yellow]", soft_wrap=True
            )
            for reason, count in r.reasons.most_common(5):
                console.print(f"  {count:,} × {reason}", soft_wrap=True)
            for sample in r.samples[:5]:
                console.print(f"  e.g. {sample}", soft_wrap=True)
