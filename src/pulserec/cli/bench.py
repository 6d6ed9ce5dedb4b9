"""``pulserec bench``: the benchmarks, imported only when their command runs."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print their figures.")


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
    "catalogs": "Stated tastes, creator search, similar items, chat over four catalogs (held out).",
}


def _add_passthrough_bench(name: str, summary: str) -> None:
    def command(ctx: typer.Context) -> None:
        module = importlib.import_module(f"pulserec_bench.{name}")
        raise typer.Exit(module.main(list(ctx.args)))

    command.__doc__ = summary
    bench_app.command(
        name, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )(command)


for _name, _summary in PASSTHROUGH_BENCHES.items():
    _add_passthrough_bench(_name, _summary)
