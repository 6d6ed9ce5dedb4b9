"""The evaluation reports list says which results.json it could not read without naming
where it lives on the server's disk."""

from __future__ import annotations

from pathlib import Path

from pulserec.api.routes.ops import list_reports


def test_an_unreadable_report_names_no_server_path(tmp_path: Path) -> None:
    (tmp_path / "random").mkdir()
    (tmp_path / "random" / "results.json").write_text("{not json")
    (tmp_path / "loo" / "results.json").mkdir(parents=True)  # a directory: OSError on read
    found = {r["protocol"]: r for r in list_reports(tmp_path)}
    assert "IsADirectoryError" in found["loo"]["error"]
    assert "unreadable results.json" in found["random"]["error"]
    assert all(str(tmp_path) not in str(r.get("error")) for r in found.values())
