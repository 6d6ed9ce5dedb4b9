"""A nightly re-import of the same warehouse export does not bring a deleted user back: their
events and their user row are rejected with the ``forgotten`` reason, and the counts add up."""

from __future__ import annotations

from pathlib import Path

import orjson

from pulserec.data.importers import import_file
from pulserec.storage import SqliteStore
from pulserec.storage.ingest import Ingestor


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def test_re_importing_a_deleted_users_rows_counts_them_as_forgotten(tmp_path: Path) -> None:
    users = _jsonl(tmp_path / "users.jsonl", [{"id": "gone", "age": 31}, {"id": "kept"}])
    events = _jsonl(
        tmp_path / "events.jsonl",
        [
            {"event_id": f"e{n}", "user_id": u, "item_id": "i1", "type": "click", "timestamp": n}
            for n, u in enumerate(["gone", "kept", "gone", "new"])
        ],
    )
    store = SqliteStore(tmp_path / "db.sqlite")
    try:
        ingestor = Ingestor(store)
        import_file(users, ingestor)
        assert import_file(events, ingestor).stored == 4
        assert ingestor.delete_user("gone")
        again_users = import_file(users, ingestor)
        again = import_file(events, ingestor)  # the nightly re-import
        assert (again_users.stored, again_users.rejected) == (1, 1)
        assert (again.rows, again.stored, again.duplicates, again.rejected) == (4, 0, 2, 2)
        assert again.rows == again.stored + again.duplicates + again.rejected
        (reason,) = again.reasons
        assert reason.startswith("user_id: forgotten") and again.reasons[reason] == 2
        assert again.samples[0].startswith("row 1: user_id: forgotten")
        assert next(iter(again_users.reasons)).startswith("id: forgotten")
        assert store.get_user("gone") is None and store.count_user_events("gone") == 0
    finally:
        store.close()
