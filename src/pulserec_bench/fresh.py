"""``pulserec bench fresh``: how soon a write shows in what the server answers.

Events: recommend for a random user, click the top item, recommend again at once (seen items are
excluded by default): if the clicked item is still there the answer is stale. Items: add one item
with made-up words, then search for those words and ask for its neighbours at once. Every new item
is deleted after its trial; the clicks stay, so the default data dir is the bench's own.

With ``--workers N`` the bench starts ``serve --workers N`` and writes over one connection while
it reads over another that a different worker process accepted (told apart by the worker pid
in ``/v1/admin/stats``): what one worker acknowledged must be in the other's next answer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from pulserec.core.config import cache_dir
from pulserec_bench.serve import BenchError, JsonClient, describe, known_users, target_server

_SYLLABLES = ["zor", "blax", "quen", "vrit", "mox", "plu", "drin", "kesh", "yav", "wex"]
RECHECK_S = 5.0


class _Errors:
    """Failed calls, counted by route and status, with one example message each."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, Any]] = {}

    def note(self, route: str, status: int, body: Any) -> None:
        entry = self.counts.setdefault(f"{route} {status}", {"count": 0, "example": ""})
        entry["count"] += 1
        entry["example"] = entry["example"] or describe(status, body)


def _ms(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p99": None}
    p50, p99 = np.percentile(values, [50, 99])
    return {"n": len(values), "p50": float(p50), "p99": float(p99)}


def _ids(body: Any) -> list[str]:
    return [str(item["id"]) for item in body.get("items", [])] if isinstance(body, dict) else []


def _events(
    client: JsonClient,
    users: list[str],
    catalog: list[str],
    trials: int,
    rng: random.Random,
    reader: JsonClient | None = None,
) -> dict[str, Any]:
    reader = reader or client
    token, errors = uuid.uuid4().hex[:12], _Errors()
    post_ms: list[float] = []
    reflect_ms: list[float] = []
    stale = never = checked = 0
    for trial in range(trials):
        user = rng.choice(users)
        path = f"/v1/recommend/{quote(user, safe='')}?k=10"
        status, body, _ = reader.request("GET", path)
        top = _ids(body)[:1] if status == 200 else []
        if status != 200:
            errors.note("GET /v1/recommend/{user}", status, body)
        clicked = top[0] if top else rng.choice(catalog)
        event = {"event_id": f"bench-fresh-{token}-{trial}", "user_id": user, "item_id": clicked}
        status, body, ms = client.request(
            "POST", "/v1/events", {"events": [{**event, "type": "click"}]}
        )
        replied = time.perf_counter()
        if status != 200:
            errors.note("POST /v1/events", status, body)
            continue
        post_ms.append(ms)
        if not top:
            continue
        checked += 1
        for attempt in range(10_000):
            status, body, _ = reader.request("GET", path)
            now = time.perf_counter()
            if status != 200:
                errors.note("GET /v1/recommend/{user}", status, body)
                break
            if clicked not in _ids(body):
                reflect_ms.append((now - replied) * 1000)
                break
            stale += attempt == 0
            if now - replied > RECHECK_S:
                never += 1
                break
            time.sleep(0.01)
    return {
        "trials": trials,
        "checked": checked,
        "stale": stale,
        "never_reflected": never,
        "post_ms": _ms(post_ms),
        "reflect_ms": _ms(reflect_ms),
        "errors": errors.counts,
    }


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(3))


def _items(
    client: JsonClient, trials: int, rng: random.Random, reader: JsonClient | None = None
) -> dict[str, Any]:
    reader = reader or client
    token, errors = uuid.uuid4().hex[:12], _Errors()
    post_ms: list[float] = []
    search_ms: list[float] = []
    hits = similar_ok = 0
    for trial in range(trials):
        a, b, c, d = (_word(rng) for _ in range(4))
        item_id = f"bench-fresh-{token}-{trial}"
        item = {
            "id": item_id,
            "title": f"{a.title()} {b} quantum kettle",
            "description": f"A {c} kettle that boils {d} tea with {a} flux.",
            "tags": [b],
        }
        status, body, ms = client.request("POST", "/v1/items", {"items": [item]})
        if status != 200:
            errors.note("POST /v1/items", status, body)
            continue
        post_ms.append(ms)
        status, body, ms = reader.request("GET", f"/v1/search?q={quote(f'{a} {b}')}&k=10")
        if status == 200:
            search_ms.append(ms)
            hits += item_id in _ids(body)
        else:
            errors.note("GET /v1/search", status, body)
        encoded = quote(item_id, safe="")
        status, body, _ = reader.request("GET", f"/v1/items/{encoded}/similar?k=5")
        if status == 200:
            similar_ok += 1
        else:
            errors.note("GET /v1/items/{id}/similar", status, body)
        status, body, _ = client.request("DELETE", f"/v1/items/{encoded}")
        if status != 200:
            errors.note("DELETE /v1/items/{id}", status, body)
    searched = len(search_ms)
    return {
        "trials": trials,
        "post_ms": _ms(post_ms),
        "search_ms": _ms(search_ms),
        "search_hits": hits,
        "search_checked": searched,
        "search_hit_share": hits / searched if searched else None,
        "similar_ok": similar_ok,
        "errors": errors.counts,
    }


def _print(figures: dict[str, Any]) -> None:
    events, items = figures["events"], figures["items"]

    def ms(name: str, part: dict[str, Any]) -> str:
        p = part[name]
        return f"p50 {p['p50']:.2f} ms, p99 {p['p99']:.2f} ms (n={p['n']})" if p["n"] else "-"

    print(f"event freshness, {events['trials']} trials (click the top item, recommend again):")
    print(f"  stale answers: {events['stale']} of {events['checked']} checked (goal 0)", end="")
    print(f"; not reflected within {RECHECK_S:g} s: {events['never_reflected']}")
    print(f"  POST /v1/events: {ms('post_ms', events)}")
    print(f"  POST reply to a recommend reply that reflects it: {ms('reflect_ms', events)}")
    print(f"item freshness, {items['trials']} new items:")
    print(f"  POST /v1/items: {ms('post_ms', items)}")
    share = items["search_hit_share"]
    shown = "-" if share is None else f"{share:.1%}"
    print(
        f"  search finds it in the top 10: {items['search_hits']} of {items['search_checked']}",
        end="",
    )
    print(f" ({shown}); search {ms('search_ms', items)}")
    print(f"  GET /v1/items/{{new}}/similar answered 200: {items['similar_ok']} times")
    for key, entry in {**events["errors"], **items["errors"]}.items():
        print(f"error: {key} x{entry['count']}: {entry['example']}", file=sys.stderr)


def _pid(client: JsonClient) -> int:
    status, body, _ = client.request("GET", "/v1/admin/stats")
    if status != 200:
        raise BenchError(f"GET /v1/admin/stats answered {describe(status, body)}")
    return int(body["worker_pid"])


def _other_worker(base: str, api_key: str | None, pid: int, tries: int = 200) -> JsonClient:
    """A connection that a worker other than ``pid`` accepted."""
    for _ in range(tries):
        candidate = JsonClient(base, api_key)
        if _pid(candidate) != pid:
            return candidate
        candidate.close()
        time.sleep(0.05)
    raise BenchError("every connection went to one worker: is --workers above 1?")


def run_fresh_bench(
    base_url: str | None = None,
    trials: int = 200,
    data_dir: Path | None = None,
    api_key: str | None = None,
    seed: int = 0,
    workers: int = 1,
) -> dict[str, Any]:
    """Measure and print; without ``base_url``, serve ml-100k from ``data_dir`` (cached);
    with ``workers`` > 1, read through another worker than the one written to."""
    rng = random.Random(seed)
    data_dir = data_dir or cache_dir() / "bench-fresh-ml100k"
    with target_server(base_url, data_dir, workers=workers) as base:
        client = JsonClient(base, api_key)
        reader = _other_worker(base, api_key, _pid(client)) if workers > 1 else client
        try:
            users = known_users(client)
            status, body, _ = client.request("GET", "/v1/items?limit=1000")
            if status != 200:
                raise BenchError(f"GET /v1/items answered {describe(status, body)}")
            catalog = _ids(body) or ["bench-fresh-item"]
            figures = {
                "base_url": base,
                "workers": workers,
                "events": _events(client, users, catalog, trials, rng, reader),
                "items": _items(client, trials, rng, reader),
            }
        finally:
            client.close()
            reader.close()
    _print(figures)
    return figures


def main(argv: list[str] | None = None) -> int:
    """``pulserec bench fresh [--url URL] [--data-dir D] [--trials N] [--json PATH] ...``."""
    parser = argparse.ArgumentParser(prog="pulserec bench fresh", description=__doc__)
    parser.add_argument("--url", help="a running server (default: start the ml-100k demo)")
    parser.add_argument("--data-dir", type=Path, help="data dir of the started server")
    parser.add_argument("--trials", type=int, default=200, help="trials of each kind")
    parser.add_argument("--api-key", help="X-API-Key (default: PULSEREC_API_KEY)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers N; read elsewhere")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    key = args.api_key or os.environ.get("PULSEREC_API_KEY")
    try:
        figures = run_fresh_bench(
            args.url, args.trials, args.data_dir, key, args.seed, args.workers
        )
    except (BenchError, OSError, ValueError) as exc:
        print(f"pulserec bench fresh: {exc}", file=sys.stderr)
        return 1
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    failed = figures["events"]["errors"] or figures["items"]["errors"]
    return 1 if failed or figures["events"]["stale"] else 0
