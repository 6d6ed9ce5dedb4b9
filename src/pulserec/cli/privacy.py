"""``pulserec privacy``: what is held about people; audits."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pulserec.cli.common import (
    ArtifactsDir,
    ConfigFile,
    SettingsDataDir,
    StoreUrl,
    command_settings,
)

privacy_app = typer.Typer(no_args_is_help=True, help="What is held about people; audits.")


@privacy_app.command("report")
def privacy_report(
    user: Annotated[
        str | None, typer.Option("--user", help="Also list every trace of this user id.")
    ] = None,
    data_dir: SettingsDataDir = None,
    store: StoreUrl = None,
    artifacts: ArtifactsDir = None,
    config: ConfigFile = None,
) -> None:
    """What the store and the model artifacts hold about people (JSON); with --user, every
    place that id still appears, exit status 1 when there is any."""
    from pulserec.app.runtime import artifacts as artifact_store
    from pulserec.privacy.audit import privacy_report as build_report
    from pulserec.storage import open_store

    settings = command_settings(config, data_dir=data_dir, store=store, artifacts=artifacts)
    opened = open_store(settings.store_target)
    try:
        report = build_report(opened, artifact_store(settings.artifacts_dir), user)
    finally:
        opened.close()
    print(json.dumps(report, indent=2))
    if user is not None and not report["user"]["forgotten"]:
        raise typer.Exit(code=1)
