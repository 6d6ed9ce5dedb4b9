"""Which impression a click belongs to, and how experiments share the traffic."""

from __future__ import annotations

import pytest

from pulserec.core.types import Event, EventType, ExperimentRecord, Impression
from pulserec.experiments.attribution import SKEW_S, WINDOW_S, attribute
from pulserec.experiments.definition import (
    Experiment,
    ExperimentConflict,
    Variant,
    place,
    traffic_point,
)


def _shown(id: str, user: str, at: float, *items: str) -> Impression:
    return Impression(id, "e", "a", user, at, items)


def _click(
    user: str, item: str, at: float, impression: str | None = None, kind=EventType.CLICK
) -> Event:  # type: ignore[no-untyped-def]
    return Event(user, item, kind, at, impression_id=impression)


def test_a_click_goes_to_the_impression_it_names_when_that_showed_the_item() -> None:
    shown = [_shown("i1", "u", 100, "x", "y"), _shown("i2", "u", 200, "x")]
    assert attribute(shown, [_click("u", "x", 250, "i1")]) == {"i1": {"x"}}
    assert attribute(shown, [_click("u", "z", 250, "i1")]) == {}  # not shown there
    assert attribute(shown, [_click("v", "x", 250, "i1")]) == {}  # someone else's impression
    assert attribute(shown, [_click("u", "x", 250, "gone")]) == {}  # unknown: nothing


def test_without_an_impression_id_the_latest_impression_showing_it_counts() -> None:
    shown = [
        _shown("i1", "u", 100, "x", "y"),
        _shown("i2", "u", 200, "x"),
        _shown("i3", "u", 300, "z"),
    ]
    assert attribute(shown, [_click("u", "x", 350)]) == {"i2": {"x"}}
    assert attribute(shown, [_click("u", "y", 350)]) == {"i1": {"y"}}
    assert attribute(shown, [_click("u", "x", 150)]) == {"i1": {"x"}}  # i2 came later


def test_only_engagements_inside_the_window_count_once_per_item() -> None:
    shown = [_shown("i1", "u", 1000, "x", "y")]
    late = 1000 + WINDOW_S + 1
    assert attribute(shown, [_click("u", "x", late)]) == {}
    assert attribute(shown, [_click("u", "x", 1000 - SKEW_S - 1)]) == {}
    views = [
        _click("u", "x", 1001, kind=EventType.VIEW),
        _click("u", "y", 1001, kind=EventType.SKIP),
    ]
    assert attribute(shown, views) == {}
    carts = [
        _click("u", "x", 1001),
        _click("u", "x", 1002, kind=EventType.CART),
        _click("u", "y", 1003, kind=EventType.PURCHASE),
        _click("u", "y", 1004, kind=EventType.LIKE),
    ]
    assert attribute(shown, carts) == {"i1": {"x", "y"}}


def _experiment(id: str, traffic: float = 1.0) -> Experiment:
    return Experiment(id, (Variant("a"), Variant("b")), "ab", id, traffic, 0.0, 0.0, 1.0)


def test_experiments_take_the_first_free_slice_and_never_overlap() -> None:
    first = place(_experiment("one", 0.5), [])
    assert (first.low, first.high) == (0.0, 0.5)
    second = place(_experiment("two", 0.3), [first.record()])
    assert (second.low, second.high) == (0.5, 0.8)
    with pytest.raises(ExperimentConflict, match="never overlap"):
        place(_experiment("three", 0.3), [first.record(), second.record()])
    stopped = ExperimentRecord("one", first.definition(), 1.0, stopped_at=2.0)
    third = place(_experiment("three", 0.3), [stopped, second.record()])
    assert (third.low, third.high) == (0.0, 0.3)  # a stopped experiment frees its slice


def test_assignment_is_stable_balanced_and_independent_of_other_experiments() -> None:
    users = [f"user-{n}" for n in range(20_000)]
    experiment = place(_experiment("e", 1.0), [])
    arms = [experiment.variant_of(u).name for u in users]
    assert abs(arms.count("a") / len(users) - 0.5) < 0.02
    reloaded = Experiment.from_record(experiment.record())  # a restart reads it back
    assert [reloaded.variant_of(u).name for u in users] == arms
    other = place(_experiment("f", 1.0), [])  # another salt splits independently
    both = sum(
        1
        for u, arm in zip(users, arms, strict=True)
        if arm == "a" and other.variant_of(u).name == "a"
    )
    assert abs(both / len(users) - 0.25) < 0.02
    half = place(_experiment("g", 0.5), [])
    inside = sum(half.covers(traffic_point(u)) for u in users) / len(users)
    assert abs(inside - 0.5) < 0.02
