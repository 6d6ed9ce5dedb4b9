"""Event types: the built-in ones and a deployment's own, each with a role, a weight and a label.

A deployment names what its users do (``play``, ``stream``, ``add_to_playlist``, ``share``,
``download``, ``read``, ``dwell``) in the settings file's ``[events]`` table::

    [events]
    play = {role = "positive", weight = 1.0, label = "played"}
    add_to_playlist = {role = "positive", weight = 3.0, label = "added to a playlist"}
    skip = {role = "negative", weight = 0.5, label = "skipped"}

``role`` is ``positive`` (a taste the models learn), ``weak`` (a signal: seen, counted by
popularity, never a taste on its own) or ``negative`` (the user does not want it); ``weight``
(default 1) scales the event where the models weigh events (the content taste, the balance that
decides whether a negative event takes an item out of a history); ``label`` (default the name)
is what explanations say the user did ("you played X"). The built-in types (below) stay as
defaults and may be re-weighted or relabelled the same way; ``rating`` keeps its rule (positive
at or above ``PULSEREC_POSITIVE_RATING``) and ``search`` its query.

Types are coded as small integers in the columns models train on: built-ins keep their codes,
a deployment's types follow in the order the table names them, once per process
(:func:`configure`). A stored event of a type no longer configured reads as a weak signal.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.types import EVENT_TYPES, EventType

logger = logging.getLogger(__name__)

ROLES = ("positive", "weak", "negative")
MAX_TYPES = 127  # codes are int8
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class EventKind:
    """What one event type means."""

    name: str
    role: str  # positive | weak | negative (a rating: by its value)
    weight: float = 1.0
    label: str = ""  # what the user did, in explanations ("played")
    after: str = ""  # words after the titles ("to your cart")

    @property
    def signed_weight(self) -> float:
        """The weight, negative for negative feedback."""
        return -self.weight if self.role == "negative" else self.weight


BUILTIN: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind(EventType.VIEW.value, "weak", 0.5, "viewed"),
        EventKind(EventType.CLICK.value, "positive", 1.0, "clicked"),
        EventKind(EventType.CART.value, "positive", 2.0, "added", " to your cart"),
        EventKind(EventType.PURCHASE.value, "positive", 3.0, "bought"),
        EventKind(EventType.RATING.value, "weak", 1.0, "rated"),  # by its value
        EventKind(EventType.LIKE.value, "positive", 2.0, "liked"),
        EventKind(EventType.DISLIKE.value, "negative", 1.0, "disliked"),
        EventKind(EventType.SKIP.value, "negative", 0.5, "skipped"),
        EventKind(EventType.SEARCH.value, "weak", 0.0, "found", " in a search"),
    )
}
assert tuple(BUILTIN) == EVENT_TYPES  # built-ins keep the codes they always had

_lock = threading.Lock()
_kinds: list[EventKind] = list(BUILTIN.values())
CODES: dict[str, int] = {kind.name: code for code, kind in enumerate(_kinds)}


def parse_table(table: Mapping[str, Any]) -> dict[str, EventKind]:
    """The ``[events]`` table as kinds; ValueError naming what is wrong."""
    if not isinstance(table, Mapping):
        raise ValueError("[events] must be a table of event type names")
    out: dict[str, EventKind] = {}
    for name, spec in table.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"[events] {name!r}: a type name is lowercase letters, digits and _ (max 64)"
            )
        if not isinstance(spec, Mapping):
            raise ValueError(f"[events] {name}: expected {{role = ..., weight = ..., label = ...}}")
        unknown = set(spec) - {"role", "weight", "label"}
        if unknown:
            raise ValueError(f"[events] {name}: unknown key(s) {', '.join(sorted(unknown))}")
        base = BUILTIN.get(name)
        role = spec.get("role", base.role if base else None)
        if role not in ROLES:
            raise ValueError(f"[events] {name}: role must be one of {', '.join(ROLES)}")
        if name in (EventType.RATING.value, EventType.SEARCH.value) and "role" in spec:
            raise ValueError(f"[events] {name}: its role is fixed (only weight and label)")
        weight = spec.get("weight", base.weight if base else 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
            raise ValueError(f"[events] {name}: weight must be a number >= 0")
        label = spec.get("label", base.label if base else name.replace("_", " "))
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            raise ValueError(f"[events] {name}: label must be 1-100 characters")
        after = base.after if base and "label" not in spec else ""
        out[name] = EventKind(name, role, float(weight), label, after)
    return out


def configure(table: Mapping[str, Any]) -> None:
    """Add (or redefine) a deployment's types for this process (built-ins keep their codes)."""
    for kind in parse_table(table).values():
        _put(kind)


def _put(kind: EventKind) -> int:
    with _lock:
        code = CODES.get(kind.name)
        if code is None:
            if len(_kinds) >= MAX_TYPES:
                raise ValueError(f"at most {MAX_TYPES} event types")
            code = len(_kinds)
            _kinds.append(kind)
            CODES[kind.name] = code
        else:
            _kinds[code] = kind
        _refresh()
        return code


def code_of(name: str) -> int:
    """The code of type ``name``; a name no table defines (an event stored under an earlier
    configuration) is added as a weak signal."""
    code = CODES.get(name)
    if code is not None:
        return code
    logger.warning("event type %r is not configured: read as a weak signal", name)
    return _put(EventKind(name, "weak", 0.0, "engaged with"))


def kind_of(code: int) -> EventKind:
    return _kinds[code]


def name_of(code: int) -> str:
    return _kinds[code].name


def is_known(name: str) -> bool:
    return name in CODES


def known() -> list[str]:
    return list(CODES)


def as_type(name: str) -> EventType | str:
    """A built-in type as its enum member, a deployment's as its name."""
    return EventType(name) if name in BUILTIN else name


# per-code arrays the batch paths index with ``type_code`` (rebuilt when a type is added)
NEGATIVE_CODES: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
SIGNED_WEIGHTS: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
ROLE_SIGNS: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)


def _refresh() -> None:
    global NEGATIVE_CODES, SIGNED_WEIGHTS, ROLE_SIGNS
    roles = [k.role for k in _kinds]
    NEGATIVE_CODES = np.array([c for c, r in enumerate(roles) if r == "negative"], dtype=np.int8)
    SIGNED_WEIGHTS = np.array([k.signed_weight for k in _kinds], dtype=np.float32)
    sign = {"positive": 1, "weak": 0, "negative": -1}
    ROLE_SIGNS = np.array([sign[r] for r in roles], dtype=np.int8)


_refresh()


def is_negative_type(name: str) -> bool:
    """Whether events of type ``name`` are negative feedback by their type (a rating is not)."""
    return kind_of(code_of(name)).role == "negative"
