"""Commands that put data in a data dir: ``import``, ``synth`` and ``embed``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pulserec.cli.common import (
    ConfigFile,
    SettingsDataDir,
    StoreUrl,
    command_settings,
    console,
    fail,
)


def import_files(
    files: Annotated[list[Path], typer.Argument(help="CSV (or TSV), JSONL or Parquet files.")],
    kind: Annotated[
        str | None, typer.Option(help="items, users or events (default: detect).")
    ] = None,
    data_dir: SettingsDataDir = None,
    url: Annotated[
        str | None, typer.Option(help="Import through this running server's API instead.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="X-API-Key for --url (or PULSEREC_API_KEY).")
    ] = None,
    config: ConfigFile = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help="CSV delimiter: one character or tab (default: detect , ; tab |)."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Encoding of CSV and JSONL files (default: utf-8).")
    ] = None,
) -> None:
    """Bulk-load items, users or events; rejected rows are summarised with reasons.

    Items are imported before users before events, whatever the order of the files. Into a data
    dir that a running server holds, the rows go through that server's API (it sees them at
    once); if it does not answer, the import is refused. Event types are the built-in ones and
    those of the settings file's ``\\[events]`` table (``--config`` or ``PULSEREC_CONFIG``)."""
    from pulserec.cli.import_files import remote_target, run_import
    from pulserec.data.readers import ReadOptions

    if kind is not None and kind not in ("items", "users", "events"):
        fail(f"--kind must be items, users or events, not {kind!r}")
    try:
        options = ReadOptions(delimiter=delimiter, encoding=encoding)
    except ValueError as exc:
        fail(str(exc))
        return
    settings = command_settings(config, data_dir=data_dir)  # its [events]: the types it accepts
    data_dir = settings.data_dir
    try:
        remote = remote_target(data_dir, url, api_key or settings.server.api_key, console)
    except ValueError as exc:
        fail(str(exc))
        return
    stored, unreadable = run_import(files, kind, data_dir, console, remote, options)
    if unreadable:
        fail(f"{unreadable} file(s) could not be imported (see above)")
    if stored == 0:
        fail("nothing was imported")


def synth(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    domain: Annotated[str, typer.Option(help="ecommerce, news or music.")] = "ecommerce",
    items: Annotated[int, typer.Option(help="Number of items.")] = 10_000,
    users: Annotated[int, typer.Option(help="Number of users.")] = 2_000,
    events: Annotated[int, typer.Option(help="Number of events.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a synthetic catalog, users and sessions (items/users/events.jsonl)."""
    from pulserec.data.synthetic import write_synthetic

    try:
        summary = write_synthetic(out, domain, items, users, events, seed=seed)
    except ValueError as exc:
        fail(str(exc))
        return
    counts = f"{summary.items:,} items, {summary.users:,} users, {summary.events:,} events"
    console.print(f"wrote {counts} to {out}")


def embed(
    data_dir: SettingsDataDir = None,
    encoder: Annotated[
        str | None,
        typer.Option(help="Encoder name (see docs/encoders.md; default: the settings' item one)."),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(help="movie, ecommerce, news, music or generic (default: the settings')."),
    ] = None,
    store_url: StoreUrl = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Encode on a Ray cluster: auto, ray://host:port, host:port."),
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Encode every item's text into the data dir's embedding cache (unchanged text is skipped);
    with --ray, on a Ray cluster's actors (identical vectors)."""
    import time

    from pulserec.encoders import load_encoder
    from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache
    from pulserec.engine.lifecycle.embedding import embed_catalog
    from pulserec.storage import open_store

    settings = command_settings(config, data_dir=data_dir, store=store_url)
    encoder = encoder or settings.engine.item_encoder
    domain = domain or settings.engine.text_recipe
    store = open_store(settings.store_target)
    cache = EmbeddingCache(settings.data_dir / CACHE_FILENAME)
    try:
        started = time.perf_counter()
        on_ray = (ray, encoder) if ray else None
        result = embed_catalog(store, load_encoder(encoder), cache, domain, ray=on_ray)
        elapsed = time.perf_counter() - started
    except ValueError as exc:
        fail(str(exc))
        return
    finally:
        cache.close()
        store.close()
    where = f", on Ray at {ray}" if ray else ""
    rate = len(result.ids) / elapsed if elapsed else 0.0
    console.print(
        f"{len(result.ids):,} item vectors ready in {elapsed:.1f} s ({encoder}{where}):"
        f" {rate:,.0f} items/s"
    )
