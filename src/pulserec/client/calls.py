"""Every API route as a :class:`Call`: method, path, query, body and whether a retry is safe.
The sync and async clients send the same calls (:mod:`.sync`, :mod:`.asyncio`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict, TypeVar
from urllib.parse import quote

T = TypeVar("T")
Params = list[tuple[str, str]]
# "always": safe to repeat (reads, upserts by id, events with ids, deletes); "connect": only when
# the request never reached the server (a training, an experiment's creation or stop)
Retry = Literal["always", "connect"]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request; ``T`` is what its JSON answer is (``str`` for text routes)."""

    method: str
    path: str
    params: Params = field(default_factory=list)
    body: Any = None
    retry: Retry = "always"
    text: bool = False


class ListOptions(TypedDict, total=False):
    """What every list route takes beyond its own parameters."""

    k: int
    filters: Sequence[str]  # filter= predicates, ANDed: "explicit:false", "year:1990..1999"
    include_item: bool  # each result carries {"title", "categories", "tags", "attributes"}


class RecommendOptions(ListOptions, total=False):
    offset: int
    exclude_seen: bool
    category: str
    explain: bool
    diversity: float
    boost: Sequence[str]  # "category:Jazz:1.5"
    bury: Sequence[str]  # "explicit:true"


def _id(value: str) -> str:
    return quote(value, safe="")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def list_params(options: Mapping[str, Any]) -> Params:
    """Query parameters of a list route from its options (only those given)."""
    out: Params = []
    for name, value in options.items():
        if value is None:
            continue
        if name == "filters":
            out += [("filter", f) for f in value]
        elif name in ("boost", "bury"):
            out += [(name, rule) for rule in value]
        elif name == "include_item":
            out += [("include", "item")] if value else []
        elif isinstance(value, bool):
            out.append((name, _bool(value)))
        else:
            out.append((name, str(value)))
    return out


def list_body(options: Mapping[str, Any]) -> dict[str, Any]:
    """The same options in a POST body."""
    out: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name == "filters":
            out["filter"] = list(value)
        elif name == "include_item":
            out["include"] = ["item"] if value else []
        elif name in ("boost", "bury"):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def with_event_ids(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Events as dicts, each with an ``event_id`` (a fresh UUID where the caller gave none), so
    a retried batch is counted once."""
    return [{**event, "event_id": event.get("event_id") or uuid.uuid4().hex} for event in events]


# -- catalog and people ---------------------------------------------------------------------
def upsert_items(items: Sequence[Mapping[str, Any]]) -> Call[dict[str, int]]:
    return Call("POST", "/v1/items", body={"items": list(items)})


def get_item(item_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/items/{_id(item_id)}")


def list_items(offset: int = 0, limit: int = 100) -> Call[dict[str, Any]]:
    return Call("GET", "/v1/items", [("offset", str(offset)), ("limit", str(limit))])


def delete_item(item_id: str) -> Call[dict[str, str]]:
    return Call("DELETE", f"/v1/items/{_id(item_id)}")


def upsert_users(users: Sequence[Mapping[str, Any]]) -> Call[dict[str, int]]:
    return Call("POST", "/v1/users", body={"users": list(users)})


def get_user(user_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/users/{_id(user_id)}")


def list_users(offset: int = 0, limit: int = 100, q: str | None = None) -> Call[dict[str, Any]]:
    params = [("offset", str(offset)), ("limit", str(limit))] + ([("q", q)] if q else [])
    return Call("GET", "/v1/users", params)


def user_events(user_id: str, limit: int = 100) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/users/{_id(user_id)}/events", [("limit", str(limit))])


def export_user(user_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/users/{_id(user_id)}/export")


def similar_users(user_id: str, k: int = 10) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/users/{_id(user_id)}/similar", [("k", str(k))])


def delete_user(user_id: str) -> Call[dict[str, str]]:
    return Call("DELETE", f"/v1/users/{_id(user_id)}")


def send_events(events: Sequence[Mapping[str, Any]]) -> Call[dict[str, int]]:
    """Events with ids (see :func:`with_event_ids`): a retry is counted once."""
    return Call("POST", "/v1/events", body={"events": with_event_ids(events)})


# -- recommendations ------------------------------------------------------------------------
def recommend(user_id: str, options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/recommend/{_id(user_id)}", list_params(options))


def recommend_batch(users: Sequence[str], options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    return Call("POST", "/v1/recommend/batch", body={"users": list(users), **list_body(options)})


def session(items: Sequence[str], options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    body = {"items": list(items), **list_body(options)}
    return Call("POST", "/v1/recommend/session", body=body)


def similar(item_id: str, options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/items/{_id(item_id)}/similar", list_params(options))


def search(q: str, user_id: str | None, options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    params = [("q", q)] + ([("user_id", user_id)] if user_id else []) + list_params(options)
    return Call("GET", "/v1/search", params)


def popular(window: str | None, options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    params = ([("window", window)] if window else []) + list_params(options)
    return Call("GET", "/v1/popular", params)


def chat(message: str, user_id: str | None, options: Mapping[str, Any]) -> Call[dict[str, Any]]:
    body = {"message": message, **({"user_id": user_id} if user_id else {}), **list_body(options)}
    return Call("POST", "/v1/chat", body=body)


# -- experiments ----------------------------------------------------------------------------
def create_experiment(definition: Mapping[str, Any]) -> Call[dict[str, Any]]:
    return Call("POST", "/v1/experiments", body=dict(definition), retry="connect")


def list_experiments() -> Call[dict[str, Any]]:
    return Call("GET", "/v1/experiments")


def get_experiment(experiment_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/experiments/{_id(experiment_id)}")


def stop_experiment(experiment_id: str) -> Call[dict[str, Any]]:
    return Call("POST", f"/v1/experiments/{_id(experiment_id)}/stop", retry="connect")


def experiment_report(experiment_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/experiments/{_id(experiment_id)}/report")


# -- operations -----------------------------------------------------------------------------
def train(wait: bool = True) -> Call[dict[str, Any]]:
    return Call("POST", "/v1/admin/train", [("wait", _bool(wait))], retry="connect")


def train_job(job_id: str) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/admin/train/{_id(job_id)}")


def stats() -> Call[dict[str, Any]]:
    return Call("GET", "/v1/admin/stats")


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/healthz")


def metrics() -> Call[str]:
    return Call("GET", "/metrics", text=True)
