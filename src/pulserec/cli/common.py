"""What every ``pulserec`` command shares: the option types, the stderr console, the one-line
failure and the command's settings (its flags over the process's settings)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from pulserec.core.config import DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from pulserec.app.settings import Settings

console = Console(stderr=True)
process_settings: list[Settings] = []  # read once by main(), before any command runs

DataDir = Annotated[Path, typer.Option("--data-dir", help="Where the store lives.")]
SettingsDataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help=f"Where the store lives (default {DEFAULT_DATA_DIR})."),
]
StoreUrl = Annotated[
    str | None,
    typer.Option("--store", help="Store URL: sqlite:///path or postgresql://user@host:port/db."),
]
BusUrl = Annotated[str | None, typer.Option("--bus", help="Change log bus: redis://host:port/db.")]
ArtifactsDir = Annotated[
    Path | None,
    typer.Option("--artifacts", help="Where model versions are published (default: D)."),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="A TOML settings file (or PULSEREC_CONFIG).", dir_okay=False),
]


def fail(message: str) -> None:
    """Exit non-zero with a one-line reason on stderr."""
    print(f"pulserec: {message}", file=sys.stderr)
    raise typer.Exit(code=1)


def command_settings(config: Path | None, **flags: object) -> Settings:
    """This command's settings: its flags over the environment over the settings file."""
    from pulserec.app.settings import Settings

    try:
        if config is None and process_settings:
            return process_settings[0].with_flags(flags)
        return Settings.load({"config": config, **flags})
    except ValueError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits
