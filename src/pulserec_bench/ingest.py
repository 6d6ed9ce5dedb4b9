"""``pulserec bench ingest``: bulk import rate and HTTP ingestion throughput on fresh data dirs.

Import: synthetic e-commerce events written as JSONL (and the same rows as CSV and Parquet) go
through ``import_file`` into a new SQLite store: parse, validate, store, durable per chunk.
HTTP: a ``pulserec serve`` child process on loopback receives batches of ``batch`` events from
``connections`` keep-alive clients; every batch is acknowledged only once durable.
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from pathlib import Path

import orjson
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from pulserec.data.importers import import_file
from pulserec.data.synthetic import write_synthetic
from pulserec.storage import open_store
from pulserec.storage.ingest import Ingestor
from pulserec.testing.server import ServerProcess


def _import_rate(path: Path, work: Path) -> tuple[int, float]:
    store = open_store(work / f"import-{path.suffix.lstrip('.')}")
    try:
        report = import_file(path, Ingestor(store))
    finally:
        store.close()
    return report.stored, report.seconds


def _convert(jsonl: Path) -> tuple[Path, Path]:
    table = pajson.read_json(jsonl)
    csv_path, parquet_path = jsonl.with_suffix(".csv"), jsonl.with_suffix(".parquet")
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


def _post_batches(port: int, bodies: list[bytes], latencies: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body in bodies:
        start = time.perf_counter()
        conn.request("POST", "/v1/events", body, {"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"ingestion failed with {response.status}")
        latencies.append(time.perf_counter() - start)
    conn.close()


def _http_rate(work: Path, n_events: int, batch: int, connections: int) -> tuple[float, float]:
    bodies = [
        orjson.dumps(
            {
                "events": [
                    {
                        "event_id": f"b{start}-{n}",
                        "user_id": f"u{(start + n) % 5000}",
                        "item_id": f"i{(start * 7 + n) % 20000}",
                        "type": "click",
                        "timestamp": start + n,
                    }
                    for n in range(batch)
                ]
            }
        )
        for start in range(0, n_events, batch)
    ]
    server = ServerProcess(work / "http")
    try:
        server.wait_ready()
        latencies: list[float] = []
        shares = [bodies[i::connections] for i in range(connections)]
        threads = [
            threading.Thread(target=_post_batches, args=(server.port, share, latencies))
            for share in shares
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    latencies.sort()
    return len(bodies) * batch / elapsed, latencies[len(latencies) // 2] * 1000


def run(n_events: int, http_events: int, batch: int, connections: int) -> None:
    """Measure and print; everything happens in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="pulserec-bench-") as tmp:
        work = Path(tmp)
        n_items = max(1000, n_events // 10)
        write_synthetic(
            work / "synth", "ecommerce", n_items, max(100, n_events // 20), n_events, progress=False
        )
        events = work / "synth" / "events.jsonl"
        csv_path, parquet_path = _convert(events)
        print(f"import of {n_events:,} synthetic e-commerce events (validate + durable SQLite):")
        for path in (events, csv_path, parquet_path):
            stored, seconds = _import_rate(path, work)
            print(
                f"  {path.suffix[1:]:8s} {stored:,} events in {seconds:.1f} s"
                f" = {stored / seconds:,.0f} events/s"
            )
        rate, p50 = _http_rate(work, http_events, batch, connections)
        print(
            f"HTTP POST /v1/events, {http_events:,} events in batches of {batch:,},"
            f" {connections} connections: {rate:,.0f} events/s, p50 {p50:.1f} ms per batch"
        )
