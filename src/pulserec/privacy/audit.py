"""What pulserec holds about people, and proof that a deleted person is in none of it.

:func:`scrub_user` takes a deleted user's id out of every published model version on disk
(``users.json`` keeps a hole at their index, so no later load can tie a row to them, and
lists the index under ``forgotten``: every load takes those rows out of the models).
:func:`privacy_report` lists, per kind of personal data, what the store and the artifacts
hold, and for one id every place it still appears: the store's profile, preferences and their
embedding, events and impressions, and a byte search of every artifact file.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import orjson

from pulserec.artifacts import ArtifactStore
from pulserec.storage import Store

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
    for experiment in store.experiments():
        shown = sum(1 for i in store.impressions(experiment.id) if i.user_id == user_id)
        if shown:
            traces.append(f"store: {shown} impressions in experiment {experiment.id}")
    needle = user_id.encode()
    quoted = orjson.dumps(user_id)  # how a JSON file holds it
    for path in _files(artifacts.root):
        if path.suffix == ".json":
            found = _holds(path, quoted)
        else:  # arrays hold no ids; a short id would match any binary file by chance
            found = len(needle) >= MIN_BINARY_NEEDLE and _holds(path, needle)
        if found:
            traces.append(f"artifact: {path.relative_to(artifacts.root)}")
    report["user"] = {"id": user_id, "traces": traces, "forgotten": not traces}
    return report
