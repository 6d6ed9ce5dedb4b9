"""What the routes share: the store, the write path, the engine, metrics and settings."""

from __future__ import annotations

from dataclasses import dataclass

from pulserec.api.metrics import ApiMetrics
from pulserec.core.config import ServerSettings
from pulserec.engine.runtime import Runtime
from pulserec.storage import Store
from pulserec.storage.ingest import Ingestor


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    ingestor: Ingestor
    metrics: ApiMetrics
    settings: ServerSettings
    runtime: Runtime
