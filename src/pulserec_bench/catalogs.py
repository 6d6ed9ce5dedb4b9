"""``pulserec bench catalogs``: does pulserec read a catalog's own language (held-out requests).

Catalogs: the synthetic ``music``, ``ecommerce`` and ``news`` domains (2,000 items, 500 users,
30,000 events, seed 0) and MovieLens-100k, each in an engine as a new deployment gets it (the
default item text, ``minilm-onnx`` items, ``minilm-int8`` queries) serving item kNN. Figures:

- **preferences**: a new user per held-out preference text (:mod:`.catalog_heldout`): the share
  of their first list (k=10) in a liked category (goal >= 0.8), items in a ruled-out category
  or with a ruled-out attribute (goal 0), and whether "fits the tastes you described" is said
  only of liked items;
- **creator search**: every creator (``artist``, ``author``, ``brand``) with 3+ items, the
  name as written and in lower case as the query: recall@10 of their items
  (hits / min(10, their items); goal >= 0.8);
- **similar items**: 200 seeded seed items per synthetic catalog: the share of the top 10 in
  the seed's first category (goal >= 0.8), served (text and co-engagement) and text alone;
- **chat**: the held-out music requests with attribute negations and creator requests, exact
  constraints (goal >= 0.9 with ``pulserec bench chat``'s set).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.app.runtime import assemble
from pulserec.core.config import limit_threads
from pulserec.core.creators import CREATOR_FIELDS
from pulserec.core.types import Item, User
from pulserec.data.importers import import_file
from pulserec.data.synthetic import write_synthetic
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.llm.constraints import ConstraintExtractor
from pulserec.llm.engine_vocabulary import catalog_vocabulary
from pulserec.llm.titles import TitleIndex
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor
from pulserec_bench.catalog_heldout import CHAT_MUSIC, PREFERENCES
from pulserec_bench.chat import FIELDS, observed, wanted
from pulserec_bench.search import movielens_store

K = 10
SYNTHETIC = ("music", "ecommerce", "news")
SEEDS = 200
MIN_CREATOR_ITEMS = 3


def synthetic_store(domain: str, folder: Path) -> MemoryStore:
    write_synthetic(folder, domain, 2000, 500, 30_000, seed=0, progress=False)
    store = MemoryStore()
    for name in ("items", "users", "events"):
        import_file(folder / f"{name}.jsonl", Ingestor(store))
    return store


def engine_over(store: MemoryStore, models: tuple[str, ...]) -> Runtime:
    config = EngineConfig(models=models, answer_cache=0)
    encoders = load_encoder(config.item_encoder), load_encoder(config.query_encoder)
    return assemble(store, config, None, *encoders, True, False)  # trained at once


def all_items(store: MemoryStore) -> list[Item]:
    out: list[Item] = []
    while page := store.list_items(len(out), 1000)[0]:
        out += page
    return out


def preferences(runtime: Runtime, items: dict[str, Item], rows: list[Any]) -> dict[str, Any]:
    engine, shares, ruled_out, wrong_fits = runtime.engine, [], 0, 0
    for n, (text, liked, excluded, attributes) in enumerate(rows):
        user = f"stated-{n}"
        runtime.ingestor.add_users([User(user, preferences=text)])
        engine.catch_up()
        listed = engine.recommend(user, K, explain=True).items
        found = [items[r.id] for r in listed]
        in_liked = [bool(set(item.categories) & liked) for item in found]
        shares.append(sum(in_liked) / max(1, len(found)))
        banned = sum(
            bool(set(item.categories) & excluded)
            or any(_value(item.attributes.get(a)) == v for a, v in attributes)
            for item in found
        )
        ruled_out += banned
        for ranked, liked_one in zip(listed, in_liked, strict=True):
            fits = any(reason["kind"] == "preferences" for reason in ranked.reasons or [])
            wrong_fits += fits != liked_one
        if shares[-1] < 0.8 or banned:
            print(f"    {text!r}: liked share {shares[-1]:.1f}, "
                  f"categories {[i.categories[0] for i in found]}")  # fmt: skip
    return {
        "users": len(rows),
        "liked_share_mean": float(np.mean(shares)),
        "liked_share_min": float(np.min(shares)),
        "ruled_out_items": ruled_out,
        "wrong_fits_claims": wrong_fits,
    }


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def creator_search(runtime: Runtime, items: list[Item]) -> dict[str, Any] | None:
    theirs: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for field in CREATOR_FIELDS:
            value = item.attributes.get(field)
            if isinstance(value, str) and value.strip():
                theirs[value.strip()].add(item.id)
    creators = sorted(name for name, ids in theirs.items() if len(ids) >= MIN_CREATOR_ITEMS)
    if not creators:
        return None
    recalls: dict[str, list[float]] = {"as written": [], "lower case": []}
    for name in creators:
        for form, query in (("as written", name), ("lower case", name.lower())):
            found = {r.id for r in runtime.engine.search(query, None, K).items}
            recalls[form].append(len(found & theirs[name]) / min(K, len(theirs[name])))
    return {"creators": len(creators), **{f: float(np.mean(r)) for f, r in recalls.items()}}


def similar_items(runtime: Runtime, items: list[Item], seed: int = 0) -> dict[str, Any]:
    engine = runtime.engine
    labelled = [item for item in items if item.categories]
    rng = np.random.default_rng(seed)
    seeds = [labelled[i] for i in rng.choice(len(labelled), SEEDS, replace=False)]
    first = {item.id: item.categories[0] for item in labelled}
    ids = [item.id for item in labelled]
    rows = [engine.item_vector(i) for i in ids]
    vectors = np.stack([r if r is not None else np.zeros(384, np.float32) for r in rows])
    row = {item_id: n for n, item_id in enumerate(ids)}
    served, text = [], []
    for item in seeds:
        listed = [r.id for r in engine.similar(item.id, K).items]
        served.append(np.mean([first.get(i) == item.categories[0] for i in listed]))
        scores = vectors @ vectors[row[item.id]]
        scores[row[item.id]] = -np.inf
        nearest = np.argsort(-scores, kind="stable")[:K]
        text.append(np.mean([first[ids[i]] == item.categories[0] for i in nearest]))
    return {"seeds": SEEDS, "served": float(np.mean(served)), "text_alone": float(np.mean(text))}


class _Creators:
    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def items_by(self, name: str, value: str) -> list[tuple[str, str]]:
        return [
            (item.id, item.title)
            for item in self.items
            if item.title and str(item.attributes.get(name, "")).lower() == value.lower()
        ][:10]


def chat(runtime: Runtime, items: list[Item]) -> dict[str, Any]:
    catalog = runtime.engine.catalog_view()
    titles = TitleIndex((item.id, item.title) for item in items if item.title)
    extractor = ConstraintExtractor(
        catalog_vocabulary(catalog), runtime.engine.query_encoder, 0.62, titles, _Creators(items)
    )
    artist = {item.id: item.attributes.get("artist") for item in items}
    right = 0
    for _, message, expected in CHAT_MUSIC:
        found = extractor.extract(message)
        got, want = observed(found), wanted(expected)
        wrong = [
            f"{n} {got[n]} (expected {want[n]})"
            for n in FIELDS
            if n != "similar_to" and got[n] != want[n]
        ]
        creator = expected.get("similar_to_creator")
        named = {artist[i] for i, _ in found.similar_to}
        if creator is not None and named != {creator}:
            wrong.append(f"similar_to by {named} (expected {creator})")
        if creator is None and found.similar_to:
            wrong.append(f"similar_to {got['similar_to']} (expected none)")
        right += not wrong
        if wrong:
            print(f"    miss {message!r}: " + "; ".join(wrong))
    return {"requests": len(CHAT_MUSIC), "exact": right / len(CHAT_MUSIC)}


def run(name: str, folder: Path) -> dict[str, Any]:
    store = movielens_store() if name == "movielens-100k" else synthetic_store(name, folder)
    runtime = engine_over(store, ("itemknn",))
    try:
        items = all_items(store)
        by_id = {item.id: item for item in items}
        out: dict[str, Any] = {"preferences": preferences(runtime, by_id, PREFERENCES[name])}
        if (found := creator_search(runtime, items)) is not None:
            out["creator_search"] = found
        if name in SYNTHETIC:
            out["similar"] = similar_items(runtime, items)
        if name == "music":
            out["chat"] = chat(runtime, items)
        return out
    finally:
        runtime.close()
        store.close()


def _figure(name: str, value: object) -> str:
    return f"{name} {value:.3f}" if isinstance(value, float) else f"{name} {value}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulserec bench catalogs", description=__doc__)
    parser.add_argument("--catalogs", default=",".join([*SYNTHETIC, "movielens-100k"]))
    args = parser.parse_args(argv)
    limit_threads()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.catalogs.split(","):
            print(f"## {name}")
            for part, figures in run(name, Path(tmp) / name).items():
                shown = ", ".join(
                    f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in figures.items()
                )
                print(f"  {part}: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
