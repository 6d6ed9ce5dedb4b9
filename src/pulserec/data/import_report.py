"""What an import did with one file: counts that add up, reasons, samples.

``rows == stored + duplicates + rejected`` and the reasons' counts add up to ``rejected``: at
most ``MAX_REASONS`` distinct reasons are kept, the rest are counted under ``OTHER_REASONS``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["items", "users", "events"]
KINDS: tuple[Kind, ...] = ("items", "users", "events")
MAX_SAMPLES = 10
MAX_REASONS = 50
OTHER_REASONS = "other reasons"


@dataclass
class ImportReport:
    """What happened to one file. ``repeated`` samples the rows whose id an earlier row of the
    same file already had (counted in ``duplicates``; the first row is kept)."""

    path: Path
    kind: Kind
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    repeats: int = 0
    seconds: float = 0.0

    def reject(self, number: int, reason: str) -> None:
        """Count row ``number`` as rejected for ``reason``."""
        self.rejected += 1
        if reason in self.reasons or len(self.reasons) < MAX_REASONS:
            self.reasons[reason] += 1
        else:
            self.reasons[OTHER_REASONS] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"row {number}: {reason}")

    def repeat(self, number: int, key: str) -> None:
        """Count row ``number`` as a duplicate: its id ``key`` was seen earlier in the file."""
        self.duplicates += 1
        self.repeats += 1
        if len(self.repeated) < MAX_SAMPLES:
            self.repeated.append(
                f"row {number}: id {key!r} repeats an earlier row (the first is kept)"
            )
