"""``GET /v1/sdk.js`` in Chromium on a shop's page served from the server's origin: a click
tracked in the page reaches the next recommendation, every event carries an id (a resent batch
counts once), and a click on an item shown in an experiment's impression is attributed to it."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Page, Route
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route as WebRoute

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from pulserec.storage import MemoryStore
from tests.engine.conftest import build, filled_store
from tests.web.test_page import ThreadedServer

DEMO = """<!doctype html><html><head><meta charset="utf-8"><title>A shop</title>
<script src="/v1/sdk.js" data-user="visitor-1"></script></head>
<body><ul id="recs"></ul></body></html>"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, MemoryStore]]:
    store = filled_store()
    runtime = build(store, tmp_path_factory.mktemp("sdk"), ("itemknn",))
    with ThreadedServer(create_app(store, ServerSettings(), runtime=runtime)) as server:
        yield server.url, store
    runtime.close()
    store.close()


def _open(page: Page, base: str) -> None:
    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=DEMO)

    page.route(base + "/shop.html", serve)
    page.goto(base + "/shop.html")
    page.wait_for_function("() => window.pulserec !== undefined")


def _post(base: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        base + path, data=orjson.dumps(body), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return orjson.loads(response.read())


def test_a_click_in_the_page_reaches_the_next_recommendation(
    page: Page, shop: tuple[str, MemoryStore]
) -> None:
    base, store = shop
    _open(page, base)
    before = page.evaluate("async () => (await pulserec.recommend({k: 5})).items.map(i => i.id)")
    assert len(before) == 5
    clicked = "garden-3"
    page.evaluate(
        """async (item) => {
            await pulserec.track("click", item);
            await pulserec.track("like", item, {value: 1});
            await pulserec.flush();
        }""",
        clicked,
    )
    events = store.all_user_events("visitor-1")
    assert [e.item_id for e in events] == [clicked, clicked]
    assert all(e.event_id for e in events)
    after = page.evaluate("async () => (await pulserec.recommend({k: 5})).items.map(i => i.id)")
    assert clicked not in after and after != before
    assert sum(i.startswith("garden-") for i in after) >= 3  # the click moved the list at once
    ids = [e.event_id for e in events]
    resent = {"event_id": ids[0], "user_id": "visitor-1", "item_id": clicked, "type": "click"}
    again = _post(base, "/v1/events", {"events": [resent]})
    assert again == {"accepted": 0, "duplicates": 1}


def test_a_click_on_an_impressions_item_is_attributed(
    page: Page, shop: tuple[str, MemoryStore]
) -> None:
    base, store = shop
    _post(base, "/v1/events", {"events": [
        {"user_id": "visitor-1", "item_id": "music-1", "type": "view"}]})  # fmt: skip
    _post(base, "/v1/experiments", {"id": "sdk-exp", "variants": [
        {"name": "a", "config": {}}, {"name": "b", "config": {}}]})  # fmt: skip
    _open(page, base)
    shown = page.evaluate("async () => await pulserec.recommend({k: 3})")
    assert shown.get("impression_id"), shown
    item = shown["items"][0]["id"]
    page.evaluate(
        "async (item) => { await pulserec.track('click', item); await pulserec.flush(); }", item
    )
    clicked = [e for e in store.all_user_events("visitor-1") if e.item_id == item]
    assert clicked and clicked[-1].impression_id == shown["impression_id"]
    with urllib.request.urlopen(base + "/v1/experiments/sdk-exp/report", timeout=10) as answer:
        report = orjson.loads(answer.read())
    assert sum(v["clicks"] for v in report["variants"]) == 1


def test_the_snippet_is_served_open_and_small(shop: tuple[str, MemoryStore]) -> None:
    base, _ = shop
    with urllib.request.urlopen(base + "/v1/sdk.js", timeout=10) as answer:
        body = answer.read()
        assert answer.headers["content-type"].startswith("text/javascript")
    assert b"window.pulserec" in body and len(body) < 8_000
    assert Path(__file__).exists()


FOREIGN = """<!doctype html><html><head><meta charset="utf-8"><title>Another site</title>
<script src="{base}/v1/sdk.js" data-url="{base}" data-user="visitor-2"></script></head>
<body></body></html>"""


def another_site(api: list[str]) -> ThreadedServer:
    """A second web server on loopback (another origin: another port) whose page loads the
    snippet from the API at ``api[0]`` (known once that server is built)."""

    async def home(request: Any) -> HTMLResponse:
        return HTMLResponse(FOREIGN.format(base=api[0]))

    return ThreadedServer(Starlette(routes=[WebRoute("/", home)]))


def _open_foreign(page: Page, origin: str) -> None:
    page.goto(origin + "/")
    page.wait_for_function("() => window.pulserec !== undefined")


def test_a_site_in_allowed_origins_calls_the_api_from_its_pages(page: Page, tmp_path: Path) -> None:
    store = filled_store()
    runtime = build(store, tmp_path, ("itemknn",))
    api: list[str] = []
    site = another_site(api)
    settings = ServerSettings(allowed_origins=(site.url,))
    server = ThreadedServer(create_app(store, settings, runtime=runtime))
    api.append(server.url)
    with site, server:
        _open_foreign(page, site.url)
        listed = page.evaluate("async () => (await pulserec.recommend({k: 3})).items.length")
        assert listed == 3
        page.evaluate(
            "async () => { await pulserec.track('click', 'space-2'); await pulserec.flush(); }"
        )
        assert [e.item_id for e in store.all_user_events("visitor-2")] == ["space-2"]
    runtime.close()
    store.close()


def test_a_site_not_allowed_cannot_write(page: Page, shop: tuple[str, MemoryStore]) -> None:
    base, store = shop
    site = another_site([base])
    with site:
        _open_foreign(page, site.url)
        refused = page.evaluate(
            """async () => {
                await pulserec.track('click', 'space-2');
                try { await pulserec.flush(); return 'sent'; } catch (e) { return 'refused'; }
            }"""
        )
    assert refused == "refused"
    assert not store.all_user_events("visitor-2")
