"""Requests in a music catalog's language: boolean attributes ("no explicit", "clean"), a
negation's scope ending at a parenthesis, accents folded, "by X" and "like X" for creators,
and words that name the whole catalog ("music") never read as one of its categories."""

from __future__ import annotations

from pulserec.llm.constraints import ConstraintExtractor
from pulserec.llm.vocabulary import Vocabulary

GENRES = ["Hip-Hop", "Jazz", "Metal", "Pop", "Electronic", "K-Pop", "Latin"]
ARTISTS = ["Björk", "Motörhead", "Daft Punk", "Miles Davis"]


class Creators:
    """Each artist's (item id, title) pairs, as the engine's catalog gives them."""

    def items_by(self, name: str, value: str) -> list[tuple[str, str]]:
        assert name == "artist"
        return [(f"{value}-{n}", f"{value} song {n}") for n in range(3)]


READER = ConstraintExtractor(
    Vocabulary(GENRES, ["calm", "running"], {"artist": ARTISTS}, flags=["explicit"]),
    creators=Creators(),
)


def test_no_explicit_and_clean_read_the_flag() -> None:
    found = READER.extract("no explicit lyrics, 90s hip hop")
    assert found.exclude_attributes == (("explicit", "true"),)
    assert found.include == ("Hip-Hop",) and (found.year_min, found.year_max) == (1990, 1999)
    clean = READER.extract("clean (not explicit) hip hop")
    assert clean.attributes == (("explicit", "false"),)
    assert clean.exclude_attributes == (("explicit", "true"),)
    assert clean.include == ("Hip-Hop",) and clean.exclude == ()  # the ")" ends the negation


def test_accents_fold_and_by_names_the_creator() -> None:
    assert READER.extract("songs by Bjork").attributes == (("artist", "Björk"),)
    assert READER.extract("songs by björk").attributes == (("artist", "Björk"),)
    assert READER.extract("motorhead").attributes == (("artist", "Motörhead"),)
    assert READER.extract("pop, nothing by Daft Punk").exclude_attributes == (
        ("artist", "Daft Punk"),
    )


def test_like_a_creator_means_similar_to_their_items() -> None:
    found = READER.extract("something like Daft Punk")
    assert [item for item, _ in found.similar_to] == ["Daft Punk-0", "Daft Punk-1", "Daft Punk-2"]
    assert found.attributes == ()  # similar to them, not only by them


def test_a_word_for_the_whole_catalog_is_no_category() -> None:
    found = READER.extract("some music for the weekend")
    assert found.include == () and found.exclude == ()
