"""The ``pulserec`` command line: the app, its commands in the order ``--help`` lists them, and
the console entry point. The commands live beside it (serving, data_commands, offline, training,
bench, privacy); benchmarks are imported only when their command runs."""

from __future__ import annotations

import logging
import sys

import typer
from tqdm import tqdm

from pulserec.cli.bench import bench_app
from pulserec.cli.common import process_settings
from pulserec.cli.consume import consume
from pulserec.cli.data_commands import embed, import_files, synth
from pulserec.cli.offline import evaluate, recommend
from pulserec.cli.privacy import privacy_app
from pulserec.cli.serving import demo, serve
from pulserec.cli.training import train, trainer
from pulserec.core.config import limit_threads, use_cache_dir

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="pulserec: real-time recommendations."
)
app.add_typer(bench_app, name="bench")
app.add_typer(privacy_app, name="privacy")
app.command()(serve)
app.command()(demo)
app.command("import")(import_files)
app.command()(consume)
for _command in (synth, embed, evaluate, recommend, train, trainer):
    app.command()(_command)


def main() -> None:
    """Console entry point: the thread limit, settings read once, logging, the command."""
    from pulserec.app.settings import Settings

    limit_threads()
    try:
        process_settings.append(Settings.load())
    except ValueError as exc:
        print(f"pulserec: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    use_cache_dir(process_settings[0].cache_dir)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    tqdm.monitor_interval = 0
    app()
