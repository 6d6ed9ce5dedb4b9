"""What the engine answers: ranked item indices with scores, sources and explanations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Ranked:
    """One recommended item, by external id."""

    id: str
    score: float
    sources: tuple[str, ...]
    explanation: str | None = None
    reasons: list[dict[str, Any]] | None = None

    @property
    def source(self) -> str:
        """The model or fill that really placed the item (a hybrid's fallback by its name)."""
        return "+".join(self.sources) if self.sources else "none"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "score": self.score,
            "source": self.source,
            "sources": list(self.sources),
        }
        if self.explanation is not None:
            out["explanation"] = self.explanation
            out["reasons"] = self.reasons or []
        return out


@dataclass(frozen=True, slots=True)
class RankedList:
    """A whole answer: the items and the model version that produced them."""

    items: list[Ranked] = field(default_factory=list)
    model_version: str = "none"
