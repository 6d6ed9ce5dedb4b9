"""``pulserec train`` (once) and ``pulserec trainer`` (every interval)."""

from __future__ import annotations

from typing import Annotated

import typer

from pulserec.cli.common import (
    ArtifactsDir,
    BusUrl,
    ConfigFile,
    SettingsDataDir,
    StoreUrl,
    command_settings,
    fail,
)


def train(
    data_dir: SettingsDataDir = None,
    store: StoreUrl = None,
    artifacts: ArtifactsDir = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Fit independent models as tasks on a Ray cluster."),
    ] = None,
    config: ConfigFile = None,
) -> None:
    """(Re)train every configured model from the stored events and publish a new version."""
    from pulserec.app.server import train_models

    try:
        settings = command_settings(config, data_dir=data_dir, store=store, artifacts=artifacts)
        meta = train_models(settings, ray=ray)
    except ValueError as exc:
        fail(str(exc))
        return
    print(f"trained model version {meta['model_version']}")
    for name, served in meta.get("served", {}).items():
        figure = served.get("served_ndcg@10")
        held_out = f", held-out NDCG@10 {figure:.4f}" if figure is not None else ""
        skipped = "; ".join(f"{s}: {why}" for s, why in served["skipped"].items())
        print(
            f"{name}: served by {served['served_by']} ({served['ranker'] or 'a source'}) over "
            f"{', '.join(served['sources'])}{held_out}" + (f"; {skipped}" if skipped else "")
        )
        if "note" in served:
            print(f"{name}: {served['note']}")


def trainer(
    data_dir: SettingsDataDir = None,
    every: Annotated[str, typer.Option(help="How often: 30s, 10m, 1h.")] = "10m",
    store: StoreUrl = None,
    bus: BusUrl = None,
    artifacts: ArtifactsDir = None,
    config: ConfigFile = None,
) -> None:
    """Keep training: publish a new version every interval when new events arrived; with
    --bus, trainers on several hosts share the work through a consumer group."""
    from pulserec.app.server import keep_training
    from pulserec.engine.serving.lookups import parse_window

    try:
        seconds = float(every[:-1]) if every.endswith("s") else parse_window(every)
    except ValueError:
        fail(f"--every must look like 30s, 10m or 1h, not {every!r}")
    settings = command_settings(
        config, data_dir=data_dir, store=store, bus=bus, artifacts=artifacts
    )
    keep_training(settings, seconds)
