"""Every setting of a pulserec process, read once: CLI flags over ``PULSEREC_*`` environment
variables over an optional TOML file (``--config FILE`` or ``PULSEREC_CONFIG``) over defaults.

Library modules never read the environment; the drivers (``serve``, ``train``, ``trainer``)
build one frozen :class:`Settings` here and pass its parts down. The TOML file uses the same
names as the flags (``models = ["itemknn"]``, ``port = 8080``) and may hold an ``[engine]``
table of any :class:`~pulserec.engine.config.EngineConfig` field (``pool = 200``) and an
``[events]`` table of the deployment's own event types (:mod:`pulserec.core.event_types`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulserec.api.browser_guards import cors_origins
from pulserec.core import event_types
from pulserec.core.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_EVAL_DIR,
    DEFAULT_MAX_BODY_BYTES,
    ServerSettings,
)
from pulserec.engine.config import EngineConfig

DEFAULT_HOST = "127.0.0.1"
CONFIG_ENV = "PULSEREC_CONFIG"
WORKER_ENV = "PULSEREC_WORKER_SETTINGS"  # the parent's settings, for `serve --workers` processes


def _names(raw: object) -> tuple[str, ...]:
    parts = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    return tuple(str(n).strip() for n in parts if str(n).strip())


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda raw: None if raw is None or raw == "" else parse(raw)


# name -> (environment variable, parser of a flag, env or file value)
FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "data_dir": ("PULSEREC_DATA_DIR", Path),
    "host": ("PULSEREC_HOST", str),
    "port": ("PULSEREC_PORT", int),
    "workers": ("PULSEREC_WORKERS", int),
    "store": ("PULSEREC_STORE", _optional(str)),
    "bus": ("PULSEREC_BUS", _optional(str)),
    "artifacts": ("PULSEREC_ARTIFACTS", _optional(Path)),
    "dataset": ("PULSEREC_DATASET", _optional(str)),
    "cache_dir": ("PULSEREC_CACHE_DIR", _optional(Path)),
    "eval_dir": ("PULSEREC_EVAL_DIR", Path),
    "api_key": ("PULSEREC_API_KEY", _optional(str)),
    "read_key": ("PULSEREC_READ_KEY", _optional(str)),
    "allowed_hosts": ("PULSEREC_ALLOWED_HOSTS", _names),
    "display_fields": ("PULSEREC_DISPLAY_FIELDS", _names),
    "allowed_origins": ("PULSEREC_ALLOWED_ORIGINS", _names),
    "max_body_bytes": ("PULSEREC_MAX_BODY_BYTES", int),
    "models": ("PULSEREC_MODELS", _names),
    "train_every": ("PULSEREC_TRAIN_EVERY", _optional(float)),
    "item_encoder": ("PULSEREC_ITEM_ENCODER", str),
    "query_encoder": ("PULSEREC_QUERY_ENCODER", str),
    "answer_cache": ("PULSEREC_ANSWER_CACHE", int),
    "positive_rating": ("PULSEREC_POSITIVE_RATING", float),
    "llm_url": ("PULSEREC_LLM_URL", _optional(str)),
    "llm_model": ("PULSEREC_LLM_MODEL", _optional(str)),
    "llm_key": ("PULSEREC_LLM_KEY", _optional(str)),
    "llm_gguf": ("PULSEREC_LLM_GGUF", _optional(str)),
    "dp_epsilon": ("PULSEREC_DP_EPSILON", _optional(float)),
    "dp_max_events": ("PULSEREC_DP_MAX_EVENTS_PER_USER", int),
}
# EngineConfig fields that have a flat name of their own
ENGINE_FIELDS = {
    "models": "models",
    "train_every": "train_every_s",
    "item_encoder": "item_encoder",
    "query_encoder": "query_encoder",
    "answer_cache": "answer_cache",
    "positive_rating": "positive_rating",
    "dp_epsilon": "dp_epsilon",
    "dp_max_events": "dp_max_events",
}


@dataclass(frozen=True, slots=True)
class LlmSettings:
    """The optional generator: an OpenAI-compatible server (url + model, optional key), else an
    in-process GGUF model, else none."""

    url: str | None = None
    model: str | None = None
    key: str | None = None
    gguf: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """One process's settings (see the module doc for where each value comes from)."""

    data_dir: Path = DEFAULT_DATA_DIR
    host: str = DEFAULT_HOST
    port: int = 8000
    workers: int = 1
    store: str | None = None  # a store URL; None: the SQLite file in data_dir
    bus: str | None = None  # a redis:// URL for the change log; None: the store's own
    artifacts: Path | None = None  # where versions are published; None: data_dir
    dataset: str | None = None
    cache_dir: Path | None = None  # None: ~/.cache/pulserec
    config_file: Path | None = None
    server: ServerSettings = field(default_factory=ServerSettings)
    engine: EngineConfig = field(default_factory=EngineConfig)
    llm: LlmSettings = field(default_factory=LlmSettings)
    # what they were built from, so that a command's flags can be laid over them
    values: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    engine_table: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(
        cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Flags (None: not given) over ``env`` (default: this process's) over the file."""
        env = os.environ if env is None else env
        given = {k: v for k, v in (flags or {}).items() if v is not None}
        path = given.pop("config", None) or env.get(CONFIG_ENV) or None
        values, engine_table = _read_file(Path(path)) if path else ({}, {})
        for name, (variable, _) in FIELDS.items():
            if env.get(variable, "") != "" or (name == "models" and variable in env):
                values[name] = env[variable]
        return cls.from_values(values, engine_table, Path(path) if path else None).with_flags(given)

    @property
    def store_target(self) -> str | Path:
        """The store to open: ``store`` when given, else the data dir's SQLite file."""
        return self.store or self.data_dir

    @property
    def artifacts_dir(self) -> Path:
        return self.artifacts or self.data_dir

    def with_flags(self, flags: Mapping[str, Any]) -> Settings:
        """These settings with a command's flags (None: not given) laid over them."""
        given = {k: v for k, v in flags.items() if v is not None}
        unknown = set(given) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        merged = {**self.values, **given}
        return Settings.from_values(merged, self.engine_table, self.config_file)

    @classmethod
    def from_values(
        cls,
        values: Mapping[str, Any],
        engine_table: Mapping[str, Any] | None = None,
        config_file: Path | None = None,
    ) -> Settings:
        """Settings from flat values (strings or typed) and an ``[engine]`` table."""
        parsed: dict[str, Any] = {}
        for name, raw in values.items():
            variable, parse = FIELDS[name]
            try:
                parsed[name] = parse(raw)
            except (TypeError, ValueError) as error:
                raise ValueError(f"bad value for {name} ({variable}): {raw!r}") from error
        engine = _engine_config(parsed, dict(engine_table or {}))
        server = ServerSettings(
            api_key=parsed.get("api_key"),
            read_key=parsed.get("read_key"),
            max_body_bytes=parsed.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES),
            eval_dir=parsed.get("eval_dir", DEFAULT_EVAL_DIR),
            host=parsed.get("host", DEFAULT_HOST),
            allowed_hosts=parsed.get("allowed_hosts", ()),
            display_fields=tuple(parsed.get("display_fields", ())),
            allowed_origins=tuple(parsed.get("allowed_origins", ())),
        )
        cors_origins(server)  # ValueError, naming the variable, for an entry that is no origin
        llm = LlmSettings(*(parsed.get(f"llm_{part}") for part in ("url", "model", "key", "gguf")))
        names = ("data_dir", "host", "port", "workers", "store", "bus", "artifacts", "dataset",
                 "cache_dir")  # fmt: skip
        top = {n: parsed[n] for n in names if n in parsed}
        return cls(
            **top,
            config_file=config_file,
            server=server,
            engine=engine,
            llm=llm,
            values=dict(values),
            engine_table=dict(engine_table or {}),
        )


def _engine_config(parsed: Mapping[str, Any], table: dict[str, Any]) -> EngineConfig:
    known = {f.name for f in dataclasses.fields(EngineConfig)}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"unknown [engine] setting(s): {', '.join(sorted(unknown))}")
    if "models" in table:
        table["models"] = _names(table["models"])
    table.update({ENGINE_FIELDS[n]: v for n, v in parsed.items() if n in ENGINE_FIELDS})
    return EngineConfig(**table)


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A TOML settings file: flat names, and an optional ``[engine]`` table."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"cannot read settings file {path}: {error}") from error
    engine = data.pop("engine", {})
    if not isinstance(engine, dict):
        raise ValueError(f"{path}: [engine] must be a table")
    events = data.pop("events", None)
    if events is not None:  # a deployment's event types (pulserec.core.event_types)
        try:
            event_types.parse_table(events)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        engine["event_types"] = events
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    return data, engine


def hand_to_workers(settings: Settings) -> None:
    """Put ``settings`` where the worker processes this one starts will find them."""
    values = {k: str(v) if isinstance(v, Path) else v for k, v in settings.values.items()}
    file = str(settings.config_file) if settings.config_file is not None else None
    payload = {"values": values, "engine": dict(settings.engine_table), "file": file}
    os.environ[WORKER_ENV] = json.dumps(payload)


def worker_settings() -> Settings:
    """The settings the parent handed over (:func:`hand_to_workers`)."""
    payload = json.loads(os.environ[WORKER_ENV])
    file = Path(payload["file"]) if payload["file"] else None
    return Settings.from_values(payload["values"], payload["engine"], file)
