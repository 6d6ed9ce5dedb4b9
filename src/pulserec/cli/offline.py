"""Offline work on stored data: ``evaluate`` and ``recommend`` (every list to a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pulserec.cli.common import (
    ArtifactsDir,
    ConfigFile,
    SettingsDataDir,
    StoreUrl,
    command_settings,
    console,
    fail,
)


def evaluate(
    dataset: Annotated[
        str | None,
        typer.Option(help="movielens-100k (the default) or movielens-1m."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Evaluate on this data dir's stored items and events."),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(help="random, temporal, recent, loo, cold-items, ratings or replay."),
    ] = None,
    models: Annotated[
        str | None, typer.Option(help="Comma-separated model names (default: all).")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Cut-off of the main metrics.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the split and the models.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output dir (default <PULSEREC_EVAL_DIR, ./pulserec-eval>/<protocol>, "
            "where a server's evaluation panel reads).",
        ),
    ] = None,
) -> None:
    """Offline evaluation (BENCHMARKS.md): prints a table, writes results.json, report.md, plots."""
    from pulserec.evaluation.cli import run_evaluate

    if protocol is None:
        fail(
            "--protocol is required (random, temporal, recent, loo, cold-items, ratings or replay)"
        )
        return
    if dataset is not None and data_dir is not None:
        fail("give --dataset or --data-dir, not both")
    names = None if models is None else [m.strip() for m in models.split(",") if m.strip()]
    settings = command_settings(None)
    config = settings.engine  # a data dir's encoder, domain and event types
    code = run_evaluate(
        dataset or "movielens-100k",
        protocol,
        names,
        k,
        seed,
        out,
        data_dir=data_dir,
        config=config,
        eval_dir=settings.server.eval_dir,
    )
    if code:
        raise typer.Exit(code=code)


def recommend(
    out: Annotated[Path, typer.Option("--out", help="FILE.jsonl, FILE.csv or FILE.parquet.")],
    users: Annotated[
        Path | None,
        typer.Option(
            "--users",
            help="Users file: one id a line, or a CSV/JSONL/Parquet user_id (or id) column.",
        ),
    ] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Every stored user.")] = False,
    k: Annotated[int, typer.Option("--k", help="Items per user (1-1000).")] = 10,
    data_dir: SettingsDataDir = None,
    url: Annotated[
        str | None, typer.Option("--url", help="A running server (its batch route) instead.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="X-API-Key for --url (or PULSEREC_API_KEY).")
    ] = None,
    store: StoreUrl = None,
    artifacts: ArtifactsDir = None,
    config: ConfigFile = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="Only items that pass (repeatable, ANDed): explicit:false, !category:Metal, "
            "year:1990..1999 (as the API's filter=).",
        ),
    ] = None,
) -> None:
    """Every user's list (--all) or a file's users (--users) to a file, with a progress bar:
    from the settings' store and published models, or from a running server (--url)."""
    from pulserec.cli.recommend import run_recommend

    if (users is None) == (not all_users):
        fail("give --users FILE or --all (one of them)")
    settings = command_settings(config, data_dir=data_dir, store=store, artifacts=artifacts)
    try:
        key = api_key or settings.server.api_key
        done, version = run_recommend(
            users, k, out, settings, url, key, filters=tuple(filters or ())
        )
    except ValueError as exc:
        fail(str(exc))
        return
    console.print(f"wrote {done:,} users' lists to {out} (model version {version})")
