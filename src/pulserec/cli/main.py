"""The ``pulserec`` command line."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from tqdm import tqdm

from pulserec.core.config import DEFAULT_DATA_DIR, limit_threads, use_cache_dir

if TYPE_CHECKING:
    from pulserec.app.settings import Settings

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="pulserec: real-time recommendations."
)
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print their figures.")
app.add_typer(bench_app, name="bench")
privacy_app = typer.Typer(no_args_is_help=True, help="What is held about people; audits.")
app.add_typer(privacy_app, name="privacy")
console = Console(stderr=True)
_process_settings: list[Settings] = []  # read once by main(), before any command runs

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


def _settings(config: Path | None, **flags: object) -> Settings:
    """This command's settings: its flags over the environment over the settings file."""
    from pulserec.app.settings import Settings

    try:
        if config is None and _process_settings:
            return _process_settings[0].with_flags(flags)
        return Settings.load({"config": config, **flags})
    except ValueError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits


@app.command()
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
        run_server(_settings(config, **flags, workers=workers))
    except ValueError as exc:
        fail(str(exc))


@app.command()
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


@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="CSV, JSONL or Parquet files.")],
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
) -> None:
    """Bulk-load items, users or events; rejected rows are summarised with reasons.

    Into a data dir that a running server holds, the rows go through that server's API (it sees
    them at once); if it does not answer, the import is refused. Event types are the built-in
    ones and those of the settings file's ``[events]`` table (``--config`` or
    ``PULSEREC_CONFIG``)."""
    from pulserec.cli.import_files import remote_target, run_import

    if kind is not None and kind not in ("items", "users", "events"):
        fail(f"--kind must be items, users or events, not {kind!r}")
    settings = _settings(config, data_dir=data_dir)  # its [events]: the types it accepts
    data_dir = settings.data_dir
    try:
        remote = remote_target(data_dir, url, api_key or settings.server.api_key, console)
    except ValueError as exc:
        fail(str(exc))
        return
    stored, unreadable = run_import(files, kind, data_dir, console, remote)
    if unreadable:
        fail(f"{unreadable} file(s) could not be imported (see above)")
    if stored == 0:
        fail("nothing was imported")


@app.command()
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


@app.command()
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

    settings = _settings(config, data_dir=data_dir, store=store_url)
    encoder = encoder or settings.engine.item_encoder
    domain = domain or settings.engine.domain
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


@app.command()
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
        Path | None, typer.Option("--out", help="Output dir (default ./pulserec-eval/<protocol>).")
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
    config = _settings(None).engine  # a data dir's encoder, domain and event types
    code = run_evaluate(
        dataset or "movielens-100k", protocol, names, k, seed, out, data_dir=data_dir, config=config
    )
    if code:
        raise typer.Exit(code=code)


@app.command()
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
) -> None:
    """Every user's list (--all) or a file's users (--users) to a file, with a progress bar:
    from the settings' store and published models, or from a running server (--url)."""
    from pulserec.cli.recommend import run_recommend

    if (users is None) == (not all_users):
        fail("give --users FILE or --all (one of them)")
    settings = _settings(config, data_dir=data_dir, store=store, artifacts=artifacts)
    try:
        key = api_key or settings.server.api_key
        done, version = run_recommend(users, k, out, settings, url, key)
    except ValueError as exc:
        fail(str(exc))
        return
    console.print(f"wrote {done:,} users' lists to {out} (model version {version})")


@bench_app.command("ingest")
def bench_ingest(
    events: Annotated[int, typer.Option(help="Events to import.")] = 1_000_000,
    http_events: Annotated[int, typer.Option(help="Events to post over HTTP.")] = 200_000,
    batch: Annotated[int, typer.Option(help="Events per HTTP batch.")] = 1_000,
    connections: Annotated[int, typer.Option(help="Concurrent HTTP clients.")] = 2,
) -> None:
    """Import rate (JSONL and CSV) and HTTP ingestion throughput, on fresh data dirs."""
    from pulserec_bench.ingest import run

    run(events, http_events, batch, connections)


@bench_app.command("encoders")
def bench_encoders(
    items: Annotated[int, typer.Option(help="Item texts in the corpus.")] = 5_000,
    queries: Annotated[int, typer.Option(help="Held-out queries.")] = 2_000,
) -> None:
    """Speed, memory and fidelity of every encoder against full all-MiniLM-L6-v2."""
    from pulserec_bench.encoders_run import run

    run(n_items=items, n_queries=queries)


@bench_app.command("diversity")
def bench_diversity(
    model: Annotated[str, typer.Option(help="Registered model to re-rank.")] = "hybrid-no-sequence",
) -> None:
    """NDCG@10 against intra-list diversity for MMR re-ranking on ml-100k."""
    from pulserec_bench.diversity import run

    run(model)


@app.command()
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
        settings = _settings(config, data_dir=data_dir, store=store, artifacts=artifacts)
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


@app.command()
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
    settings = _settings(config, data_dir=data_dir, store=store, bus=bus, artifacts=artifacts)
    keep_training(settings, seconds)


# Benchmarks with their own argparse options: the CLI passes the arguments through.
PASSTHROUGH_BENCHES = {
    "serve": "Recommend latency and throughput against /healthz and the bare-Starlette floor.",
    "fresh": "Freshness: does the next recommendation reflect an event, is a new item found.",
    "scale": "The engine over synthetic catalogs of 10k-1M items: latency, memory, build time.",
    "search": "Search quality: semantic vs BM25 vs semantic+personal on held-out queries.",
    "features": "What explanations, search and chat cost on the request path (in process).",
    "chat": "Accuracy of free-text requests turned into constraints (held-out requests).",
    "experiments": "A/A false positives, A/B power, interleaving against A/B (simulated people).",
    "privacy": "Differentially private popular counts: top-20 overlap with the exact list.",
    "served": "What the served hybrid chose per data set, against its best source (held out).",
}


def _add_passthrough_bench(name: str, summary: str) -> None:
    def command(ctx: typer.Context) -> None:
        module = importlib.import_module(f"pulserec_bench.{name}")
        raise typer.Exit(module.main(list(ctx.args)))

    command.__doc__ = summary
    bench_app.command(
        name, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )(command)


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

    settings = _settings(config, data_dir=data_dir, store=store, artifacts=artifacts)
    opened = open_store(settings.store_target)
    try:
        report = build_report(opened, artifact_store(settings.artifacts_dir), user)
    finally:
        opened.close()
    print(json.dumps(report, indent=2))
    if user is not None and not report["user"]["forgotten"]:
        raise typer.Exit(code=1)


for _name, _summary in PASSTHROUGH_BENCHES.items():
    _add_passthrough_bench(_name, _summary)


def main() -> None:
    """Console entry point: the thread limit, settings read once, logging, the command."""
    from pulserec.app.settings import Settings

    limit_threads()
    try:
        _process_settings.append(Settings.load())
    except ValueError as exc:
        print(f"pulserec: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    use_cache_dir(_process_settings[0].cache_dir)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    tqdm.monitor_interval = 0
    app()
