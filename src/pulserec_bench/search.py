"""``python -m pulserec_bench.search``: search quality of BM25 against the engine's semantic search.

Queries (:mod:`pulserec_bench.search_queries`) paraphrase a genre (ml-100k) or a category
(synthetic e-commerce: 5000 items, 500 users, 5000 events, seed 0) without its words; relevant
items are those carrying that label (gain 1). Systems, on the same queries and item texts
(``encoders.texts.item_text``): ``bm25`` (bm25s, Lucene BM25 k1=1.5 b=0.75, over lower-cased
words minus English stop words; only items sharing a word with the query are returned);
``semantic`` (``Engine.search`` with no user; items ``minilm-onnx``, queries ``minilm-int8``, no
query cache); ``semantic+personal`` (the same for a user, a seeded choice among those with 5+
positive events on items of the query's label; nothing excluded; left out when a query has no
such user). Per system: NDCG, Recall (hits / |relevant|, RecBole's convention: small for labels
of hundreds of items), Precision and MRR @10 (``pulserec.core.metrics``), and the p50 of one query's
time in process. Only ``held_out`` queries are reported unless ``--split tuning`` is given.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import orjson
from bm25s.stopwords import STOPWORDS_EN

from pulserec.app.runtime import assemble
from pulserec.core import event_types
from pulserec.core.config import limit_threads
from pulserec.core.metrics import ranking_metrics
from pulserec.core.topk import top_k
from pulserec.data.datasets import with_event_ids
from pulserec.data.importers import import_file
from pulserec.data.movielens import load_movielens_100k
from pulserec.data.synthetic import write_synthetic
from pulserec.encoders import Encoder, load_encoder
from pulserec.encoders.texts import item_text
from pulserec.engine.config import EngineConfig
from pulserec.engine.facade import Engine
from pulserec.storage import MemoryStore, Store
from pulserec.storage.ingest import Ingestor
from pulserec_bench.search_queries import MOVIE_QUERIES, SHOP_QUERIES, Queries, split

K = 10
METRICS = ("ndcg", "recall", "precision", "mrr")
LEAST = 5  # positive interactions with the query's label that make a user "of" that label
DATASETS = ("ml-100k", "ecommerce")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(STOPWORDS_EN)
Ranker = Callable[["Case"], Sequence[int]]


@dataclass(frozen=True)
class Case:
    """One query: its text, the label it is judged by, the relevant catalog rows, its user."""

    label: str
    text: str
    relevant: npt.NDArray[np.int64]
    user: str | None = None


@dataclass(frozen=True)
class Catalog:
    """Every stored item in store order: ids, texts (as the encoder reads them) and labels."""

    ids: list[str]
    texts: list[str]
    labels: list[tuple[str, ...]]

    def relevant(self, label: str) -> npt.NDArray[np.int64]:
        return np.array([n for n, ls in enumerate(self.labels) if label in ls], dtype=np.int64)


def tokens(text: str) -> list[str]:
    """Lower-cased words of letters and digits, English stop words dropped."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


class Bm25Ranker:
    """BM25 over the catalog texts; items with no query word are never returned."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.model = bm25s.BM25()
        self.model.index([tokens(t) for t in texts], show_progress=False)

    def __call__(self, case: Case) -> list[int]:
        words = [w for w in tokens(case.text) if w in self.model.vocab_dict]
        if not words:
            return []
        scores = np.asarray(self.model.get_scores(words), dtype=np.float32)
        best, values = top_k(scores, K)
        return [int(i) for i, v in zip(best.tolist(), values.tolist(), strict=True) if v > 0]


def semantic(engine: Engine, rows: dict[str, int], personal: bool) -> Ranker:
    """``Engine.search`` as a ranker of catalog rows (with the case's user if ``personal``)."""

    def rank(case: Case) -> list[int]:
        found = engine.search(case.text, case.user if personal else None, K)
        return [rows[ranked.id] for ranked in found.items]

    return rank


def evaluate(ranker: Ranker, cases: Sequence[Case]) -> dict[str, float]:
    """Mean metrics@K over the cases, plus the p50 milliseconds of one query."""
    topk = np.full((len(cases), K), -1, dtype=np.int64)
    spent = np.zeros(len(cases))
    for row, case in enumerate(cases):
        started = time.perf_counter()
        found = list(ranker(case))[:K]
        spent[row] = time.perf_counter() - started
        topk[row, : len(found)] = found
    figures = ranking_metrics(topk, [c.relevant for c in cases], [K], METRICS)
    return {**figures, "p50_ms": float(np.median(spent) * 1e3) if len(cases) else 0.0}


def read_catalog(store: Store, domain: str) -> Catalog:
    items = [item for page in store.iter_items() for item in page]
    texts = [item_text(item, domain) for item in items]
    return Catalog([item.id for item in items], texts, [item.categories for item in items])


def label_users(store: Store, catalog: Catalog) -> dict[str, Counter[str]]:
    """Per label, each user's count of positive events on items carrying it."""
    rows = {item_id: n for n, item_id in enumerate(catalog.ids)}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for batch in store.iter_events():
        for event in batch:
            row = rows.get(event.item_id or "")
            if row is not None and not event_types.is_negative_type(str(event.type)):
                for label in catalog.labels[row]:
                    counts[label][event.user_id] += 1
    return counts


def build_cases(
    catalog: Catalog, pairs: Sequence[tuple[str, str]], users: dict[str, Counter[str]], seed: int
) -> list[Case]:
    """Cases for (label, query) pairs, each with a seeded choice among the label's users."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, text in pairs:
        fans = sorted(u for u, n in users.get(label, Counter()).items() if n >= LEAST)
        user = fans[int(rng.integers(len(fans)))] if fans else None
        cases.append(Case(label, text, catalog.relevant(label), user))
    return cases


def compare(
    store: Store,
    domain: str,
    pairs: Sequence[tuple[str, str]],
    item_encoder: Encoder,
    query_encoder: Encoder,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Every system's figures over the (label, query) pairs, on an engine over ``store``."""
    catalog = read_catalog(store, domain)
    cases = build_cases(catalog, pairs, label_users(store, catalog), seed)
    config = EngineConfig(models=(), domain=domain, answer_cache=0)
    runtime = assemble(store, config, None, item_encoder, query_encoder, False, False)
    engine, rows = runtime.engine, {item_id: n for n, item_id in enumerate(catalog.ids)}
    engine.search("warming up", None, K)
    systems: dict[str, Ranker] = {"bm25": Bm25Ranker(catalog.texts)}
    systems["semantic"] = semantic(engine, rows, personal=False)
    if cases and all(case.user is not None for case in cases):
        systems["semantic+personal"] = semantic(engine, rows, personal=True)
    try:
        return {name: evaluate(ranker, cases) for name, ranker in systems.items()}
    finally:
        runtime.trainer.stop()


def movielens_store() -> MemoryStore:
    data, store = load_movielens_100k(), MemoryStore()
    ingestor = Ingestor(store)
    ingestor.add_items(data.items)
    ingestor.add_users(data.users)
    ingestor.add_events(with_event_ids(data.events, "movielens-100k"))
    return store


def ecommerce_store(directory: Path) -> MemoryStore:
    write_synthetic(directory, "ecommerce", 5000, 500, 5000, seed=0, progress=False)
    store = MemoryStore()
    for name in ("items", "users", "events"):
        import_file(directory / f"{name}.jsonl", Ingestor(store))
    return store


def run(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One data set's figures on the split, encoders and seed of ``args``."""
    sets: Queries = MOVIE_QUERIES if name == "ml-100k" else SHOP_QUERIES
    pairs = split(sets)[args.split == "held_out"]  # (tuning, held_out)
    encoders = load_encoder(args.item_encoder), load_encoder(args.query_encoder)
    with tempfile.TemporaryDirectory() as tmp:
        store = movielens_store() if name == "ml-100k" else ecommerce_store(Path(tmp))
        domain = "movie" if name == "ml-100k" else "ecommerce"
        systems = compare(store, domain, pairs, *encoders, seed=args.seed)
    return {"split": args.split, "queries": len(pairs), "labels": len(sets), "systems": systems}


def table(name: str, result: dict[str, Any]) -> str:
    head = f"## {name} · {result['split']} ({result['queries']} queries, {result['labels']} labels)"
    cols = [f"{m}@{K}" for m in METRICS]
    lines = [head, "", f"| system | {' | '.join(cols)} | p50 ms |", "|---" * (len(cols) + 2) + "|"]
    for system, figures in result["systems"].items():
        cells = " | ".join(f"{figures[c]:.4f}" for c in cols)
        lines.append(f"| {system} | {cells} | {figures['p50_ms']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pulserec_bench.search", description=__doc__)
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--split", choices=("held_out", "tuning"), default="held_out")
    parser.add_argument("--item-encoder", default=EngineConfig.item_encoder)
    parser.add_argument("--query-encoder", default=EngineConfig.query_encoder)
    parser.add_argument("--seed", type=int, default=0, help="for the personal users' choice")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    limit_threads()
    command = "python -m pulserec_bench.search " + " ".join(sys.argv[1:] if argv is None else argv)
    out: dict[str, Any] = {"k": K, "command": command.strip(), "item_encoder": args.item_encoder}
    out |= {"query_encoder": args.query_encoder, "seed": args.seed, "datasets": {}}
    for name in args.datasets:
        out["datasets"][name] = run(name, args)
        print(table(name, out["datasets"][name]), flush=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
