"""What pulserec holds about people, and proof that a deleted person is in none of it.

:func:`scrub_user` takes a deleted user's id out of every published model version on disk
(``users.json`` keeps a hole at their index, so no later load can tie a row to them, and
lists the index under ``forgotten``: every load takes those rows out of the models).
:func:`privacy_report` lists, per kind of personal data, what the store and the artifacts
hold, and for one id every place it still appears: the store's profile, preferences and their
embedding, events and impressions, every change-log payload, and a byte search of every
artifact file. The deletion's own ``delete_user`` log entry is listed under ``pending`` (it
keeps the id for followers for ``LOG_ID_KEEP_S``, then holds a hash); the tombstone is
reported as held or not (it holds a keyed hash, never the id).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import orjson

from pulserec.artifacts import ArtifactStore
from pulserec.storage import Store
from pulserec.storage.changelog import DELETE_USER
from pulserec.storage.tombstones import LOG_ID_KEEP_S

USERS_FILE = "users.json"
SCRUB_LOCK = ".scrub.lock"
MIN_BINARY_NEEDLE = 8


def scrub_user(artifacts: ArtifactStore, user_id: str, index: int | None = None) -> int:
    """Replace ``user_id`` by a hole in every version's user map and list its index as
    forgotten; returns how many changed. ``index``: the row the user had where the map was
    saved with a hole there already (a training that ran while they were deleted). Each file
    is rewritten aside and renamed into place, so a reader sees one or the other."""
    changed = 0
    artifacts.root.mkdir(parents=True, exist_ok=True)
    with (artifacts.root / SCRUB_LOCK).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # workers scrub the same files: one at a time
        for version in artifacts.list():
            path = artifacts.path(version) / USERS_FILE
            if not path.exists():
                continue
            saved = orjson.loads(path.read_bytes())
            ids, forgotten = saved.get("ids", []), set(saved.get("forgotten", []))
            if user_id in ids:
                row = ids.index(user_id)
            elif index is not None and index < len(ids) and ids[index] is None:
                row = index
            else:
                continue
            if row in forgotten and user_id not in ids:
                continue
            saved["ids"] = [None if i == user_id else i for i in ids]
            # their rows stay in the arrays: every load forgets them (ArtifactStore.load_bundle)
            saved["forgotten"] = sorted(forgotten | {row})
            temporary = path.with_name(f".{USERS_FILE}.{os.getpid()}.tmp")
            temporary.write_bytes(orjson.dumps(saved))
            os.replace(temporary, path)
            changed += 1
    return changed


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _user_ids(path: Path) -> int:
    """How many ids a saved user map holds (holes not counted)."""
    if not path.exists():
        return 0
    return sum(1 for i in orjson.loads(path.read_bytes())["ids"] if i is not None)


def _holds(path: Path, needle: bytes) -> bool:
    return needle in path.read_bytes()


def privacy_report(store: Store, artifacts: ArtifactStore, user_id: str | None) -> dict[str, Any]:
    """The inventory (and, for ``user_id``, every trace of them: empty when forgotten)."""
    counts = store.counts()
    versions = artifacts.list()
    inventory: dict[str, Any] = {
        "store": {
            "users (profiles, stated preferences)": counts.users,
            "events (with user ids)": counts.events,
            "experiments (assignments are recomputed from the id, never stored)": len(
                store.experiments()
            ),
        },
        "artifacts": {
            version: {
                "user ids": _user_ids(artifacts.path(version) / USERS_FILE),
                "files": len(_files(artifacts.path(version))),
            }
            for version in versions
        },
    }
    report: dict[str, Any] = {"inventory": inventory}
    if user_id is None:
        return report
    traces: list[str] = []
    if store.get_user(user_id) is not None:
        traces.append("store: user profile")
    if store.user_vectors([user_id]):
        traces.append("store: preference embedding")
    events = store.count_user_events(user_id)
    if events:
        traces.append(f"store: {events} events")
    shown: dict[str, int] = {}
    for impression in store.user_impressions(user_id):
        shown[impression.experiment] = shown.get(impression.experiment, 0) + 1
    traces += [f"store: {n} impressions in experiment {e}" for e, n in shown.items()]
    needle = user_id.encode()
    quoted = orjson.dumps(user_id)  # how a JSON file holds it
    pending: list[str] = []
    for seq, kind in _log_entries_naming(store, quoted):
        if kind == DELETE_USER:
            pending.append(
                f"change log: delete_user entry {seq} (followers apply it by id; hashed"
                f" {LOG_ID_KEEP_S // 3600} h after the deletion)"
            )
        else:
            traces.append(f"change log: {kind} entry {seq}")
    for path in _files(artifacts.root):
        if path.suffix == ".json":
            found = _holds(path, quoted)
        else:  # arrays hold no ids; a short id would match any binary file by chance
            found = len(needle) >= MIN_BINARY_NEEDLE and _holds(path, needle)
        if found:
            traces.append(f"artifact: {path.relative_to(artifacts.root)}")
    report["user"] = {
        "id": user_id,
        "traces": traces,
        "forgotten": not traces,
        "pending": pending,
        "tombstone": bool(store.forgotten([user_id])),  # a keyed hash, not the id
    }
    return report


def _log_entries_naming(store: Store, quoted: bytes) -> list[tuple[int, str]]:
    """The change-log entries whose payload holds the JSON string ``quoted`` (every entry is
    read, a page at a time)."""
    found: list[tuple[int, str]] = []
    after = 0
    while entries := store.entries(after, 1000):
        found += [(e.seq, e.kind) for e in entries if quoted in orjson.dumps(e.payload)]
        after = entries[-1].seq
    return found
