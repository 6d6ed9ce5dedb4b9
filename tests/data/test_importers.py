"""Bulk import on every format and kind, with the API's validation and a rejection summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pulserec.core.types import EventType
from pulserec.data.importers import detect_kind, import_file
from pulserec.data.readers import UnreadableFileError
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


@pytest.fixture
def ingestor() -> Ingestor:
    return Ingestor(MemoryStore())


def test_detect_kind_from_columns() -> None:
    assert detect_kind(["event_id", "user_id", "item_id", "type"]) == "events"
    assert detect_kind(["id", "title", "price"]) == "items"
    assert detect_kind(["id", "preferences"]) == "users"
    with pytest.raises(ValueError, match="cannot tell"):
        detect_kind(["foo", "bar"])


def test_csv_items_split_lists_and_fold_extra_columns(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "id,title,description,tags,categories,price\n"
        '1,"Boots, waterproof",Great boots,outdoor|winter,shoes,89.5\n'
        "2,Hat,,,hats,\n"
    )
    report = import_file(path, ingestor)
    assert (report.kind, report.rows, report.stored, report.rejected) == ("items", 2, 2, 0)
    boots = ingestor.store.get_item("1")
    assert boots is not None and boots.title == "Boots, waterproof"
    assert boots.tags == ("outdoor", "winter") and boots.categories == ("shoes",)
    assert boots.attributes == {"price": 89.5}
    hat = ingestor.store.get_item("2")
    assert hat is not None and hat.description is None and hat.tags == ()


def test_csv_events_with_rejections_and_reasons(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,user_id,item_id,type,value,timestamp\n"
        "e1,u1,i1,rating,4,881250949\n"
        "e2,u1,i2,rating,9,881250950\n"
        "e3,u2,i1,teleport,,881250951\n"
        "e4,u2,i3,view,,2020-01-01T00:00:00Z\n"
    )
    report = import_file(path, ingestor)
    assert (report.rows, report.stored, report.rejected) == (4, 2, 2)
    assert report.samples[0].startswith("row 3: value:")
    assert report.samples[1].startswith("row 4: type:")
    events = ingestor.store.user_events("u2", 10)
    assert events[0].timestamp == 1577836800.0 and events[0].type == EventType.VIEW


def test_jsonl_events_report_broken_lines_and_dedupe_on_reimport(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "events.jsonl"
    good = [
        {
            "event_id": f"e{i}",
            "user_id": "u",
            "item_id": f"i{i}",
            "type": "click",
            "timestamp": 100 + i,
        }
        for i in range(5)
    ]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in good) + b"{broken\n[1]\n")
    report = import_file(path, ingestor, chunk_rows=2)
    assert (report.rows, report.stored, report.rejected) == (7, 5, 2)
    assert report.samples[0].startswith("row 6: malformed JSON")
    again = import_file(path, ingestor)
    assert (again.stored, again.duplicates) == (0, 5)
    assert ingestor.store.counts().events == 5


def test_parquet_users_and_events_with_integer_ids(tmp_path: Path, ingestor: Ingestor) -> None:
    users = tmp_path / "users.parquet"
    pq.write_table(pa.table({"id": [1, 2], "preferences": ["jazz", None], "age": [30, 40]}), users)
    events = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "user_id": [1, 2],
                "item_id": [10, 11],
                "type": ["like", "skip"],
                "timestamp": [1.5, 2.5],
                "session": ["s", "s"],
            }
        ),
        events,
    )
    assert import_file(users, ingestor).stored == 2
    user = ingestor.store.get_user("1")
    assert user is not None and user.preferences == "jazz" and user.attributes == {"age": 30}
    report = import_file(events, ingestor)
    assert (report.kind, report.stored) == ("events", 2)
    stored = ingestor.store.user_events("2", 1)[0]
    assert stored.item_id == "11" and stored.attributes == {"session": "s"}  # extra columns


def test_forced_kind_and_unreadable_files(tmp_path: Path, ingestor: Ingestor) -> None:
    path = _jsonl(tmp_path / "people.jsonl", [{"id": "a", "title": "not an item"}])
    assert import_file(path, ingestor, kind="users").kind == "users"
    with pytest.raises(UnreadableFileError, match="unknown file type"):
        import_file(tmp_path / "data.xlsx", ingestor)
    with pytest.raises(UnreadableFileError, match="no such file"):
        import_file(tmp_path / "missing.csv", ingestor)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises((UnreadableFileError, pa.ArrowInvalid)):
        import_file(broken, ingestor)


def test_csv_infers_int_float_and_bool_per_column(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "id,title,price,year,in_stock,zip,sku,rank,score\n"
        "1,Boots,14.99,2019,true,02139,A1,1,12345678901234567890\n"
        "2,Hat,5,2020,FALSE,10001,B2,2.5,7\n"
        "3,Scarf,,,,,,3,\n"
    )
    report = import_file(path, ingestor, chunk_rows=1)
    assert (report.stored, report.rejected) == (3, 0)
    boots, hat, scarf = (ingestor.store.get_item(i) for i in ("1", "2", "3"))
    assert boots is not None and hat is not None and scarf is not None
    assert boots.attributes == {
        "price": 14.99,
        "year": 2019,
        "in_stock": True,
        "zip": "02139",
        "sku": "A1",
        "rank": 1.0,
        "score": "12345678901234567890",
    }
    assert hat.attributes["price"] == 5.0 and isinstance(hat.attributes["price"], float)
    assert hat.attributes["in_stock"] is False and hat.attributes["year"] == 2020
    assert scarf.attributes == {"rank": 3.0}


def test_csv_keeps_named_fields_as_strings(tmp_path: Path, ingestor: Ingestor) -> None:
    items = tmp_path / "items.csv"
    items.write_text("id,title,description,tags\n1,1984,2,3\n2,42,,\n")
    assert import_file(items, ingestor).stored == 2
    novel = ingestor.store.get_item("1")
    assert novel is not None and (novel.title, novel.description, novel.tags) == (
        "1984",
        "2",
        ("3",),
    )
    users = tmp_path / "users.csv"
    users.write_text("id,preferences,age,vip\n7,1,31,true\n")
    assert import_file(users, ingestor).stored == 1
    user = ingestor.store.get_user("7")
    assert user is not None and user.preferences == "1"
    assert user.attributes == {"age": 31, "vip": True}


def test_jsonl_values_keep_their_types(tmp_path: Path, ingestor: Ingestor) -> None:
    path = _jsonl(tmp_path / "items.jsonl", [{"id": "1", "title": "A", "price": "14.99", "n": 3}])
    assert import_file(path, ingestor).stored == 1
    item = ingestor.store.get_item("1")
    assert item is not None and item.attributes == {"price": "14.99", "n": 3}
