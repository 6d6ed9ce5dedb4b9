"""The command line: import exit codes and summaries."""

from __future__ import annotations

from pathlib import Path

import orjson

from pulserec.testing.server import run_cli


def test_import_succeeds_and_summarises_rejections(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    rows = [{"user_id": "u", "item_id": "i", "type": "view"}, {"user_id": "u", "type": "view"}]
    events.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    result = run_cli("import", str(events), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    assert "1 rows rejected" in result.stderr and "item_id" in result.stderr


def test_import_fails_when_nothing_is_imported_or_a_file_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text("user_id,type\nu,rating\n")
    result = run_cli("import", str(bad), "--data-dir", str(tmp_path / "d"))
    assert result.returncode != 0 and "nothing was imported" in result.stderr
    missing = run_cli("import", str(tmp_path / "nope.csv"), "--data-dir", str(tmp_path / "d"))
    assert missing.returncode != 0 and "could not be imported" in missing.stderr
    kind = run_cli("import", str(bad), "--kind", "things")
    assert kind.returncode != 0 and "--kind" in kind.stderr


def test_synth_output_imports_as_is(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    made = run_cli(
        "synth",
        "--domain",
        "music",
        "--items",
        "200",
        "--users",
        "30",
        "--events",
        "1500",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    assert made.returncode == 0, made.stderr
    files = [str(out / f"{kind}.jsonl") for kind in ("items", "users", "events")]
    loaded = run_cli("import", *files, "--data-dir", str(tmp_path / "d"))
    assert loaded.returncode == 0, loaded.stderr
    assert "rows rejected" not in loaded.stderr
    bad = run_cli("synth", "--domain", "cars", "--out", str(tmp_path / "x"))
    assert bad.returncode != 0 and "domain" in bad.stderr
