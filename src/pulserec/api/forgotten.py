"""Records of deleted users, refused: a 422 whose ``details`` name each record (``index``,
``field``, ``message``) with ``"code": "forgotten"`` (see docs/api.md)."""

from __future__ import annotations

from collections.abc import Sequence

from pulserec.api.errors import ApiError
from pulserec.storage.base import UserStore
from pulserec.storage.tombstones import FORGOTTEN, FORGOTTEN_MESSAGE


def forgotten_error(positions: Sequence[int], field: str, hint: str = "") -> ApiError:
    """The 422 naming the records at ``positions`` of a refused batch."""
    message = FORGOTTEN_MESSAGE + hint
    details = [
        {"index": n, "field": field, "message": message, "code": FORGOTTEN} for n in positions
    ]
    return ApiError(422, f"{len(details)} record(s) of deleted users; first: {message}", details)


def refuse_forgotten(store: UserStore, user_ids: Sequence[str], field: str, hint: str = "") -> None:
    """Raise a 422 naming every position of ``user_ids`` whose user was deleted."""
    dead = store.forgotten(user_ids) if user_ids else set()
    if dead:
        raise forgotten_error([n for n, u in enumerate(user_ids) if u in dead], field, hint)
