"""An experiment as the service keeps it: variants with their serving configuration, the mode,
the salt, its share of traffic, and who is in which variant.

Experiments are mutually exclusive: each running one holds a slice ``[low, high)`` of one
traffic space (``bucket(TRAFFIC_SALT, user)``), given at creation to the first free gap of
its ``traffic`` share; an experiment that does not fit beside the running ones is refused
(409). Inside its slice a user's variant comes from the experiment's own salt, so the two
hashes are independent and stopping or starting another experiment moves no one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pulserec.core.types import ExperimentRecord
from pulserec.experiments.assignment import bucket, variant_index

TRAFFIC_SALT = "pulserec:traffic"
AB, INTERLEAVE = "ab", "interleave"
MODES = (AB, INTERLEAVE)
INTERLEAVED = "interleaved"  # the ``experiment.variant`` of an interleaved answer


class ExperimentConflict(Exception):
    """The experiment cannot run as asked (its id exists, or no traffic is free): a 409."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One arm: ``models`` (registry names; None: the served default) and ``diversity``
    (None: the request's own)."""

    name: str
    weight: float = 1.0
    models: tuple[str, ...] | None = None
    diversity: float | None = None

    def as_json(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.models is not None:
            config["models"] = list(self.models)
        if self.diversity is not None:
            config["diversity"] = self.diversity
        return {"name": self.name, "weight": self.weight, "config": config}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Variant:
        config = data.get("config") or {}
        models = config.get("models")
        diversity = config.get("diversity")
        return cls(
            str(data["name"]),
            float(data.get("weight", 1.0)),
            tuple(models) if models is not None else None,
            float(diversity) if diversity is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Experiment:
    """A stored experiment, with assignment."""

    id: str
    variants: tuple[Variant, ...]
    mode: str
    salt: str
    traffic: float
    low: float
    high: float
    started_at: float
    stopped_at: float | None = None
    horizon_users: int | None = None  # users per variant the stopping rule plans for
    looks: int = 1

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def weights(self) -> list[float]:
        return [v.weight for v in self.variants]

    def covers(self, traffic_point: float) -> bool:
        """Whether a user at ``traffic_point`` of the traffic space is in this experiment."""
        return self.low <= traffic_point < self.high

    def variant_of(self, user_key: str) -> Variant:
        """The variant of a user in the experiment (an interleaved one serves both)."""
        return self.variants[variant_index(self.salt, user_key, self.weights)]

    def models(self) -> set[str]:
        """The registry models its variants name (what the trainer must fit)."""
        return {m for v in self.variants for m in (v.models or ())}

    def definition(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "variants": [v.as_json() for v in self.variants],
            "mode": self.mode,
            "salt": self.salt,
            "traffic": self.traffic,
            "traffic_range": [self.low, self.high],
            "horizon": (
                {"users": self.horizon_users, "looks": self.looks}
                if self.horizon_users is not None
                else None
            ),
        }

    def as_json(self) -> dict[str, Any]:
        """The experiment as the API shows it: never its salt (who knows it can steer ids)."""
        shown = {k: v for k, v in self.definition().items() if k != "salt"}
        return {
            **shown,
            "state": "running" if self.running else "stopped",
            "started_at": self.started_at,
            "stopped_at": self.stopped_at,
        }

    def record(self) -> ExperimentRecord:
        return ExperimentRecord(self.id, self.definition(), self.started_at, self.stopped_at)

    @classmethod
    def from_record(cls, record: ExperimentRecord) -> Experiment:
        data = record.definition
        low, high = data.get("traffic_range", (0.0, 1.0))
        horizon = data.get("horizon") or {}
        return cls(
            record.id,
            tuple(Variant.from_json(v) for v in data["variants"]),
            str(data.get("mode", AB)),
            str(data.get("salt", record.id)),
            float(data.get("traffic", 1.0)),
            float(low),
            float(high),
            record.started_at,
            record.stopped_at,
            int(horizon["users"]) if "users" in horizon else None,
            int(horizon.get("looks", 1)),
        )


def traffic_point(user_key: str) -> float:
    """Where a user sits in the traffic space that running experiments share."""
    return bucket(TRAFFIC_SALT, user_key)


def place(experiment: Experiment, stored: list[ExperimentRecord]) -> Experiment:
    """``experiment`` given the first free slice of its traffic share beside the running
    ``stored`` ones; ExperimentConflict when none is wide enough."""
    taken = sorted(
        (e.low, e.high) for e in (Experiment.from_record(r) for r in stored) if e.running
    )
    start = 0.0
    for low, high in [*taken, (1.0, 1.0)]:
        if low - start >= experiment.traffic - 1e-12:
            end = min(1.0, start + experiment.traffic)
            return _with_range(experiment, start, end)
        start = max(start, high)
    running = [r.id for r in stored if r.stopped_at is None]
    raise ExperimentConflict(
        f"running experiments ({', '.join(running)}) hold the traffic it asks for "
        f"({experiment.traffic:g}): experiments never overlap; stop one or ask for less traffic"
    )


def _with_range(experiment: Experiment, low: float, high: float) -> Experiment:
    return replace(experiment, low=low, high=high)
