"""``pulserec import``: progress bars and a summary around the importers."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from pulserec.data.importers import ImportReport, Kind, import_file
from pulserec.data.readers import UnreadableFileError
from pulserec.ingest import Ingestor
from pulserec.storage import open_store


def run_import(
    files: list[Path], kind: str | None, data_dir: Path, console: Console
) -> tuple[int, int]:
    """Import every file and print a summary table; returns (records stored, unreadable files)."""
    store = open_store(data_dir)
    ingestor = Ingestor(store)
    reports: list[ImportReport] = []
    unreadable = 0
    try:
        for path in files:
            with tqdm(desc=path.name, unit=" rows") as bar:
                try:
                    reports.append(
                        import_file(path, ingestor, cast(Kind | None, kind), on_rows=bar.update)
                    )
                except (UnreadableFileError, ValueError) as exc:
                    unreadable += 1
                    console.print(f"[red]cannot import {path}:[/red] {exc}", soft_wrap=True)
    finally:
        store.close()
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
        if r.ignored_columns:
            console.print(
                f"{r.path}: ignored columns {', '.join(r.ignored_columns)}", soft_wrap=True
            )
        if r.rejected:
            console.print(
                f"[yellow]{r.path}: {r.rejected:,} rows rejected[/yellow]", soft_wrap=True
            )
            for reason, count in r.reasons.most_common(5):
                console.print(f"  {count:,} × {reason}", soft_wrap=True)
            for sample in r.samples[:5]:
                console.print(f"  e.g. {sample}", soft_wrap=True)
