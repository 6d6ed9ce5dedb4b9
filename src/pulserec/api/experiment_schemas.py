"""The body of ``POST /v1/experiments``: variants with their serving configuration, the
mode, the salt, the traffic share and an optional horizon for the stopping rule."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pulserec.core.schemas import ExternalId
from pulserec.experiments.definition import INTERLEAVE
from pulserec.models import registry

MAX_VARIANTS = 10
MAX_LOOKS = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariantConfigIn(_Strict):
    """What a variant serves: registry ``models`` (their candidates fused by rank) and MMR
    ``diversity``; each left out keeps the server's default / the request's own."""

    models: list[str] | None = Field(default=None, min_length=1, max_length=8)
    diversity: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)

    @field_validator("models")
    @classmethod
    def _known(cls, models: list[str] | None) -> list[str] | None:
        if models is None:
            return None
        known = registry.names()
        unknown = [m for m in models if m not in known]
        if unknown:
            raise ValueError(f"unknown model {unknown[0]!r}; known: {', '.join(known)}")
        return list(dict.fromkeys(models))


class VariantIn(_Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    weight: float = Field(default=1.0, gt=0.0, le=1000.0, allow_inf_nan=False)
    config: VariantConfigIn = Field(default_factory=VariantConfigIn)


class HorizonIn(_Strict):
    """The planned users per variant (from a power calculation) and the looks at them."""

    users: int = Field(ge=2, le=100_000_000)
    looks: int = Field(default=1, ge=1, le=MAX_LOOKS)


class ExperimentIn(_Strict):
    id: ExternalId
    variants: list[VariantIn] = Field(min_length=2, max_length=MAX_VARIANTS)
    mode: Literal["ab", "interleave"] = "ab"
    salt: str | None = Field(default=None, min_length=1, max_length=256)
    traffic: float = Field(default=1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    horizon: HorizonIn | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ExperimentIn:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must differ")
        if self.mode == INTERLEAVE and len(self.variants) != 2:
            raise ValueError("interleave takes exactly two variants")
        if self.mode == INTERLEAVE and self.horizon is not None:
            raise ValueError("a horizon applies to ab experiments (interleave: the sign test)")
        return self

    def definition(self) -> dict[str, Any]:
        """The definition as the service stores it."""
        return {
            "id": self.id,
            "variants": [
                {
                    "name": v.name,
                    "weight": v.weight,
                    "config": v.config.model_dump(exclude_none=True),
                }
                for v in self.variants
            ],
            "mode": self.mode,
            # a random salt by default: a guessable one (the id) lets anyone pick ids that land
            # in the arm they want
            "salt": self.salt or secrets.token_hex(16),
            "traffic": self.traffic,
            "horizon": self.horizon.model_dump() if self.horizon is not None else None,
        }
