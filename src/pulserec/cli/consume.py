"""``pulserec consume``: events from a Redis stream other systems write, into the data dir's
store (or the server that holds it, or ``--url``), until stopped or for ``--for`` seconds."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from pulserec.cli.common import ConfigFile, SettingsDataDir, StoreUrl, command_settings, console
from pulserec.cli.common import fail as _fail


def consume(
    source: Annotated[str, typer.Argument(help="redis://host:port/db?stream=NAME&group=NAME")],
    data_dir: SettingsDataDir = None,
    store: StoreUrl = None,
    url: Annotated[
        str | None, typer.Option(help="Store through this running server's API instead.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="X-API-Key for --url (or PULSEREC_API_KEY).")
    ] = None,
    seconds: Annotated[
        float | None, typer.Option("--for", help="Stop after this many seconds.")
    ] = None,
    consumer: Annotated[
        str | None,
        typer.Option(
            help="This consumer's name in the group (default pulserec-<host>); a "
            "restart with the same name takes back what it had not acknowledged."
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve Prometheus metrics (stored, dead, lag, rate) on this port."),
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Read events (JSON as in POST /v1/events, one per entry in a field ``event``) from a
    Redis stream as a consumer group: at least once, idempotent by event_id (an entry's id
    stands in), a message that is no event set aside in <stream>:dead with its reason. SIGTERM
    finishes the batch in hand, acknowledges it and exits 0."""
    try:
        import redis
    except ImportError:
        _fail("pulserec consume needs the redis client: pip install 'pulserec[scale]'")
        return

    from pulserec.cli.import_files import remote_target
    from pulserec.data.importers import LocalSink, Sink
    from pulserec.storage import open_store
    from pulserec.storage.ingest import Ingestor
    from pulserec.stream.consumer import StreamConsumer
    from pulserec.stream.source import parse_source

    try:
        where = parse_source(source, consumer)
    except ValueError as exc:
        _fail(str(exc))
        return
    settings = command_settings(config, data_dir=data_dir, store=store)
    opened: Any = None
    try:
        remote = remote_target(settings.data_dir, url, api_key or settings.server.api_key, console)
    except ValueError as exc:
        _fail(str(exc))
        return
    sink: Sink
    if remote is not None:
        sink = remote
    else:
        opened = open_store(settings.store_target)
        sink = LocalSink(Ingestor(opened))
    client = redis.Redis.from_url(where.url)
    worker = StreamConsumer(client, where, sink)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if metrics_port is not None:
        _serve_metrics(worker, metrics_port, stop)
    console.print(f"consuming {where.stream} as {where.group}/{where.consumer}")
    try:
        stats = worker.run(stop, seconds)
    except redis.RedisError as exc:
        _fail(f"redis at {where.url}: {exc}")
        return
    finally:
        client.close()
        if opened is not None:
            opened.close()
    console.print(
        f"stored {stats.stored:,} events ({stats.duplicates:,} duplicates, {stats.dead:,} set "
        f"aside in {where.dead_letters}) at {stats.rate():,.0f} events/s"
    )


def _serve_metrics(worker: Any, port: int, stop: threading.Event) -> None:
    """Prometheus text on ``port``: what the consumer stored, set aside, its lag and rate."""
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    registry = CollectorRegistry()
    gauges = {
        name: Gauge(f"pulserec_consumer_{name}", text, registry=registry)
        for name, text in (
            ("events_stored", "Events stored since the consumer started"),
            ("events_duplicate", "Events already stored (redelivered or resent)"),
            ("events_dead", "Messages set aside in <stream>:dead"),
            ("lag", "Stream entries not yet delivered to the group"),
            ("events_per_second", "Events stored per second since the start"),
        )
    }

    def refresh() -> None:
        while not stop.wait(1.0):
            stats = worker.stats
            gauges["events_stored"].set(stats.stored)
            gauges["events_duplicate"].set(stats.duplicates)
            gauges["events_dead"].set(stats.dead)
            gauges["events_per_second"].set(stats.rate())
            try:
                lag = worker.lag()
            except Exception:
                lag = None
            if lag is not None:
                gauges["lag"].set(lag)

    start_http_server(port, addr="127.0.0.1", registry=registry)
    threading.Thread(target=refresh, name="pulserec-consumer-metrics", daemon=True).start()
