"""Validation at the edge: the rules every item, user and event must pass.

The HTTP API and the bulk importers share these pydantic models, so a row rejected by one is
rejected by the other with the same message. ``to_domain`` turns a validated model into the
frozen domain type from ``pulserec.core.types``.
"""

from __future__ import annotations

import difflib
import functools
import math
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from pulserec.core import event_types
from pulserec.core.types import MAX_RATING, Event, EventType, Item, User

MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 100_000
MAX_FUTURE_SECONDS = 300.0  # a timestamp further ahead of the server's clock is refused


def _check_id(value: Any) -> Any:
    if isinstance(value, str) and value and not value.isprintable():
        raise ValueError("ids must be printable characters")
    return value


ExternalId = Annotated[
    str,
    BeforeValidator(_check_id),
    Field(min_length=1, max_length=MAX_ID_LENGTH, description="1-256 printable characters"),
]


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL (\\u0000) characters")
    return value


# free text: any characters but NUL, which SQL text columns (PostgreSQL's) cannot hold
Text = Annotated[str, BeforeValidator(_no_nul)]


# Unix time in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude: a
# number below 1e11 is seconds (up to the year 5138), below 1e14 milliseconds, and so on.
EPOCH_UNITS: tuple[tuple[float, float, str], ...] = (
    (1e11, 1.0, "seconds"),
    (1e14, 1e3, "milliseconds"),
    (1e17, 1e6, "microseconds"),
    (1e20, 1e9, "nanoseconds"),
)
TIMESTAMP_FORMS = (
    "Unix time (seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude) "
    "or an RFC 3339 string"
)


def parse_timestamp(value: Any) -> float | None:
    """Unix time (int, float or numeric string, in seconds, milliseconds, microseconds or
    nanoseconds by magnitude), RFC 3339 (no zone = UTC) or a ``datetime`` to Unix seconds; more
    than 5 minutes ahead of the server's clock is refused."""
    return _parsed(value, future=False)


def parse_moment(value: Any) -> float | None:
    """As :func:`parse_timestamp`, the future allowed: when an item becomes available or
    expires."""
    return _parsed(value, future=True)


def _parsed(value: Any, future: bool) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"timestamp must be {TIMESTAMP_FORMS}, not a boolean")
    unit = "seconds"
    if isinstance(value, datetime):
        seconds = _datetime_seconds(value)
    elif isinstance(value, int | float | Decimal):
        seconds, unit = _epoch_seconds(value)
    elif isinstance(value, str):
        seconds, unit = _parse_timestamp_text(value.strip())
    else:
        raise ValueError(f"timestamp must be {TIMESTAMP_FORMS}")
    if not future and seconds > time.time() + MAX_FUTURE_SECONDS:
        read = "" if unit == "seconds" else f" (read as {unit})"
        raise ValueError(
            f"timestamp {_readable(seconds)}{read} is more than 5 minutes ahead of the server's "
            "clock"
        )
    return seconds


def _epoch_seconds(number: int | float | Decimal) -> tuple[float, str]:
    """Unix seconds and the unit ``number`` was read in; compared before any conversion, so an
    integer of any size is a clear error, never an overflow."""
    if isinstance(number, float | Decimal) and not math.isfinite(number):
        raise ValueError("timestamp must be a finite, non-negative time")
    if number < 0:
        raise ValueError("timestamp must be a finite, non-negative time")
    for limit, per_second, unit in EPOCH_UNITS:
        if number < limit:
            return float(number) / per_second, unit
    raise ValueError(
        "timestamp is too large for Unix time in seconds, milliseconds, microseconds or "
        f"nanoseconds (at most {EPOCH_UNITS[-1][0]:.0e})"
    )


def _datetime_seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        seconds = moment.timestamp()
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"timestamp {moment.isoformat()} is out of range") from None
    if seconds < 0:
        raise ValueError("timestamp must be a finite, non-negative time")
    return seconds


def _readable(seconds: float) -> str:
    try:
        return format_timestamp(seconds)
    except (ValueError, OverflowError, OSError):
        return f"{seconds:g} (Unix seconds)"


def _parse_timestamp_text(text: str) -> tuple[float, str]:
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return _epoch_seconds(number)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp {text[:64]!r} is neither Unix time nor RFC 3339") from None
    return _datetime_seconds(parsed), "seconds"


def format_timestamp(seconds: float) -> str:
    """Unix seconds to RFC 3339 UTC, as every response writes times."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds" if seconds % 1 else "seconds").replace(
        "+00:00", "Z"
    )


Timestamp = Annotated[float | None, BeforeValidator(parse_timestamp)]
Moment = Annotated[float | None, BeforeValidator(parse_moment)]  # a time that may be ahead


def _storable(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes are stored as JSON: integers beyond 64 bits or nesting too deep are refused."""
    try:
        orjson.dumps(attributes)
    except (TypeError, orjson.JSONEncodeError) as error:
        raise ValueError(f"attributes cannot be stored as JSON: {error}") from None
    return attributes


Attributes = Annotated[dict[str, Any], AfterValidator(_storable)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)


class ItemIn(_Strict):
    """An item as a client sends it."""

    id: ExternalId
    title: Text = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    description: Text | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    tags: list[Annotated[Text, Field(min_length=1, max_length=MAX_ID_LENGTH)]] = []
    categories: list[Annotated[Text, Field(min_length=1, max_length=MAX_ID_LENGTH)]] = []
    attributes: Attributes = {}
    hidden: bool = False
    timestamp: Timestamp = None
    available_from: Moment = Field(default=None, description="Served from then on (absent: now)")
    expires_at: Moment = Field(default=None, description="Served until then (absent: always)")

    @model_validator(mode="after")
    def _window(self) -> ItemIn:
        start, end = self.available_from, self.expires_at
        if start is not None and end is not None and end <= start:
            raise ValueError("expires_at must be after available_from")
        return self

    def to_domain(self, now: float | None = None) -> Item:
        """The domain item; an absent timestamp becomes ``now``."""
        return Item(
            id=self.id,
            title=self.title,
            description=self.description,
            tags=tuple(self.tags),
            categories=tuple(self.categories),
            attributes=dict(self.attributes),
            hidden=self.hidden,
            placeholder=False,
            timestamp=self.timestamp if self.timestamp is not None else (now or time.time()),
            available_from=self.available_from,
            expires_at=self.expires_at,
        )


class UserIn(_Strict):
    """A user as a client sends it."""

    id: ExternalId
    attributes: Attributes = {}
    preferences: Text | None = Field(default=None, max_length=MAX_TEXT_LENGTH)

    def to_domain(self) -> User:
        """The domain user."""
        return User(id=self.id, attributes=dict(self.attributes), preferences=self.preferences)


def _finite_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("value must be a number, not a boolean")
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _event_type(value: Any) -> EventType | str:
    if not isinstance(value, str):
        raise ValueError("type must be a string naming an event type")
    if not event_types.is_known(value):
        raise ValueError(
            f"unknown event type {value!r} (known: {', '.join(event_types.known())}; a "
            "deployment adds its own in the settings file's [events] table)"
        )
    return event_types.as_type(value)


@functools.lru_cache(maxsize=4096)
def _misspelt(name: str, known: frozenset[str]) -> list[str]:
    """The known field ``name`` looks like a misspelling of (at most one)."""
    return difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)


def fold_unknown_fields(data: Any, known: frozenset[str], title: str) -> Any:
    """``data`` with its fields not in ``known`` moved into ``attributes`` (explicit attributes
    win); a name that looks like a misspelt known field (``timestmap``) is refused instead, so
    a typo never silently turns into an attribute."""
    if not isinstance(data, dict) or data.keys() <= known:
        return data
    extras = {name: value for name, value in data.items() if name not in known}
    typos = [
        InitErrorDetails(
            type=PydanticCustomError(
                "unknown_field",
                "unknown field {name}: did you mean {guess}? (other unknown fields are kept "
                "as attributes)",
                {"name": repr(str(name)), "guess": repr(guesses[0])},
            ),
            loc=(str(name),),
            input=value,
        )
        for name, value in extras.items()
        if (guesses := _misspelt(str(name), known))
    ]
    if typos:
        raise ValidationError.from_exception_data(title, typos)
    attributes = data.get("attributes")
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        return data  # the attributes field's own check names the problem
    shaped = {name: value for name, value in data.items() if name in known}
    shaped["attributes"] = {**extras, **attributes}
    return shaped


class EventIn(_Strict):
    """An event as a client sends it. Field order matters: later checks read earlier fields.
    Unknown fields (``ms_played``) are kept in ``attributes``, over HTTP and on import alike."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"additionalProperties": True}
    )

    type: Annotated[
        EventType | str,
        BeforeValidator(_event_type),
        Field(description="a built-in event type or one the deployment's [events] table names"),
    ]
    user_id: ExternalId
    item_id: ExternalId | None = Field(default=None, validate_default=True)
    value: Annotated[float | None, BeforeValidator(_finite_number)] = Field(
        default=None, validate_default=True, allow_inf_nan=False
    )
    query: Text | None = Field(default=None, max_length=MAX_TEXT_LENGTH, validate_default=True)
    timestamp: Timestamp = None
    event_id: ExternalId | None = None
    impression_id: ExternalId | None = None  # the experiment impression it answers
    attributes: Annotated[Attributes, Field(max_length=64)] = {}  # e.g. ms_played

    @model_validator(mode="before")
    @classmethod
    def _unknown_fields_as_attributes(cls, data: Any) -> Any:
        return fold_unknown_fields(data, _EVENT_FIELDS, "EventIn")

    @field_validator("item_id")
    @classmethod
    def _item_required(cls, item_id: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if item_id is None and kind is not None and kind != EventType.SEARCH:
            raise ValueError(f"a {kind} event needs an item_id")
        return item_id

    @field_validator("value")
    @classmethod
    def _rating_value(cls, value: float | None, info: ValidationInfo) -> float | None:
        if info.data.get("type") == EventType.RATING and (
            value is None or not 0.0 <= value <= MAX_RATING
        ):
            raise ValueError(f"a rating event needs a value in [0, {MAX_RATING:g}]")
        return value

    @field_validator("query")
    @classmethod
    def _search_query(cls, query: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("type") == EventType.SEARCH and not (query and query.strip()):
            raise ValueError("a search event needs a non-empty query")
        return query

    def to_domain(self, now: float | None = None) -> Event:
        """The domain event; an absent timestamp becomes ``now``."""
        return Event(
            user_id=self.user_id,
            item_id=self.item_id,
            type=self.type,
            timestamp=self.timestamp if self.timestamp is not None else (now or time.time()),
            value=self.value,
            query=self.query,
            event_id=self.event_id,
            impression_id=self.impression_id,
            attributes=dict(self.attributes),
        )


_EVENT_FIELDS = frozenset(EventIn.model_fields)
