"""``pulserec evaluate``: check the request, run the protocol, print a table, write the report.

The data is a named data set (``--dataset``) or the user's own stored data (``--data-dir``,
protocols ``STORE_PROTOCOLS``); both give the same outputs."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pulserec.core.config import DEFAULT_EVAL_DIR
from pulserec.engine.config import EngineConfig
from pulserec.evaluation.data import DATASETS, load_eval_data
from pulserec.evaluation.models import BASELINES, load_registry, unavailable_models
from pulserec.evaluation.protocols import PROTOCOLS, RATING_PROTOCOLS
from pulserec.evaluation.replay import run_replay, write_replay_report
from pulserec.evaluation.report import table_columns, write_report
from pulserec.evaluation.runner import EvalResult, evaluate
from pulserec.evaluation.store_data import load_store_data

ALL_PROTOCOLS = (*PROTOCOLS, "replay")
STORE_PROTOCOLS = ("temporal", "recent", "random", "loo", "cold-items")


class UsageError(ValueError):
    """A bad request: unknown data set, protocol or model, or a bad ``k``."""


def check_request(
    dataset: str,
    protocol: str,
    models: Sequence[str] | None,
    k: int,
    data_dir: Path | None = None,
) -> None:
    """Raise :class:`UsageError` (one line) for anything the run could not do."""
    if data_dir is None and dataset not in DATASETS:
        raise UsageError(f"unknown data set {dataset!r} (known: {', '.join(DATASETS)})")
    if protocol not in ALL_PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r} (known: {', '.join(ALL_PROTOCOLS)})")
    if data_dir is not None and protocol not in STORE_PROTOCOLS:
        usable = ", ".join(STORE_PROTOCOLS)
        raise UsageError(f"--data-dir evaluates {usable}; protocol {protocol!r} needs --dataset")
    if k < 1:
        raise UsageError(f"--k must be at least 1, not {k}")
    if models is None:
        return
    if not models:
        raise UsageError("--models names no model")
    registry = load_registry()
    known = [*registry, *BASELINES]
    if unknown := [name for name in models if name not in known]:
        raise UsageError(f"unknown model(s) {', '.join(unknown)} (known: {', '.join(known)})")
    rating = protocol in RATING_PROTOCOLS
    if rating and (wrong := [n for n in models if n not in registry or not registry[n].rating]):
        raise UsageError(f"model(s) {', '.join(wrong)} do not predict ratings")


def results_table(result: EvalResult) -> Table:
    """The run's main figures, one row per model."""
    columns = table_columns(result.protocol, result.k)
    table = Table(title=f"{result.dataset} · {result.protocol} · seed {result.seed}")
    table.add_column("model")
    for column in [*columns, "fit s"]:
        table.add_column(column, justify="right")
    for name, r in result.models.items():
        cells = [f"{r.metrics[c]:.4f}" if c in r.metrics else "–" for c in columns]
        table.add_row(name, *cells, f"{r.fit_seconds:.2f}")
    return table


def run_evaluate(
    dataset: str,
    protocol: str,
    models: list[str] | None,
    k: int,
    seed: int,
    out: Path | None,
    progress: bool = True,
    data_dir: Path | None = None,
    config: EngineConfig | None = None,
    eval_dir: Path = DEFAULT_EVAL_DIR,
) -> int:
    """Evaluate and write ``results.json``, ``report.md`` and plots into ``out``.

    With ``data_dir`` the data is what that data dir stores, not ``dataset``. ``out`` defaults
    to ``<eval_dir>/<protocol>`` (``PULSEREC_EVAL_DIR``, where the server's panel reads;
    ``./pulserec-eval`` unset). Returns the exit status: 0 on success, 2 on a bad request
    and 1 when the data cannot be loaded, each with one line on stderr. ``config``: the engine
    settings (encoder, domain, event rules) that a data dir and the replay use (default: the
    defaults).
    """
    config = config or EngineConfig()
    try:
        check_request(dataset, protocol, models, k, data_dir)
    except UsageError as exc:
        print(f"pulserec: {exc}", file=sys.stderr)
        return 2
    if protocol == "replay":
        return run_replay_protocol(models, k, out, progress, dataset, config, eval_dir)
    source = dataset if data_dir is None else str(data_dir)
    try:
        if data_dir is None:
            data = load_eval_data(dataset, progress=progress)
        else:
            data = load_store_data(data_dir, config, progress=progress)
    except (OSError, RuntimeError) as exc:
        print(f"pulserec: cannot load {source}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    if missing := [name for name in models or () if name in unavailable_models(data)]:
        reason = "no item text embeddings could be made (see the log)"
        print(f"pulserec: model(s) {', '.join(missing)} need them: {reason}", file=sys.stderr)
        return 2
    result = evaluate(data, protocol, models, k, seed, progress=progress)
    target = out if out is not None else eval_dir / protocol
    command = command_line(dataset, protocol, models, k, seed, target, data_dir)
    files = write_report(result, target, command)
    show(result, files)
    return 0


def run_replay_protocol(
    models: list[str] | None,
    k: int,
    out: Path | None,
    progress: bool,
    dataset: str = "movielens-100k",
    config: EngineConfig | None = None,
    eval_dir: Path = DEFAULT_EVAL_DIR,
) -> int:
    """The replay protocol: its own table and report (hit rate and events/s per mode)."""
    results = run_replay(models, k, progress, dataset, config)
    target = out if out is not None else eval_dir / "replay"
    command = command_line(dataset, "replay", models, k, 0, target)
    files = write_replay_report(results, k, target, command, dataset)
    table = Table(title=f"{dataset} · replay (predict, then learn)")
    for column in ("model", "mode", f"hit@{k}", "events/s", "fit s"):
        table.add_column(column, justify="left" if column in ("model", "mode") else "right")
    for r in results:
        table.add_row(
            r.model,
            r.mode,
            f"{r.hit_rate:.4f}",
            f"{r.events_per_second:,.0f}",
            f"{r.fit_seconds:.1f}",
        )
    console = Console()
    if not console.is_terminal:
        console.width = 200
    console.print(table)
    print(f"wrote {', '.join(str(f) for f in files)}", file=sys.stderr)
    return 0


def show(result: EvalResult, files: list[Path]) -> None:
    """The table on stdout; notes and the files written on stderr."""
    console = Console()
    if not console.is_terminal:
        console.width = 200  # a log file or pipe: never truncate the figures
    console.print(results_table(result))
    for note in result.notes:
        print(note, file=sys.stderr)
    written = ", ".join(str(f) for f in files)
    print(f"wrote {written} ({result.wall_seconds:.1f} s)", file=sys.stderr)


def command_line(
    dataset: str,
    protocol: str,
    models: list[str] | None,
    k: int,
    seed: int,
    out: Path,
    data_dir: Path | None = None,
) -> str:
    """The CLI line that reproduces a run (recorded in the report)."""
    source = ["--dataset", dataset] if data_dir is None else ["--data-dir", str(data_dir)]
    parts = ["pulserec", "evaluate", *source, "--protocol", protocol]
    parts += ["--models", ",".join(models)] if models is not None else []
    parts += ["--k", str(k), "--seed", str(seed), "--out", str(out)]
    return shlex.join(parts)
