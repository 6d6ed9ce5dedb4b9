"""The JSON shapes the API answers with, as typed dictionaries (../shared/API.md)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ItemFields(TypedDict):
    """``include=item``: the fields a card needs."""

    title: str | None
    categories: list[str]
    tags: list[str]
    attributes: dict[str, Any]


class Recommended(TypedDict):
    """One item of a list."""

    id: str
    score: float
    source: str
    sources: list[str]
    explanation: NotRequired[str]
    reasons: NotRequired[list[dict[str, Any]]]
    item: NotRequired[ItemFields]
    variant: NotRequired[str]


class RankedList(TypedDict):
    """Every route that returns items: ``items``, the version that served them, server time."""

    items: list[Recommended]
    model_version: str
    took_ms: float
    user_id: NotRequired[str]
    impression_id: NotRequired[str]
    experiment: NotRequired[dict[str, str]]
    query: NotRequired[str]
    item_id: NotRequired[str]
    window: NotRequired[str]


class BatchResult(TypedDict):
    user_id: str
    items: list[Recommended]


class BatchAnswer(TypedDict):
    results: list[BatchResult]
    model_version: str
    took_ms: float


class ChatAnswer(TypedDict):
    reply: str
    constraints: dict[str, Any]
    items: list[Recommended]
    model_version: str
    took_ms: float


class Accepted(TypedDict):
    """``POST /v1/events``."""

    accepted: int
    duplicates: int


class Item(TypedDict):
    id: str
    title: str | None
    description: NotRequired[str | None]
    tags: list[str]
    categories: list[str]
    attributes: dict[str, Any]
    hidden: NotRequired[bool]
    placeholder: bool


class User(TypedDict):
    id: str
    attributes: dict[str, Any]
    preferences: str | None
    events: int


class SimilarUser(TypedDict):
    id: str
    score: float


class SimilarUsers(TypedDict):
    user_id: str
    users: list[SimilarUser]
    took_ms: float


class Event(TypedDict):
    """An event to send; the client fills ``event_id`` when it is missing."""

    user_id: str
    type: str
    item_id: NotRequired[str | None]
    event_id: NotRequired[str]
    value: NotRequired[float | None]
    timestamp: NotRequired[float | str | None]
    query: NotRequired[str | None]
    impression_id: NotRequired[str | None]
    attributes: NotRequired[dict[str, Any]]
