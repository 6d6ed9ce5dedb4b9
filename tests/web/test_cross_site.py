"""The page in Chromium against a server with the Host check on (bound to loopback): its own
writes pass the cross-site guard, another site's form cannot write (issue 26, items 7-8)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from pulserec.storage import MemoryStore
from tests.engine.conftest import build, filled_store
from tests.web.test_page import ThreadedServer


@pytest.fixture(scope="module")
def guarded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store: MemoryStore = filled_store()
    runtime = build(store, tmp_path_factory.mktemp("guarded"), ("itemknn",))
    settings = ServerSettings(host="127.0.0.1")  # as `pulserec serve` builds it by default
    with ThreadedServer(create_app(store, settings, runtime=runtime)) as server:
        yield server.url
    store.close()


def test_the_page_writes_on_its_own_origin(page: Page, guarded_url: str) -> None:
    for base in (guarded_url, guarded_url.replace("127.0.0.1", "localhost")):
        page.goto(base + "/")
        card = page.locator("#recs .card").first
        expect(card).to_be_visible()
        with page.expect_response(lambda r: r.url.endswith("/v1/events")) as posted:
            card.get_by_role("button", name=re.compile("^Like ")).click()
        assert posted.value.status == 200, base
        expect(page.locator("#message")).to_be_hidden()


def test_another_sites_form_cannot_write(page: Page, guarded_url: str) -> None:
    target = f"{guarded_url}/v1/admin/train?wait=false"
    attacker = (
        f'<form method="post" action="{target}" enctype="text/plain">'
        "<input name='{\"x\": \"' value='1\"}'></form>"
        "<script>document.forms[0].submit()</script>"
    )

    def serve_attacker(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=attacker)

    page.route("http://attacker.test/", serve_attacker)
    with page.expect_response(lambda r: r.url == target) as refused:
        page.goto("http://attacker.test/")
    assert refused.value.status == 403
    assert refused.value.json()["error"]["code"] == "forbidden"
