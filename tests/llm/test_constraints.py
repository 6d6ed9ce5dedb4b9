"""Constraint extraction by rules and the catalog's vocabulary (no encoder needed here)."""

from __future__ import annotations

import pytest

from pulserec.llm.constraints import ConstraintExtractor, extract_prices, extract_years
from pulserec.llm.titles import TitleIndex
from pulserec.llm.vocabulary import Vocabulary
from pulserec_bench.chat import ML100K_GENRES
from pulserec_bench.chat_heldout import HELD_OUT, KINDS
from pulserec_bench.chat_requests import MOVIES, SHOP

MOVIE_READER = ConstraintExtractor(ML100K_GENRES)
FILMS = TitleIndex([("50", "Star Wars"), ("1", "Toy Story"), ("127", "The Godfather"),
                    ("187", "The Godfather: Part II"), ("7", "Twelve Monkeys")])  # fmt: skip
FILM_READER = ConstraintExtractor(Vocabulary(ML100K_GENRES, ML100K_GENRES), titles=FILMS)
BOOKSHOP = ConstraintExtractor(
    Vocabulary(["Horror", "Mystery", "Fantasy"], ["science-fiction", "crime", "cozy", "ghosts"])
)
SHOP_READER = ConstraintExtractor(
    Vocabulary(
        ["Footwear", "Footwear > Running shoes", "Footwear > Sandals", "Toys", "Toys > Board game"],
        ["hiking", "kids", "dogs"],
        {"brand": ["Soleway", "Mise Kitchen"], "color": ["navy blue", "black"]},
    )
)


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
        ("not from before 1990", (1990, None)),
        ("nothing older than 1985", (1985, None)),
        ("not after 1970", (None, 1970)),
        ("from the fifties", (1950, 1959)),
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
        ("no more than 500", (None, 500.0)),
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
    assert found.avoid == ("long",)  # length is not in the catalog: only ranked down


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


def test_a_title_after_like_is_an_item_not_words() -> None:
    found = FILM_READER.extract("something like Star Wars but not too long")
    assert [title for _, title in found.similar_to] == ["Star Wars"]
    assert found.include == () and found.exclude == ()  # not the genre War
    assert FILM_READER.extract("movies like Toy Story").similar_to == (("1", "Toy Story"),)
    godfather = FILM_READER.extract("films like the Godfather")
    assert godfather.similar_to == (("127", "The Godfather"),)  # the full title beats Part II's


def test_would_like_is_not_a_title_cue() -> None:
    found = FILM_READER.extract("I would like Twelve Monkeys")
    assert found.similar_to == ()


def test_a_negated_topic_word_does_not_exclude_its_whole_category() -> None:
    found = FILM_READER.extract("sci-fi but not about robots")
    assert found.include == ("Sci-Fi",)
    assert found.exclude == ()
    assert found.avoid == ("robots",)


def test_function_words_are_not_the_semantic_query() -> None:
    found = FILM_READER.extract("a scary movie set in space")
    assert set(found.include) == {"Horror", "Sci-Fi"}
    assert found.text == ""


def test_spellings_follow_the_catalog_not_a_movie_list() -> None:
    for message in ("horror but not science fiction", "horror, no sci-fi"):
        found = BOOKSHOP.extract(message)
        assert found.include == ("Horror",)
        assert found.exclude_tags == ("science-fiction",)
        assert found.notes == ()


def test_tags_are_constraints_too() -> None:
    found = BOOKSHOP.extract("a cozy mystery with ghosts, nothing with crime")
    assert found.include == ("Mystery",)
    assert set(found.tags) == {"cozy", "ghosts"}
    assert found.exclude_tags == ("crime",)


def test_leaves_tags_and_attribute_values() -> None:
    found = SHOP_READER.extract("navy blue Soleway running shoes for hiking")
    assert found.include == ("Footwear > Running shoes",)
    assert found.tags == ("hiking",)
    assert set(found.attributes) == {("color", "navy blue"), ("brand", "Soleway")}
    found = SHOP_READER.extract("toys for kids, no board games and nothing from Mise Kitchen")
    assert found.include == ("Toys",)
    assert found.exclude == ("Toys > Board game",)
    assert found.exclude_attributes == (("brand", "Mise Kitchen"),)


def test_negation_runs_on_through_and_between_names() -> None:
    found = FILM_READER.extract("anything except horror and thrillers")
    assert set(found.exclude) == {"Horror", "Thriller"}
    found = FILM_READER.extract("no horror and a funny one")
    assert found.exclude == ("Horror",) and found.include == ("Comedy",)


def test_plurals_of_everyday_words() -> None:
    assert set(FILM_READER.extract("detectives and gangsters").include) == {"Mystery", "Crime"}


def test_the_new_held_out_set_is_large_and_covers_every_kind() -> None:
    rows = [row for rows in HELD_OUT.values() for row in rows]
    assert len(rows) >= 120
    assert {kind for kind, _, _ in rows} == set(KINDS)
    assert all(set(expected) <= {
        "include", "exclude", "tags", "exclude_tags", "attributes", "exclude_attributes",
        "similar_to", "years", "price", "relaxed",
    } for _, _, expected in rows)  # fmt: skip


def test_the_held_out_set_is_large_and_well_formed() -> None:
    assert len(MOVIES) + len(SHOP) >= 40
    for _, expected in MOVIES + SHOP:
        assert set(expected) <= {"include", "exclude", "years", "price"}
        assert set(expected.get("include", ())) <= set(ML100K_GENRES) | {
            "Footwear", "Outerwear", "Audio", "Computers", "Fitness", "Camping", "Toys",
            "Jewelry", "Coffee & Tea", "Tools", "Pet Supplies", "Beauty",
        }  # fmt: skip


def test_a_message_full_of_cues_looks_up_a_bounded_number_of_titles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulserec.llm import constraints

    calls: list[int] = []
    original = constraints.match_title

    def counting(words, titles):  # type: ignore[no-untyped-def]
        calls.append(len(words))
        return original(words, titles)

    monkeypatch.setattr(constraints, "match_title", counting)
    message = " ".join(["like Toy Story,"] * 150)[:2000]
    found = FILM_READER.extract(message)
    assert len(calls) <= constraints.MAX_TITLE_CUES
    assert found.similar_to  # the first cues still name the film
