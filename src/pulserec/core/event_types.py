"""Event types: the built-in ones and a deployment's own, each with a role, a weight and a label.

A deployment names what its users do (``play``, ``stream``, ``add_to_playlist``, ``share``,
``download``, ``read``, ``dwell``) in the settings file's ``[events]`` table::

    [events]
    play = {role = "positive", weight = 1.0, label = "played"}
    add_to_playlist = {role = "positive", weight = 3.0, label = "added {item} to a playlist"}
    skip = {role = "negative", weight = 0.5, label = "skipped"}

``role`` is ``positive`` (a taste the models learn), ``weak`` (a signal: seen, counted by
popularity, never a taste on its own) or ``negative`` (the user does not want it); ``weight``
(default 1, at least 0) scales the event where events are weighed (the content model's taste,
the balance that decides whether negative feedback takes an item out of a user's history, see
:mod:`pulserec.engine.state.users`); ``label`` (default the name with spaces) is what explanations
say the user did: "you played X", the titles after the label, or where the label puts
``{item}`` ("added {item} to a playlist": "you added X to a playlist"). The built-in types
(:data:`BUILTIN`) stay as defaults and may be re-weighted or relabelled the same way;
``rating`` keeps its rule (positive at or above ``PULSEREC_POSITIVE_RATING``, negative at or
below 2) and ``search`` its query (neither takes a ``role``). A ``dislike`` (and a low rating)
is a verdict: it takes the item out of the history whatever came before; a deployment's own
negative types (a skip) weigh against what the user did before instead.

Types are coded as small integers (int8) in the columns models train on: built-ins keep their
codes (0-8, the order of :class:`~pulserec.core.types.EventType`), a deployment's types follow in
the order the table names them, once per process (:func:`configure`). Saved model state keeps
the names beside the codes (:mod:`pulserec.models.arrays`), so a table edited between
training and serving does not change what a saved code means. A stored event of a type no
longer configured reads as a weak signal of weight 0 (it is not accepted anew).
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

from pulserec.core.types import EVENT_TYPES, EventType

logger = logging.getLogger(__name__)

ROLES = ("positive", "weak", "negative")
MAX_TYPES = 127  # codes are int8
ITEM = "{item}"  # where a label puts the titles ("added {item} to a playlist")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_KEYS = ("role", "weight", "label")


@dataclass(frozen=True, slots=True)
class EventKind:
    """What one event type means."""

    name: str
    role: str  # positive | weak | negative (a rating: by its value)
    weight: float = 1.0
    label: str = ""  # what the user did, in explanations ("played", "added {item} to your cart")
    final: bool = False  # negative feedback that takes an item out whatever came before

    @property
    def signed_weight(self) -> float:
        """The weight, negative for negative feedback."""
        return -self.weight if self.role == "negative" else self.weight

    @property
    def words(self) -> tuple[str, str]:
        """The label around the titles: ``("added", " to your cart")``, ``("played", "")``."""
        head, _, tail = self.label.partition(ITEM)
        return head.rstrip(), tail


BUILTIN: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind(EventType.VIEW.value, "weak", 0.5, "viewed"),
        EventKind(EventType.CLICK.value, "positive", 1.0, "clicked"),
        EventKind(EventType.CART.value, "positive", 2.0, "added {item} to your cart"),
        EventKind(EventType.PURCHASE.value, "positive", 3.0, "bought"),
        EventKind(EventType.RATING.value, "weak", 1.0, "rated"),  # by its value
        EventKind(EventType.LIKE.value, "positive", 2.0, "liked"),
        EventKind(EventType.DISLIKE.value, "negative", 1.0, "disliked", final=True),
        EventKind(EventType.SKIP.value, "negative", 0.5, "skipped"),
        EventKind(EventType.SEARCH.value, "weak", 0.0, "found {item} in a search"),
    )
}
assert tuple(BUILTIN) == EVENT_TYPES  # built-ins keep the codes they always had
_FIXED_ROLE = (EventType.RATING.value, EventType.SEARCH.value)

_lock = threading.Lock()
_kinds: list[EventKind] = list(BUILTIN.values())
CODES: dict[str, int] = {kind.name: code for code, kind in enumerate(_kinds)}
_accepted: set[str] = set(BUILTIN)  # what events may be sent as: built-ins and the table's


def parse_table(table: Mapping[str, Any]) -> dict[str, EventKind]:
    """The ``[events]`` table as kinds; ValueError naming what is wrong."""
    if not isinstance(table, Mapping):
        raise ValueError("[events] must be a table of event type names")
    out: dict[str, EventKind] = {}
    for name, spec in table.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"[events] {name!r}: a type name is a lowercase letter, then lowercase letters, "
                "digits or _ (at most 64)"
            )
        if not isinstance(spec, Mapping):
            raise ValueError(
                f"[events] {name}: expected a table such as "
                '{role = "positive", weight = 1.0, label = "played"}'
            )
        unknown = set(spec) - set(_KEYS)
        if unknown:
            raise ValueError(
                f"[events] {name}: unknown key(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(_KEYS)})"
            )
        base = BUILTIN.get(name)
        if name in _FIXED_ROLE and "role" in spec:
            raise ValueError(f"[events] {name}: its role is fixed (only weight and label)")
        role = spec.get("role", base.role if base else None)
        if role is None:
            raise ValueError(f"[events] {name}: role is required ({', '.join(ROLES)})")
        if role not in ROLES:
            raise ValueError(
                f"[events] {name}: unknown role {role!r}: role must be one of {', '.join(ROLES)}"
            )
        weight = spec.get("weight", base.weight if base else 1.0)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0 <= weight < float("inf")
        ):
            raise ValueError(f"[events] {name}: weight must be a number >= 0, not {weight!r}")
        label = spec.get("label", base.label if base else name.replace("_", " "))
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            raise ValueError(f"[events] {name}: label must be 1-100 characters")
        if label.count(ITEM) > 1 or not label.partition(ITEM)[0].strip():
            raise ValueError(
                f"[events] {name}: label {label!r}: words first, {ITEM} at most once "
                '("played", "added {item} to a playlist")'
            )
        final = base.final if base else False
        out[name] = EventKind(name, role, float(weight), label, final)
    if len(set(BUILTIN) | set(out)) > MAX_TYPES:
        raise ValueError(f"[events]: at most {MAX_TYPES} event types in all")
    return out


def configure(table: Mapping[str, Any]) -> None:
    """Add (or redefine) a deployment's types for this process (built-ins keep their codes)."""
    for kind in parse_table(table).values():
        _put(kind)
        _accepted.add(kind.name)


def _put(kind: EventKind) -> int:
    with _lock:
        code = CODES.get(kind.name)
        if code is None:
            if len(_kinds) >= MAX_TYPES:
                raise ValueError(f"at most {MAX_TYPES} event types")
            code = len(_kinds)
            _kinds.append(kind)
            _refresh()  # the arrays know the code before anyone can look it up
            CODES[kind.name] = code
        else:
            _kinds[code] = kind
            _refresh()
        return code


def code_of(name: str) -> int:
    """The code of type ``name``; a name no table defines (an event stored under an earlier
    configuration) gets one as a weak signal of weight 0."""
    code = CODES.get(name)
    if code is not None:
        return code
    logger.warning("event type %r is not configured: read as a weak signal", name)
    return _put(EventKind(name, "weak", 0.0, "engaged with"))


def kind_of(code: int) -> EventKind:
    return _kinds[code]


def name_of(code: int) -> str:
    return _kinds[code].name


def names() -> list[str]:
    """Every coded type's name, by code (what saved model state keeps beside the codes)."""
    return [kind.name for kind in _kinds]


def is_known(name: str) -> bool:
    """Whether events of type ``name`` are accepted: a built-in type or the table's."""
    return name in _accepted


def known() -> list[str]:
    """The accepted types, by code."""
    return [kind.name for kind in _kinds if kind.name in _accepted]


def as_type(name: str) -> EventType | str:
    """A built-in type as its enum member, a deployment's as its name."""
    return EventType(name) if name in BUILTIN else name


# per-code arrays the batch paths index with ``type_code`` (rebuilt when a type is added)
NEGATIVE_CODES: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
SIGNED_WEIGHTS: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
ROLE_SIGNS: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
FINAL: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)


def _refresh() -> None:
    global NEGATIVE_CODES, SIGNED_WEIGHTS, ROLE_SIGNS, FINAL
    roles = [k.role for k in _kinds]
    NEGATIVE_CODES = np.array([c for c, r in enumerate(roles) if r == "negative"], dtype=np.int8)
    SIGNED_WEIGHTS = np.array([k.signed_weight for k in _kinds], dtype=np.float32)
    sign = {"positive": 1, "weak": 0, "negative": -1}
    ROLE_SIGNS = np.array([sign[r] for r in roles], dtype=np.int8)
    FINAL = np.array([k.final and k.role == "negative" for k in _kinds], dtype=np.bool_)


_refresh()


def is_negative_type(name: str) -> bool:
    """Whether events of type ``name`` are negative feedback by their type (a rating is not)."""
    return kind_of(code_of(name)).role == "negative"
