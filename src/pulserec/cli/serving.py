"""``pulserec serve`` and ``pulserec demo``: the HTTP API and the web page."""

from __future__ import annotations

from typing import Annotated

import typer

from pulserec.cli.common import (
    ArtifactsDir,
    BusUrl,
    ConfigFile,
    DataDir,
    SettingsDataDir,
    StoreUrl,
    command_settings,
    fail,
)
from pulserec.core.config import DEFAULT_DATA_DIR


def serve(
    data_dir: SettingsDataDir = None,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8000).")] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="movielens-100k or movielens-1m: load it first if D is empty."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Serving processes (default 1).")
    ] = None,
    store: StoreUrl = None,
    bus: BusUrl = None,
    artifacts: ArtifactsDir = None,
    config: ConfigFile = None,
) -> None:
    """Serve the HTTP API from a data dir (N worker processes share the port); replicas on
    several hosts share --store, --bus and --artifacts."""
    from pulserec.app.server import serve as run_server

    flags = {"data_dir": data_dir, "host": host, "port": port, "dataset": dataset,
             "store": store, "bus": bus, "artifacts": artifacts}  # fmt: skip
    try:
        run_server(command_settings(config, **flags, workers=workers))
    except ValueError as exc:
        fail(str(exc))


def demo(data_dir: DataDir = DEFAULT_DATA_DIR, port: int = 8000) -> None:
    """Serve MovieLens-100k (``serve --dataset movielens-100k``)."""
    serve(
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        dataset="movielens-100k",
        workers=1,
        store=None,
        bus=None,
        artifacts=None,
        config=None,
    )
