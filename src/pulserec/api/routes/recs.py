"""Recommendations, session, batch, similar items, search, trending and chat: thin calls into
the engine. Every list goes out through ``_body`` (``include=item`` adds item fields)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pulserec.api.errors import ApiError
from pulserec.api.experiment_answers import answer_in_experiment
from pulserec.api.filters import (
    FILTER_DESCRIPTION,
    RULES_DESCRIPTION,
    category_filter,
    item_filter,
    item_rules,
)
from pulserec.api.item_fields import INCLUDE_DESCRIPTION, item_fields, wants_item, with_items
from pulserec.api.query_params import bool_param, documented, float_param, int_param, path_id
from pulserec.api.raw_path import RawPathRoute
from pulserec.api.responses import json_response
from pulserec.api.services import Services
from pulserec.core.schemas import ExternalId
from pulserec.engine.facade import DEFAULT_WINDOW, UnknownItem
from pulserec.engine.serving.results import RankedList
from pulserec.experiments.definition import Variant
from pulserec.llm.chat import ChatService
from pulserec.storage import Store

K = Annotated[int, Query(ge=1, le=1000, description="How many items")]
Offset = Annotated[int, Query(ge=0)]
IncludeQuery = Annotated[str | None, Query(description=INCLUDE_DESCRIPTION)]
CATEGORY = "Only items in this category (case-insensitive; an unknown one is a 422)"
INCLUDE = ("include", "string", None, INCLUDE_DESCRIPTION)
FilterQuery = Annotated[list[str] | None, Query(max_length=20, description=FILTER_DESCRIPTION)]
FILTER = ("filter", "array", None, FILTER_DESCRIPTION)
FilterBody: list[str] = Field(default_factory=list, max_length=20, description=FILTER_DESCRIPTION)
RulesQuery = Annotated[list[str] | None, Query(max_length=20, description=RULES_DESCRIPTION)]
BOOST = ("boost", "array", None, RULES_DESCRIPTION)
BURY = ("bury", "array", None, RULES_DESCRIPTION)
RulesBody: list[str] = Field(default_factory=list, max_length=20, description=RULES_DESCRIPTION)
RECOMMEND_PARAMETERS = documented(
    ("k", "integer", 10, "How many items (1-1000)"),
    ("offset", "integer", 0, "Skip this many first"),
    ("exclude_seen", "boolean", True, "Leave out items the user already engaged with"),
    ("category", "string", None, CATEGORY),
    ("explain", "boolean", False, "Add a grounded explanation and reasons to every item"),
    ("diversity", "number", 0.0, "MMR trade-off in [0, 1]: 0 keeps relevance order"),
    INCLUDE,
    FILTER,
    BOOST,
    BURY,
)
MAX_BATCH_RESULTS = 200_000  # users x k of one batch: the CLI's 200 users at k=1000
IncludeBody: list[str] = Field(
    default_factory=list, max_length=10, description='``["item"]``: add item fields'
)


class SessionBody(BaseModel):
    """An anonymous visitor's recent items, most recent last."""

    items: list[ExternalId] = Field(max_length=1000)
    k: int = Field(default=10, ge=1, le=1000)
    include: list[str] = IncludeBody
    filter: list[str] = FilterBody
    boost: list[str] = RulesBody
    bury: list[str] = RulesBody
    session_id: ExternalId | None = Field(
        default=None, description="The visitor's session key: assigns them to experiments"
    )


class ChatBody(BaseModel):
    """A conversational request: free text, optionally for a known user."""

    message: str = Field(min_length=1, max_length=2000)
    user_id: ExternalId | None = None
    k: int = Field(default=10, ge=1, le=100)
    include: list[str] = IncludeBody
    filter: list[str] = FilterBody


class BatchBody(BaseModel):
    """Many users' lists in one call, each the same as ``GET /v1/recommend/{user}``; users x k
    at most ``MAX_BATCH_RESULTS``."""

    model_config = ConfigDict(extra="forbid")

    users: list[ExternalId] = Field(min_length=1, max_length=1000)
    k: int = Field(default=10, ge=1, le=1000)
    exclude_seen: bool = True
    category: str | None = Field(default=None, max_length=1000)
    include: list[str] = IncludeBody
    filter: list[str] = FilterBody
    boost: list[str] = RulesBody
    bury: list[str] = RulesBody


def _items(ranked: RankedList, store: Store | None) -> list[dict[str, Any]]:
    """A list's results as JSON; with a store, each carries its item fields."""
    results = [item.as_json() for item in ranked.items]
    return with_items(results, store) if store is not None else results


def _body(ranked: RankedList, started: float, store: Store | None, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "items": _items(ranked, store),
        "model_version": ranked.model_version,
        "took_ms": round((time.perf_counter() - started) * 1000, 3),
    }


def _experiment_body(
    results: list[dict[str, Any]],
    version: str,
    started: float,
    store: Store | None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        **extra,
        "items": with_items(results, store) if store is not None else results,
        "model_version": version,
        "took_ms": round((time.perf_counter() - started) * 1000, 3),
    }


def recs_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["recommendations"], route_class=RawPathRoute)
    engine, store = services.runtime.engine, services.store
    experiments = services.runtime.experiments
    chat_service = ChatService(engine)

    def item_store(request: Request, body: Sequence[str] = ()) -> Store | None:
        """The store when the request asks for ``include=item`` (query or body), else None."""
        return store if wants_item(request.query_params, body) else None

    @router.get("/recommend/{user_id:path}", openapi_extra=RECOMMEND_PARAMETERS)
    async def recommend(user_id: str, request: Request) -> Response:
        """Top-k for a user; unknown users get trending (or their stated tastes)."""
        started = time.perf_counter()
        params = request.query_params
        user = path_id("user_id", user_id)
        k = int_param(params, "k", 10, 1, 1000)
        offset = int_param(params, "offset", 0, 0, None)
        exclude_seen = bool_param(params, "exclude_seen", True)
        category = category_filter(engine, params.get("category"))
        explain = bool_param(params, "explain", False)
        diversity = float_param(params, "diversity", 0.0, 0.0, 1.0)
        mask = item_filter(engine, params.getlist("filter"))
        weights = item_rules(engine, params.getlist("boost"), params.getlist("bury"))
        engine.catch_up()  # experiments started or stopped elsewhere arrive on the log
        # only people the engine holds take part: an id made up per request writes no
        # impression and skews no arm
        placed = experiments.assign(user) if engine.knows(user) else None
        if placed is None:
            ranked = engine.recommend(
                user, k, offset, exclude_seen, category, explain, diversity, mask, weights=weights
            )
            return json_response(_body(ranked, started, item_store(request), user_id=user_id))

        def answer(variant: Variant) -> RankedList:
            chosen = variant.diversity if variant.diversity is not None else diversity
            return engine.recommend(
                user,
                k,
                offset,
                exclude_seen,
                category,
                explain,
                chosen,
                mask=mask,
                models=variant.models,
                weights=weights,
            )

        results, version, tags = answer_in_experiment(experiments, placed, user, answer, started)
        return json_response(
            _experiment_body(
                results, version, started, item_store(request), user_id=user_id, **tags
            )
        )

    @router.post("/recommend/batch", openapi_extra=documented(INCLUDE))
    async def batch(body: BatchBody, request: Request) -> Response:
        """Many users' lists at once (at most 1000), the same as one call per user."""
        started = time.perf_counter()
        if len(body.users) * body.k > MAX_BATCH_RESULTS:
            message = (
                f"users x k must be at most {MAX_BATCH_RESULTS} (here {len(body.users)} x "
                f"{body.k}): ask for fewer users per call"
            )
            raise ApiError(422, message, [{"index": None, "field": "k", "message": message}])
        category = category_filter(engine, body.category)
        mask = item_filter(engine, body.filter)
        weights = item_rules(engine, body.boost, body.bury)
        details = item_store(request, body.include)

        def lists() -> list[RankedList]:
            return [
                engine.recommend(
                    user, body.k, 0, body.exclude_seen, category, False, 0.0, mask, None, weights
                )
                for user in body.users
            ]

        def results(ranked: list[RankedList]) -> list[dict[str, Any]]:
            listed = [[item.as_json() for item in answer.items] for answer in ranked]
            if details is not None:  # every list's items in one read, one dict per item
                ids = list(dict.fromkeys(r["id"] for found in listed for r in found))
                stored = details.get_items(ids)
                fields = {i: item_fields(stored.get(i)) for i in ids}
                listed = [[{**r, "item": fields[r["id"]]} for r in found] for found in listed]
            return [
                {"user_id": user, "items": found}
                for user, found in zip(body.users, listed, strict=True)
            ]

        ranked = await run_in_threadpool(lists)
        return json_response(
            {
                "results": await run_in_threadpool(results, ranked),
                "model_version": ranked[-1].model_version,
                "took_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )

    @router.post("/recommend/session", openapi_extra=documented(INCLUDE))
    async def session(body: SessionBody, request: Request) -> Response:
        """Recommendations for an anonymous visitor from the items they just engaged with."""
        started = time.perf_counter()
        details = item_store(request, body.include)
        mask = item_filter(engine, body.filter)
        weights = item_rules(engine, body.boost, body.bury)
        engine.catch_up()
        placed = experiments.assign(body.session_id) if body.session_id else None
        if placed is None or body.session_id is None:
            ranked = engine.session(body.items, body.k, mask=mask, weights=weights)
            return json_response(_body(ranked, started, details))

        def answer(variant: Variant) -> RankedList:
            chosen = variant.diversity if variant.diversity is not None else 0.0
            return engine.session(body.items, body.k, variant.models, chosen, mask, weights)

        key = body.session_id
        results, version, tags = answer_in_experiment(experiments, placed, key, answer, started)
        return json_response(_experiment_body(results, version, started, details, **tags))

    @router.post("/chat", openapi_extra=documented(INCLUDE))
    async def chat(body: ChatBody, request: Request) -> Response:
        """Free text ("a funny sci-fi film from the 90s") to constraints, a list and a reply."""
        if not body.message.strip():
            detail = {"index": None, "field": "message", "message": "blank"}
            raise ApiError(422, "message must not be blank", [detail])
        started = time.perf_counter()
        details = item_store(request, body.include)
        filters = list(dict.fromkeys(raw.strip() for raw in body.filter if raw.strip()))
        item_filter(engine, filters)  # a filter that cannot be read is a 422 before any work
        answer = await run_in_threadpool(
            chat_service.reply, body.message, body.user_id, body.k, filters
        )
        if details is not None:
            answer["items"] = await run_in_threadpool(with_items, answer["items"], details)
        answer["took_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return json_response(answer)

    @router.get("/items/{item_id:path}/similar")
    async def similar(
        item_id: str,
        request: Request,
        k: K = 10,
        include: IncludeQuery = None,
        filter: FilterQuery = None,
    ) -> Response:
        started = time.perf_counter()
        details = item_store(request)
        mask = item_filter(engine, filter or [])
        try:
            ranked = await run_in_threadpool(engine.similar, path_id("item_id", item_id), k, mask)
        except UnknownItem:
            raise ApiError(404, f"no item with id {item_id!r}") from None
        body = await run_in_threadpool(_body, ranked, started, details, item_id=item_id)
        return json_response(body)

    @router.get("/search")
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=1000)],
        request: Request,
        user_id: str | None = None,
        k: K = 10,
        category: Annotated[str | None, Query(description=CATEGORY)] = None,
        explain: bool = False,
        include: IncludeQuery = None,
        filter: FilterQuery = None,
    ) -> Response:
        """Semantic search over item text, personalised when ``user_id`` is given."""
        if not q.strip():
            raise ApiError(
                422, "q must not be blank", [{"index": None, "field": "q", "message": "blank"}]
            )
        started = time.perf_counter()
        details = item_store(request)
        wanted = category_filter(engine, category)
        mask = item_filter(engine, filter or [])
        ranked = await run_in_threadpool(
            engine.search, q, user_id or None, k, wanted, explain, mask
        )
        return json_response(await run_in_threadpool(_body, ranked, started, details, query=q))

    @router.get("/popular")
    async def popular(
        request: Request,
        k: K = 10,
        window: str | None = None,
        include: IncludeQuery = None,
        filter: FilterQuery = None,
        boost: RulesQuery = None,
        bury: RulesQuery = None,
    ) -> Response:
        """Trending items with time decay, over ``window`` (``30m``, ``24h``, ``7d``) if given;
        with ``filter``, a leaderboard of those items; ``boost``/``bury`` re-rank it."""
        started = time.perf_counter()
        details = item_store(request)
        mask = item_filter(engine, filter or [])
        weights = item_rules(engine, boost or [], bury or [])
        try:
            ranked = await run_in_threadpool(engine.popular, k, window, mask, weights)
        except ValueError as error:
            detail = {"index": None, "field": "window", "message": str(error)}
            raise ApiError(422, str(error), [detail]) from None
        window_name = window or DEFAULT_WINDOW
        body = await run_in_threadpool(_body, ranked, started, details, window=window_name)
        return json_response(body)

    return router
