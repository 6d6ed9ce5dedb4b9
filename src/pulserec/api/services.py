"""What the routes share: the store, the write path, the engine, metrics and settings."""

from __future__ import annotations

from dataclasses import dataclass

from pulserec.api.metrics import ApiMetrics
from pulserec.config import ServerSettings
from pulserec.engine.startup import Runtime
from pulserec.ingest import Ingestor
from pulserec.storage import Store


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    ingestor: Ingestor
    metrics: ApiMetrics
    settings: ServerSettings
    runtime: Runtime
