"""``pulserec import`` on a warehouse export: file order, malformed rows, options, a summary
whose reasons add up (issue 26, items 15-17)."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from pulserec.storage import open_store
from pulserec.testing.server import run_cli


def test_items_go_in_before_events_and_a_bad_row_spoils_only_itself(tmp_path: Path) -> None:
    events = tmp_path / "plays.jsonl"
    events.write_bytes(
        b"".join(
            orjson.dumps({"user_id": f"u{i}", "item_id": f"t{i % 3}", "type": "view"}) + b"\n"
            for i in range(30)
        )
    )
    items = tmp_path / "tracks.csv"
    items.write_text("id,title,artist\nt0,Zero,A\nt1,One,B,extra\nt2,Two,C\n")
    data = tmp_path / "d"
    result = run_cli("import", str(events), str(items), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert "row 3: expected 3 columns, got 4" in result.stderr
    bars = result.stderr  # a progress bar per file, in the order they are imported
    assert bars.index("tracks.csv:") < bars.index("plays.jsonl:")  # items first
    store = open_store(data)
    try:
        zero, one = store.get_item("t0"), store.get_item("t1")
        assert zero is not None and zero.title == "Zero" and not zero.placeholder
        assert one is not None and one.placeholder  # its row was rejected; events made it
        assert store.counts().events == 30
    finally:
        store.close()


def test_delimiter_and_encoding_options(tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    items.write_bytes("id;title\n1;Café\n".encode("cp1252"))
    data = str(tmp_path / "d")
    misread = run_cli("import", str(items), "--data-dir", data)
    assert misread.returncode != 0 and "--encoding" in misread.stderr
    done = run_cli(
        "import", str(items), "--data-dir", data, "--encoding", "cp1252", "--delimiter", ";"
    )
    assert done.returncode == 0, done.stderr
    for flag, value in (("--encoding", "klingon"), ("--delimiter", "::")):
        refused = run_cli("import", str(items), "--data-dir", data, flag, value)
        assert refused.returncode != 0 and flag in refused.stderr
        assert "Traceback" not in refused.stderr


def test_the_reasons_printed_add_up_to_the_rejected_count(tmp_path: Path) -> None:
    rows = [{"user_id": "u", "item_id": "i", "type": "view"}] + [
        {"user_id": "u", "item_id": "i", "type": f"kind{i % 8}"} for i in range(40)
    ]
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows) + b"[1]\n")
    result = run_cli("import", str(events), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    assert "41 rows rejected" in result.stderr
    counts = [int(n) for n in re.findall(r"^\s+(\d+) × ", result.stderr, flags=re.M)]
    assert sum(counts) == 41 and len(counts) == 6
