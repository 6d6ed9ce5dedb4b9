"""Edge validation rules shared by the API and the importers."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from pulserec.core.schemas import EventIn, ItemIn, format_timestamp, parse_timestamp


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (881250949, 881250949.0),
        (1.5, 1.5),
        ("881250949", 881250949.0),
        ("1997-12-04T15:55:49Z", 881250949.0),
        ("1997-12-04T15:55:49", 881250949.0),
        ("1997-12-04T16:55:49+01:00", 881250949.0),
        (None, None),
    ],
)
def test_timestamps_accept_unix_seconds_and_rfc3339(given: object, expected: float | None) -> None:
    assert parse_timestamp(given) == expected


@pytest.mark.parametrize("bad", [True, "soon", -5, float("inf"), [1]])
def test_bad_timestamps_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(bad)


def test_format_timestamp_is_rfc3339_utc() -> None:
    assert format_timestamp(881250949) == "1997-12-04T15:55:49Z"
    assert format_timestamp(0.25) == "1970-01-01T00:00:00.250Z"


def test_absent_timestamp_becomes_now() -> None:
    event = EventIn.model_validate({"user_id": "u", "item_id": "i", "type": "view"})
    assert event.to_domain(now=123.0).timestamp == 123.0
    item = ItemIn.model_validate({"id": "i", "title": "T", "timestamp": 5})
    assert item.to_domain(now=123.0).timestamp == 5.0


def test_rating_bounds_are_inclusive() -> None:
    for value in (0, 5, 2.5):
        EventIn.model_validate({"user_id": "u", "item_id": "i", "type": "rating", "value": value})
    for value in (-0.1, 5.01, None):
        with pytest.raises(ValidationError):
            EventIn.model_validate(
                {"user_id": "u", "item_id": "i", "type": "rating", "value": value}
            )


def test_search_may_omit_item_but_needs_query() -> None:
    event = EventIn.model_validate({"user_id": "u", "type": "search", "query": "jazz"})
    assert event.item_id is None
    with pytest.raises(ValidationError):
        EventIn.model_validate({"user_id": "u", "type": "search", "query": "   "})


def test_a_timestamp_more_than_five_minutes_ahead_is_refused() -> None:
    soon = time.time() + 60
    assert EventIn(type="click", user_id="u", item_id="i", timestamp=soon).timestamp == soon
    for future in (time.time() + 3600, 99_999_999_999, "5138-11-16T09:46:39Z", 99_999_999_999_999):
        with pytest.raises(ValidationError, match="ahead of the server's clock"):
            EventIn(type="click", user_id="u", item_id="i", timestamp=future)


def test_attributes_must_be_storable_as_json() -> None:
    with pytest.raises(ValidationError, match="64-bit"):
        ItemIn(id="a", title="A", attributes={"big": 2**70})
    assert ItemIn(id="a", title="A", attributes={"n": 2**62, "x": [1.5]}).attributes["n"] == 2**62


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (1_700_000_000, 1_700_000_000.0),
        (1_700_000_000_123, 1_700_000_000.123),
        ("1700000000123", 1_700_000_000.123),
        (1_700_000_000_000_000, 1_700_000_000.0),
        (1_700_000_000_000_000_000, 1_700_000_000.0),
    ],
)
def test_epoch_units_are_told_apart_by_magnitude(given: object, seconds: float) -> None:
    assert parse_timestamp(given) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "huge",
    [10**400, -(10**400), "1" * 400, 1e300, 10**20],
    ids=["10**400", "-10**400", "400 ones", "1e300", "10**20"],
)
def test_huge_timestamps_are_a_clear_validation_error(huge: object) -> None:
    with pytest.raises(ValidationError, match="timestamp"):
        EventIn.model_validate({"user_id": "u", "item_id": "i", "type": "view", "timestamp": huge})
    with pytest.raises(ValidationError, match="timestamp"):
        ItemIn.model_validate({"id": "i", "title": "T", "timestamp": huge})


def test_unknown_event_fields_are_kept_as_attributes() -> None:
    event = EventIn.model_validate(
        {"user_id": "u", "item_id": "i", "type": "view", "ms_played": 5, "attributes": {"a": 1}}
    )
    assert event.attributes == {"a": 1, "ms_played": 5}
    with pytest.raises(ValidationError, match="did you mean 'user_id'"):
        EventIn.model_validate({"user_id": "u", "userid": "v", "item_id": "i", "type": "view"})
    with pytest.raises(ValidationError, match="attributes"):
        EventIn.model_validate({"user_id": "u", "item_id": "i", "type": "view", "attributes": 3})
