"""The README says what the code does: every event type with its meaning, the stream source
that exists (Redis) and no Kafka client claimed."""

from __future__ import annotations

import re
from pathlib import Path

from pulserec.core.types import EVENT_TYPES

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_event_type_with_its_meaning() -> None:
    text = README.read_text()
    section = text.split("## Event types", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section, flags=re.MULTILINE))
    assert set(rows) == set(EVENT_TYPES)
    assert all(meaning.strip() for meaning in rows.values())


def test_readme_claims_the_redis_stream_and_no_kafka_client() -> None:
    text = README.read_text().lower()
    assert "pulserec consume redis://" in text and "no stream source yet" not in text
    assert "no kafka client is built in" in text
