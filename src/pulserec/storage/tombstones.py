"""Tombstones: what a store keeps of a deleted user so that they stay deleted.

``DELETE /v1/users/{id}`` leaves one row: an HMAC-SHA256 of the id (keyed by the store's
secret ``tombstones``, :meth:`~pulserec.storage.base.SecretStore.secret`) and the time of the
deletion; never the id. For ``TOMBSTONE_RETENTION_S`` after it, events of that user (the same
``event_id``s re-posted, a nightly re-import of a warehouse export) are refused and counted as
``forgotten``, and so is a user record, unless a client re-creates the user explicitly
(``POST /v1/users?restore=true``), which lifts the tombstone. Expired tombstones are purged by
the next deletion.

The change log holds the raw id in two places, scrubbed by every backend: a ``users`` entry
that listed the user loses the id in the deletion's own transaction; the ``delete_user``
entry keeps it (followers on other workers and replicas apply the deletion by id) for
``LOG_ID_KEEP_S``, after which the next deletion (or the store's next opening) rewrites its
payload to :func:`hashed_delete` (an empty id that matches nobody, and the hash).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from pulserec.core.types import Event

SECRET_NAME = "tombstones"
TOMBSTONE_RETENTION_S = 400 * 86_400  # a nightly re-import of a yearly export stays refused
LOG_ID_KEEP_S = 86_400  # how long a delete_user log entry (and the bus) keeps the raw id
FORGOTTEN = "forgotten"  # the reason code of a refused record
FORGOTTEN_MESSAGE = (
    "forgotten: this user was deleted (DELETE /v1/users/{id}); their events are refused"
)
RESTORE_HINT = "; POST /v1/users?restore=true re-creates the user"


def tombstone_hash(key: bytes, user_id: str) -> str:
    """The keyed hash a tombstone holds instead of ``user_id``."""
    return hmac.new(key, user_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def hashes(key: bytes, user_ids: Iterable[str]) -> dict[str, str]:
    """Each distinct id's tombstone hash, hash -> id."""
    return {tombstone_hash(key, u): u for u in dict.fromkeys(user_ids)}


def hashed_delete(digest: str) -> dict[str, Any]:
    """The payload a ``delete_user`` entry keeps once ``LOG_ID_KEEP_S`` has passed."""
    return {"id": "", "hash": digest}


def without_id(payload_text: str, user_id: str) -> str | None:
    """A ``users`` entry's payload with ``user_id`` taken out of its ids (None: not there)."""
    payload = orjson.loads(payload_text)
    ids = payload.get("ids", [])
    if user_id not in ids:
        return None
    payload["ids"] = [i for i in ids if i != user_id]
    return orjson.dumps(payload).decode()


def quoted(user_id: str) -> str:
    """How ``user_id`` appears inside a JSON payload (what a scan for it looks for)."""
    return orjson.dumps(user_id).decode()


def refused(events: Sequence[Event], dead: set[str]) -> tuple[int, ...]:
    """The positions in ``events`` of events of users in ``dead``: a batch holding any is
    refused whole (``AppendResult(0, 0, forgotten=...)``), as the API validates a batch."""
    return tuple(n for n, e in enumerate(events) if e.user_id in dead) if dead else ()
