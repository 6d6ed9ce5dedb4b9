"""The page's Experiments tab in headless Chromium: start an experiment from the form, see its
report (CTR per variant, lift with its interval, the SRM check) and the cumulative plot fill
as people are served and click, then stop it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pulserec.core.config import ServerSettings
from tests.web.test_page import _screenshot, _serve


@pytest.fixture(scope="module")
def own_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: a running experiment would change the other tests' lists."""
    yield from _serve(tmp_path_factory, ServerSettings())


def _call(base: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_start_watch_and_stop_an_experiment(page: Page, own_url: str) -> None:
    page.goto(own_url + "/#experiments")
    expect(page.locator("#experiments-empty")).to_be_visible()
    page.fill("#exp-id", "page-test")
    page.fill("#exp-b-models", "pop")
    page.click('#experiment-form button[type="submit"]')
    expect(page.locator("#exp-status")).to_have_text("started page-test")
    row = page.locator('tr[data-experiment="page-test"]')
    expect(row).to_contain_text("ab, running")

    people = [f"u{t}{m}" for t in range(4) for m in range(6)]
    for n, user in enumerate(people):  # served in the experiment; every other one clicks
        answer = _call(own_url, "GET", f"/v1/recommend/{user}?k=5")
        assert answer["experiment"]["id"] == "page-test"
        if n % 2 == 0:
            click = {"user_id": user, "item_id": answer["items"][0]["id"], "type": "click",
                     "impression_id": answer["impression_id"]}  # fmt: skip
            _call(own_url, "POST", "/v1/events", {"events": [click]})
    expect(row.locator(".variants")).to_contain_text("impressions", timeout=10_000)
    expect(row.locator(".lift")).to_contain_text("95% CI")
    expect(row).to_contain_text("SRM p")
    expect(page.locator("#plot-lift polyline").first).to_be_visible()
    expect(page.locator("#lift-caption")).to_contain_text("page-test")
    _screenshot(page, "experiments.png")

    row.locator("button[data-stop]").click()
    expect(page.locator("#exp-status")).to_have_text("stopped page-test")
    expect(row).to_contain_text("ab, stopped")
    expect(row.locator("button[data-stop]")).to_have_count(0)
    assert "experiment" not in _call(own_url, "GET", "/v1/recommend/u00?k=5")


def test_a_refused_experiment_says_why(page: Page, own_url: str) -> None:
    page.goto(own_url + "/#experiments")
    page.fill("#exp-id", "bad-models")
    page.fill("#exp-b-models", "no-such-model")
    page.click('#experiment-form button[type="submit"]')
    expect(page.locator("#message")).to_contain_text("unknown model")
