"""``pulserec bench served``: what the served hybrid chose on each data set, and what it won.

For each data set, fits the hybrid exactly as ``serve`` configures it (the registry's
defaults) on all its events and prints the configuration its held-out validation chose (each
user's most recent events): what answers, the held-out NDCG@10 of that choice beside the best
single source's, and the sources it left unfitted. Synthetic domains are written with
``pulserec synth``'s generator at the given sizes, seeded.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from pulserec.core.schemas import EventIn, ItemIn
from pulserec.evaluation.data import DATASETS, EvalData, encode_items, from_records, load_eval_data
from pulserec.models import registry

DOMAINS = ("ecommerce", "news", "music")


def synthetic(domain: str, items: int, users: int, events: int, seed: int) -> EvalData:
    """A synthetic catalog written by ``pulserec synth`` and read back, text encoded."""
    from pulserec.data.synthetic import write_synthetic

    with tempfile.TemporaryDirectory(prefix="pulserec-served-") as tmp:
        out = Path(tmp)
        write_synthetic(out, domain, items, users, events, seed, progress=False)
        catalog = [
            ItemIn.model_validate(orjson.loads(line)).to_domain() for line in _lines(out, "items")
        ]
        stream = [
            EventIn.model_validate(orjson.loads(line)).to_domain() for line in _lines(out, "events")
        ]
    vectors = encode_items(catalog, "minilm-onnx", progress=False)
    return from_records(f"synthetic-{domain}", catalog, stream, vectors, "minilm-onnx")


def _lines(folder: Path, kind: str) -> list[bytes]:
    return [line for line in (folder / f"{kind}.jsonl").read_bytes().splitlines() if line]


def served_row(name: str, data: EvalData) -> dict[str, Any]:
    """Fit the served hybrid on ``data`` and summarise its validated choice."""
    model = registry.make("hybrid", vectors=data.text_vectors)
    started = time.perf_counter()
    model.fit(data.interactions)
    seconds = time.perf_counter() - started
    report: dict[str, Any] = model.served()  # type: ignore[attr-defined]
    figures = report["validation_ndcg@10"]
    sources = {k: v for k, v in figures.items() if k not in ("blend", "lightgbm")}
    best = max(sources, key=lambda k: sources[k])
    return {
        "dataset": name,
        "events": len(data.interactions),
        "served_by": report["served_by"] if report["ranker"] is None else report["ranker"],
        "served_ndcg@10": report["served_ndcg@10"],
        "best_source": best,
        "best_source_ndcg@10": sources[best],
        "ratio": report["served_ndcg@10"] / sources[best] if sources[best] else None,
        "sources": report["sources"],
        "skipped": sorted(report["skipped"]),
        "order_lift": report.get("order_lift"),
        "fit_seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench served", description=__doc__)
    parser.add_argument("--datasets", default=",".join(("movielens-100k", *DOMAINS)))
    parser.add_argument("--items", type=int, default=2_000, help="synthetic catalog size")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in (*DATASETS, *DOMAINS)]
    if unknown:
        parser.error(f"unknown data set(s) {unknown} (known: {', '.join((*DATASETS, *DOMAINS))})")
    rows = []
    for name in names:
        data = (
            synthetic(name, args.items, args.users, args.events, args.seed)
            if name in DOMAINS
            else load_eval_data(name, progress=False)
        )
        rows.append(served_row(name, data))
    table = Table(title="served configuration vs its best source (held-out NDCG@10)")
    for column in ("data set", "events", "served", "NDCG", "best source", "NDCG", "ratio"):
        table.add_column(column)
    table.add_column("left unfitted")
    table.add_column("fit s")
    for row in rows:
        table.add_row(
            row["dataset"],
            f"{row['events']:,}",
            row["served_by"],
            f"{row['served_ndcg@10']:.4f}",
            row["best_source"],
            f"{row['best_source_ndcg@10']:.4f}",
            f"{row['ratio']:.3f}" if row["ratio"] is not None else "-",
            ", ".join(row["skipped"]) or "-",
            f"{row['fit_seconds']:.0f}",
        )
    console = Console()
    if not console.is_terminal:
        console.width = 200
    console.print(table)
    if args.out is not None:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0
