"""Items and users: upsert, read, list (users also by id search), delete, export."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from pulserec.api.errors import ApiError
from pulserec.api.forgotten import refuse_forgotten
from pulserec.api.query_params import path_id
from pulserec.api.raw_path import RawPathRoute
from pulserec.api.schemas import (
    ItemsBody,
    UsersBody,
    event_json,
    item_json,
    user_export_json,
    user_json,
)
from pulserec.api.services import Services
from pulserec.core.schemas import MAX_ID_LENGTH, ExternalId
from pulserec.core.types import User
from pulserec.storage.tombstones import RESTORE_HINT

MAX_OFFSET = 2**53  # past any store's size: a larger offset reads an empty page
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Restore = Annotated[
    bool,
    Query(description="Re-create users deleted earlier (lifts their tombstones)"),
]
UserQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_ID_LENGTH,
        description="Only users whose id contains this text (A-Z case-insensitive)",
    ),
]


MAX_HIDDEN = 10_000  # hidden items kept per user (the newest)


class HiddenBody(BaseModel):
    """Items to hide from one user."""

    model_config = ConfigDict(extra="forbid")

    items: list[ExternalId] = Field(min_length=1, max_length=1000)


def catalog_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["catalog"], route_class=RawPathRoute)
    store, ingestor, engine = services.store, services.ingestor, services.runtime.engine
    hiding = threading.Lock()

    @router.post("/items")
    async def upsert_items(body: ItemsBody) -> dict[str, int]:
        now = time.time()
        items = [item.to_domain(now) for item in body.items]
        return {"upserted": await run_in_threadpool(ingestor.add_items, items)}

    @router.get("/items")
    async def list_items(offset: Offset = 0, limit: Limit = 100) -> dict[str, Any]:
        items, total = await run_in_threadpool(store.list_items, min(offset, MAX_OFFSET), limit)
        return {"items": [item_json(i) for i in items], "total": total}

    @router.get("/items/{item_id:path}")
    async def get_item(item_id: str) -> dict[str, Any]:
        item = await run_in_threadpool(store.get_item, path_id("item_id", item_id))
        if item is None:
            raise ApiError(404, f"no item with id {item_id!r}")
        return item_json(item)

    @router.delete("/items/{item_id:path}")
    async def delete_item(item_id: str) -> dict[str, str]:
        if not await run_in_threadpool(ingestor.delete_item, path_id("item_id", item_id)):
            raise ApiError(404, f"no item with id {item_id!r}")
        return {"deleted": item_id}

    @router.post("/users")
    async def upsert_users(body: UsersBody, restore: Restore = False) -> dict[str, int]:
        users = [user.to_domain() for user in body.users]
        if not restore:
            ids = [u.id for u in users]
            await run_in_threadpool(refuse_forgotten, store, ids, "id", RESTORE_HINT)
        return {"upserted": await run_in_threadpool(ingestor.add_users, users, restore)}

    @router.get("/users")
    async def list_users(
        offset: Offset = 0, limit: Limit = 100, q: UserQuery = None
    ) -> dict[str, Any]:
        if q:
            users, total = await run_in_threadpool(
                store.search_users, q, min(offset, MAX_OFFSET), limit
            )
        else:
            users, total = await run_in_threadpool(store.list_users, min(offset, MAX_OFFSET), limit)
        counts = [await run_in_threadpool(store.count_user_events, u.id) for u in users]
        return {
            "users": [user_json(u, n) for u, n in zip(users, counts, strict=True)],
            "total": total,
        }

    @router.get("/users/{user_id:path}/events")
    async def user_events(user_id: str, limit: Limit = 100) -> dict[str, Any]:
        if await run_in_threadpool(store.get_user, path_id("user_id", user_id)) is None:
            raise ApiError(404, f"no user with id {user_id!r}")
        events = await run_in_threadpool(store.user_events, user_id, limit)
        return {"events": [event_json(e) for e in events]}

    @router.post("/users/{user_id:path}/hidden")
    async def hide_items(user_id: str, body: HiddenBody) -> dict[str, Any]:
        """Items never to show this user again, on any route (added to those hidden before;
        the newest ``MAX_HIDDEN`` are kept). An unknown user is created."""
        user_id = path_id("user_id", user_id)
        await run_in_threadpool(refuse_forgotten, store, [user_id], "user_id", RESTORE_HINT)

        def hide() -> list[str]:
            with hiding:  # one read-modify-write at a time in this process
                old = store.get_user(user_id)
                before = old.hidden or () if old is not None else ()
                merged = list(dict.fromkeys([*before, *body.items]))[-MAX_HIDDEN:]
                base = old if old is not None else User(user_id)
                ingestor.add_users([replace(base, hidden=tuple(merged))])
                return merged

        return {"user_id": user_id, "items": await run_in_threadpool(hide)}

    @router.get("/users/{user_id:path}/hidden")
    async def hidden_items(user_id: str) -> dict[str, Any]:
        """The items this user hid."""
        user = await run_in_threadpool(store.get_user, path_id("user_id", user_id))
        if user is None:
            raise ApiError(404, f"no user with id {user_id!r}")
        return {"user_id": user_id, "items": list(user.hidden or ())}

    @router.get("/users/{user_id:path}/similar")
    async def similar_users(
        user_id: str, k: Annotated[int, Query(ge=1, le=1000, description="How many users")] = 10
    ) -> dict[str, Any]:
        """Users with the closest tastes (their recent items' text and stated preferences)."""
        started = time.perf_counter()
        found = await run_in_threadpool(engine.similar_users, path_id("user_id", user_id), k)
        if found is None:
            raise ApiError(404, f"no user with id {user_id!r}")
        return {
            "user_id": user_id,
            "users": [{"id": other, "score": score} for other, score in found],
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
        }

    @router.get("/users/{user_id:path}/export")
    async def export_user(user_id: str) -> dict[str, Any]:
        """Everything stored about a user (right of access): profile, preferences and their
        vector, events, impressions."""
        user = await run_in_threadpool(store.get_user, path_id("user_id", user_id))
        if user is None:
            raise ApiError(404, f"no user with id {user_id!r}")
        events = await run_in_threadpool(store.all_user_events, user_id)
        impressions = await run_in_threadpool(store.user_impressions, user_id)
        vectors = await run_in_threadpool(store.user_vectors, [user_id])
        return user_export_json(user, events, impressions, vectors.get(user_id))

    @router.get("/users/{user_id:path}")
    async def get_user(user_id: str) -> dict[str, Any]:
        user = await run_in_threadpool(store.get_user, path_id("user_id", user_id))
        if user is None:
            raise ApiError(404, f"no user with id {user_id!r}")
        return user_json(user, await run_in_threadpool(store.count_user_events, user_id))

    @router.delete("/users/{user_id:path}")
    async def delete_user(user_id: str) -> dict[str, str]:
        if not await run_in_threadpool(ingestor.delete_user, path_id("user_id", user_id)):
            raise ApiError(404, f"no user with id {user_id!r}")
        return {"deleted": user_id}

    return router
