"""Constraint extraction by rules and the catalog's vocabulary (no encoder needed here)."""

from __future__ import annotations

import pytest

from pulserec.bench.chat import ML100K_GENRES
from pulserec.bench.chat_requests import MOVIES, SHOP
from pulserec.llm.constraints import ConstraintExtractor, extract_prices, extract_years

MOVIE_READER = ConstraintExtractor(ML100K_GENRES)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("from the 90s", (1990, 1999)),
        ("a 1980s thing", (1980, 1989)),
        ("before 1970", (None, 1969)),
        ("after 1990", (1991, None)),
        ("since 1990", (1990, None)),
        ("between 1950 and 1965", (1950, 1965)),
        ("from 1977", (1977, 1977)),
        ("no year at all", (None, None)),
    ],
)
def test_years(text: str, years: tuple[int | None, int | None]) -> None:
    low, high, _ = extract_years(f" {text} ")
    assert (low, high) == years


@pytest.mark.parametrize(
    ("text", "prices"),
    [
        ("under 100", (None, 100.0)),
        ("below $49.99", (None, 49.99)),
        ("over 200 dollars", (200.0, None)),
        ("between 20 and 40", (20.0, 40.0)),
        ("whatever it costs", (None, None)),
    ],
)
def test_prices(text: str, prices: tuple[float | None, float | None]) -> None:
    low, high, _ = extract_prices(f" {text} ")
    assert (low, high) == prices


def test_the_example_request() -> None:
    found = MOVIE_READER.extract("a funny sci-fi film from the 90s, nothing too long")
    assert set(found.include) == {"Comedy", "Sci-Fi"}
    assert (found.year_min, found.year_max) == (1990, 1999)
    assert found.exclude == ()
    assert found.notes == ("could not apply: not long",)  # length is not in the catalog


def test_negation_excludes_and_names_come_in_the_catalogs_spelling() -> None:
    found = MOVIE_READER.extract("animated films for kids, not musicals")
    assert set(found.include) == {"Animation", "Children's"}
    assert found.exclude == ("Musical",)


def test_unknown_words_become_the_semantic_query() -> None:
    found = MOVIE_READER.extract("films about submarines and pirates")
    assert found.include == ()
    assert found.text == "submarines pirates"


def test_categories_the_catalog_lacks_are_never_invented() -> None:
    reader = ConstraintExtractor(["Footwear", "Audio"])
    found = reader.extract("a funny western with running shoes")
    assert set(found.include) == {"Footwear"}


def test_the_held_out_set_is_large_and_well_formed() -> None:
    assert len(MOVIES) + len(SHOP) >= 40
    for _, expected in MOVIES + SHOP:
        assert set(expected) <= {"include", "exclude", "years", "price"}
        assert set(expected.get("include", ())) <= set(ML100K_GENRES) | {
            "Footwear", "Outerwear", "Audio", "Computers", "Fitness", "Camping", "Toys",
            "Jewelry", "Coffee & Tea", "Tools", "Pet Supplies", "Beauty",
        }  # fmt: skip
