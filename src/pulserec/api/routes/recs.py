"""Recommendations, session, similar items, search and trending: thin calls into the engine."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from pulserec.api.errors import ApiError
from pulserec.api.query_params import bool_param, documented, float_param, int_param
from pulserec.api.responses import json_response
from pulserec.api.services import Services
from pulserec.engine import lookups
from pulserec.engine.core import UnknownItem
from pulserec.engine.results import RankedList
from pulserec.llm.chat import ChatService
from pulserec.schemas import ExternalId

K = Annotated[int, Query(ge=1, le=1000, description="How many items")]
Offset = Annotated[int, Query(ge=0)]
RECOMMEND_PARAMETERS = documented(
    ("k", "integer", 10, "How many items (1-1000)"),
    ("offset", "integer", 0, "Skip this many first"),
    ("exclude_seen", "boolean", True, "Leave out items the user already engaged with"),
    ("category", "string", None, "Only items in this category"),
    ("explain", "boolean", False, "Add a grounded explanation and reasons to every item"),
    ("diversity", "number", 0.0, "MMR trade-off in [0, 1]: 0 keeps relevance order"),
)


class SessionBody(BaseModel):
    """An anonymous visitor's recent items, most recent last."""

    items: list[ExternalId] = Field(max_length=1000)
    k: int = Field(default=10, ge=1, le=1000)


class ChatBody(BaseModel):
    """A conversational request: free text, optionally for a known user."""

    message: str = Field(min_length=1, max_length=2000)
    user_id: ExternalId | None = None
    k: int = Field(default=10, ge=1, le=100)


def _body(ranked: RankedList, started: float, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "items": [item.as_json() for item in ranked.items],
        "model_version": ranked.model_version,
        "took_ms": round((time.perf_counter() - started) * 1000, 3),
    }


def recs_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["recommendations"])
    engine = services.runtime.engine
    chat_service = ChatService(engine)

    @router.get("/recommend/{user_id:path}", openapi_extra=RECOMMEND_PARAMETERS)
    async def recommend(user_id: str, request: Request) -> Response:
        """Top-k for a user; unknown users get trending (or their stated tastes)."""
        started = time.perf_counter()
        params = request.query_params
        ranked = engine.recommend(
            user_id,
            int_param(params, "k", 10, 1, 1000),
            int_param(params, "offset", 0, 0, None),
            bool_param(params, "exclude_seen", True),
            params.get("category") or None,
            bool_param(params, "explain", False),
            float_param(params, "diversity", 0.0, 0.0, 1.0),
        )
        return json_response(_body(ranked, started, user_id=user_id))

    @router.post("/recommend/session")
    async def session(body: SessionBody) -> Response:
        """Recommendations for an anonymous visitor from the items they just engaged with."""
        started = time.perf_counter()
        return json_response(_body(engine.session(body.items, body.k), started))

    @router.post("/chat")
    async def chat(body: ChatBody) -> Response:
        """Free text ("a funny sci-fi film from the 90s") to constraints, a list and a reply."""
        if not body.message.strip():
            detail = {"index": None, "field": "message", "message": "blank"}
            raise ApiError(422, "message must not be blank", [detail])
        started = time.perf_counter()
        answer = chat_service.reply(body.message, body.user_id, body.k)
        answer["took_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return json_response(answer)

    @router.get("/items/{item_id:path}/similar")
    async def similar(item_id: str, k: K = 10) -> Response:
        started = time.perf_counter()
        try:
            ranked = lookups.similar(engine, item_id, k)
        except UnknownItem:
            raise ApiError(404, f"no item with id {item_id!r}") from None
        return json_response(_body(ranked, started, item_id=item_id))

    @router.get("/search")
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=1000)],
        user_id: str | None = None,
        k: K = 10,
        category: str | None = None,
        explain: bool = False,
    ) -> Response:
        """Semantic search over item text, personalised when ``user_id`` is given."""
        if not q.strip():
            raise ApiError(
                422, "q must not be blank", [{"index": None, "field": "q", "message": "blank"}]
            )
        started = time.perf_counter()
        ranked = lookups.search(engine, q, user_id or None, k, category or None, explain)
        return json_response(_body(ranked, started, query=q))

    @router.get("/popular")
    async def popular(k: K = 10, window: str | None = None) -> Response:
        """Trending items with time decay, over ``window`` (``30m``, ``24h``, ``7d``) if given."""
        started = time.perf_counter()
        try:
            ranked = lookups.popular(engine, k, window)
        except ValueError as error:
            detail = {"index": None, "field": "window", "message": str(error)}
            raise ApiError(422, str(error), [detail]) from None
        return json_response(_body(ranked, started, window=window or lookups.DEFAULT_WINDOW))

    return router
