"""Imports a real warehouse sends (issue 26, items 15-17): a malformed row, a byte-order mark,
semicolons and Latin-1, millisecond timestamps, repeated ids, reasons that add up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pulserec.data.importers import ImportReport, import_file
from pulserec.data.readers import ReadOptions, UnreadableFileError, columns_of
from pulserec.storage import SqliteStore
from pulserec.storage.ingest import Ingestor


@pytest.fixture
def ingestor(tmp_path: Path) -> Iterator[Ingestor]:
    store = SqliteStore(tmp_path / "store.db")
    yield Ingestor(store)
    store.close()


def _adds_up(report: ImportReport) -> None:
    assert sum(report.reasons.values()) == report.rejected
    assert report.rows == report.stored + report.duplicates + report.rejected


def test_a_row_with_an_extra_column_is_rejected_alone_with_its_line(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    lines = ["id,title,genre"] + [f"t{i},Track {i},rock" for i in range(1, 3000)]
    lines[2003 - 1] = "t2002,Track 2002,rock,EXTRA"  # line 2003 of the file
    lines.insert(10, "")  # a blank line is skipped, and numbering goes on by physical lines
    path = tmp_path / "tracks.csv"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(path, ingestor, chunk_rows=500)
    assert (report.rows, report.stored, report.rejected) == (2999, 2998, 1)
    assert report.samples == ["row 2004: expected 3 columns, got 4"]
    assert ingestor.store.get_item("t2001") is not None
    assert ingestor.store.get_item("t2002") is None
    _adds_up(report)


def test_quoted_newlines_and_rows_short_of_columns(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "items.csv"
    path.write_text('id,title,description\n1,A,"two\nlines"\n2,B\n3,C,ok\n')
    report = import_file(path, ingestor)
    assert (report.stored, report.rejected) == (2, 1)
    assert report.samples == ["row 4: expected 3 columns, got 2"]
    one = ingestor.store.get_item("1")
    assert one is not None and one.description == "two\nlines"


def test_a_utf8_byte_order_mark_is_stripped(tmp_path: Path, ingestor: Ingestor) -> None:
    csv_path = tmp_path / "items.csv"
    csv_path.write_bytes(b"\xef\xbb\xbfid,title\n1,A\n")
    assert columns_of(csv_path) == ["id", "title"]
    assert import_file(csv_path, ingestor, kind="items").stored == 1
    jsonl = tmp_path / "users.jsonl"
    jsonl.write_bytes(b'\xef\xbb\xbf{"id": "u1"}\n')
    report = import_file(jsonl, ingestor)
    assert (report.kind, report.stored, report.rejected) == ("users", 1, 0)


def test_semicolons_are_detected_and_latin1_read_when_told(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes("id;title;tags;price\n1;Café;a|b;3\n2;Crème, brûlée;c;4\n".encode("latin-1"))
    report = import_file(path, ingestor, options=ReadOptions(encoding="latin-1"))
    assert (report.stored, report.rejected) == (2, 0)
    cafe, creme = ingestor.store.get_item("1"), ingestor.store.get_item("2")
    assert cafe is not None and cafe.title == "Café" and cafe.tags == ("a", "b")
    assert cafe.attributes == {"price": 3}
    assert creme is not None and creme.title == "Crème, brûlée"
    other = SqliteStore(tmp_path / "other.db")
    misread = import_file(path, Ingestor(other))
    other.close()
    assert (misread.stored, misread.rejected) == (0, 2)  # not UTF-8: said so, row by row
    assert "--encoding" in next(iter(misread.reasons))
    _adds_up(misread)


def test_an_explicit_delimiter_wins_and_bad_options_are_refused(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "users.csv"
    path.write_text("id|note\nu1|a;b\nu2|c\n")
    report = import_file(path, ingestor, options=ReadOptions(delimiter="|"))
    assert report.stored == 2
    user = ingestor.store.get_user("u1")
    assert user is not None and user.attributes == {"note": "a;b"}
    with pytest.raises(ValueError, match="encoding"):
        ReadOptions(encoding="no-such-codec")
    with pytest.raises(ValueError, match="delimiter"):
        ReadOptions(delimiter=";;")
    assert ReadOptions(delimiter="tab").delimiter == "\t"


def test_a_forced_kind_without_its_columns_is_refused_in_one_line(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\n1,Ann\n")
    with pytest.raises(UnreadableFileError, match="items need the columns id, title"):
        import_file(path, ingestor, kind="items")


def test_epoch_milliseconds_and_microseconds_are_told_apart(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "plays.csv"
    path.write_text(
        "event_id,user_id,item_id,type,timestamp\n"
        "e1,u,t,view,1700000000\n"
        "e2,u,t,view,1700000001000\n"
        "e3,u,t,view,1700000002000000\n"
        "e4,u,t,view,99999999999999\n"
    )
    report = import_file(path, ingestor)
    assert (report.stored, report.rejected) == (3, 1)
    assert "read as milliseconds" in report.samples[0]
    stamps = sorted(e.timestamp for e in ingestor.store.user_events("u", 10))
    assert stamps == [1700000000.0, 1700000001.0, 1700000002.0]


def test_parquet_timestamp_columns_are_read(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "user_id": ["u"],
            "item_id": ["t"],
            "type": ["view"],
            "timestamp": pa.array([1_700_000_000_000], pa.timestamp("ms", tz="UTC")),
        }
    )
    pq.write_table(table, path)
    report = import_file(path, ingestor)
    assert (report.stored, report.rejected) == (1, 0), report.samples
    assert ingestor.store.user_events("u", 1)[0].timestamp == 1_700_000_000.0


def test_an_id_repeated_inside_a_file_is_reported(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "items.csv"
    path.write_text("id,title\na,First\nb,B\na,Second\nc,C\n")
    report = import_file(path, ingestor, chunk_rows=2)
    assert (report.rows, report.stored, report.duplicates, report.rejected) == (4, 3, 1, 0)
    assert report.repeated == ["row 4: id 'a' repeats an earlier row (the first is kept)"]
    first = ingestor.store.get_item("a")
    assert first is not None and first.title == "First"
    _adds_up(report)


def test_reasons_add_up_to_the_rejected_count(tmp_path: Path, ingestor: Ingestor) -> None:
    now = time.time()
    rows = [
        {"user_id": "u", "item_id": "i", "type": "view", "timestamp": now + 3600 + i}
        for i in range(300)
    ] + [{"user_id": "u", "item_id": "i", "type": f"kind{i}"} for i in range(300)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows) + b"{oops\n")
    report = import_file(path, ingestor)
    assert report.rejected == 601
    _adds_up(report)
    assert len(report.reasons) <= 51  # bounded: the rest are counted as other reasons


def test_unknown_event_fields_become_attributes_on_import_as_over_http(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "plays.jsonl"
    path.write_bytes(
        b'{"user_id": "u", "item_id": "t", "type": "view", "ms_played": 9, "impression_id": "x"}\n'
        b'{"user_id": "u", "item_id": "t", "type": "view", "timestmap": 5}\n'
    )
    report = import_file(path, ingestor)
    assert (report.stored, report.rejected) == (1, 1)
    assert "did you mean 'timestamp'" in report.samples[0]
    (event,) = ingestor.store.user_events("u", 5)
    assert event.attributes == {"ms_played": 9} and event.impression_id == "x"


def test_a_csv_attributes_column_holds_json_and_tsv_is_csv(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "items.tsv"
    path.write_text('id\ttitle\tattributes\tcolor\n1\tA\t{"a": 1}\tred\n2\tB\toops\tblue\n')
    report = import_file(path, ingestor)
    assert (report.stored, report.rejected) == (1, 1)
    assert report.samples[0].startswith("row 3: attributes:")
    item = ingestor.store.get_item("1")
    assert item is not None and item.attributes == {"a": 1, "color": "red"}


def test_broken_quoting_is_a_rejected_record_not_a_silent_merge(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    path = tmp_path / "items.csv"
    path.write_text('id,title\n1,"A" x\n2,B\n3,"C\n4,D\n')
    report = import_file(path, ingestor)
    assert (report.stored, report.rejected) == (1, 2)
    assert report.samples == [
        "row 2: cannot parse the record: ',' expected after '\"'",
        "row 4: cannot parse the record: unexpected end of data",
    ]
    assert ingestor.store.get_item("3") is None
