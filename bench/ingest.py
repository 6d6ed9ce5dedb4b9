"""Ingestion benchmark: import rate and HTTP throughput (``pulserec bench ingest``)."""

from pulserec_bench.ingest import run

if __name__ == "__main__":
    run(n_events=1_000_000, http_events=200_000, batch=1_000, connections=2)
