"""The web page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against a real uvicorn server over the small four-theme catalog.

Screenshots and the measured page load time go to ``test-artifacts/web/`` (ignored by git)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from pulserec.core.types import User
from pulserec.storage import MemoryStore
from tests.engine.conftest import build, filled_store
from tests.web.test_routes import PNG

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
TIMEOUT_MS = 10_000


class ThreadedServer:
    """uvicorn serving ``app`` on a free local port from a background thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("eval")
    (root / "random").mkdir()
    results = {
        "dataset": "movielens-100k",
        "protocol": "random",
        "k": 10,
        "seed": 0,
        "models": {
            "ease": {"metrics": {"ndcg@10": 0.33, "recall@10": 0.28}, "fit_seconds": 0.4},
            "pop": {"metrics": {"ndcg@10": 0.12, "recall@10": 0.1}, "fit_seconds": 0.01},
        },
    }
    (root / "random" / "results.json").write_text(json.dumps(results))
    (root / "random" / "metrics.png").write_bytes(PNG)
    yield root


def _serve(tmp_path_factory: pytest.TempPathFactory, settings: ServerSettings) -> Iterator[str]:
    store: MemoryStore = filled_store()
    runtime = build(store, tmp_path_factory.mktemp("data"), ("itemknn",))
    with ThreadedServer(create_app(store, settings, runtime=runtime)) as server:
        yield server.url
    store.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, eval_dir: Path) -> Iterator[str]:
    yield from _serve(tmp_path_factory, ServerSettings(eval_dir=eval_dir))


@pytest.fixture(scope="module")
def keyed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory, ServerSettings(api_key="secret"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install it (apt-get install -y chromium; "
            "`make test` does this) to run the browser tests"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def _choose_user(page: Page, base_url: str, user: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator(f'#user-select option[value="{user}"]')).to_have_count(1)
    expect(page.locator("#recs .card").first).to_be_visible()
    page.select_option("#user-select", user)
    expect(page.locator("#recs-title")).to_have_text(f"Recommendations for {user}")
    expect(page.locator("#recs .card")).to_have_count(10)


def test_recommendations_react_to_feedback(page: Page, base_url: str) -> None:
    _choose_user(page, base_url, "u10")
    timing = page.evaluate(
        """() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const paint = Object.fromEntries(
            performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
        return {dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
                first_paint_ms: paint['first-paint'] ?? null,
                first_contentful_paint_ms: paint['first-contentful-paint'] ?? null,
                transfer_bytes: nav.transferSize};
        }"""
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load-time.json").write_text(json.dumps(timing, indent=2))
    print(f"page load: {timing}")
    cards = page.locator("#recs .card")
    expect(cards.first.locator(".why")).not_to_be_empty()
    expect(cards.first.locator("h4")).to_contain_text("story")
    expect(page.locator("#recs-timing")).to_contain_text("round trip")
    _screenshot(page, "try-it.png")

    liked = cards.first.get_attribute("data-item-id")
    assert liked
    cards.first.locator('button[data-action="like"]').click()
    expect(page.locator(f'#recs .card[data-item-id="{liked}"]')).to_have_count(0)
    expect(page.locator("#recs .card")).to_have_count(10)
    expect(page.locator("#history li").first).to_contain_text("like")
    expect(page.locator("#recs-timing")).to_contain_text("event stored")

    rated = cards.first.get_attribute("data-item-id")
    cards.first.locator('select[data-role="rating"]').select_option("4")
    cards.first.locator('button[data-action="rating"]').click()
    expect(page.locator(f'#recs .card[data-item-id="{rated}"]')).to_have_count(0)
    expect(page.locator("#history li").first).to_contain_text("rating 4")

    cards.first.locator('button[data-action="similar"]').click()
    expect(page.locator("#similar li").first).to_be_visible()
    expect(page.locator("#similar-hint")).to_contain_text("Similar to")


def test_anonymous_visitor_and_new_user(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("#recs .card").first).to_be_visible()
    page.check("#mode-anon")
    expect(page.locator("#recs-title")).to_have_text("Trending now")
    first = page.locator("#recs .card").first
    clicked = first.get_attribute("data-item-id")
    first.locator('button[data-action="click"]').click()
    expect(page.locator("#recs-title")).to_have_text("Recommendations for this visit")
    expect(page.locator("#history li").first).to_contain_text("visited")
    assert clicked

    page.check("#mode-new")
    page.fill("#new-user-id", "newbie")
    page.fill("#new-user-prefs", "guitar melody song rhythm")
    page.get_by_role("button", name="Create and recommend").click()
    expect(page.locator("#recs-title")).to_have_text("Recommendations for newbie")
    expect(page.locator("#recs .card").first).to_be_visible()


def test_search_chat_and_errors(page: Page, base_url: str) -> None:
    _choose_user(page, base_url, "u20")
    page.fill("#search-q", "rocket galaxy astronaut")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-results .card").first).to_contain_text("Space story")
    expect(page.locator("#search-timing")).to_contain_text("results")

    page.fill("#chat-msg", "garden things please")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-reply")).to_contain_text("Garden")
    expect(page.locator("#chat-items .card").first).to_contain_text("Garden story")

    page.fill("#search-q", "")
    page.get_by_role("button", name="Search", exact=True).click()
    message = page.locator("#message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("422")
    expect(message).to_contain_text("q")


def test_dashboard_plots_stats_and_reports(page: Page, base_url: str) -> None:
    for _ in range(20):
        with urllib.request.urlopen(base_url + "/v1/recommend/u30?k=5") as response:
            assert response.status == 200
    page.goto(base_url + "/#dashboard")
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#try")).to_be_hidden()
    expect(page.locator("#stat-items")).to_have_text("40")
    expect(page.locator("#stat-model")).not_to_be_empty()
    line = page.locator('#plot-rps polyline[data-series="requests/s"]')
    expect(line.first).to_be_attached()
    assert (line.first.get_attribute("points") or "").count(",") >= 2
    expect(page.locator('#plot-latency polyline[data-series="p99"]').first).to_be_attached()
    expect(page.locator("#reports table caption")).to_contain_text("random")
    expect(page.locator("#reports tbody tr")).to_have_count(2)
    expect(page.locator("#reports img")).to_have_attribute("src", re.compile("^blob:"))
    _screenshot(page, "dashboard.png")
    page.click("#nav-try")
    expect(page.locator("#try")).to_be_visible()


def test_the_page_asks_for_a_key(page: Page, keyed_url: str) -> None:
    page.goto(keyed_url + "/")
    expect(page.locator("#recs .card").first).to_be_visible()  # reads are open
    page.check("#mode-new")
    page.fill("#new-user-id", "keyless")
    page.get_by_role("button", name="Create and recommend").click()
    message = page.locator("#message")
    expect(message).to_contain_text("401")
    expect(page.locator("#key-input")).to_be_focused()
    page.fill("#key-input", "wrong")
    page.get_by_role("button", name="Use key").click()
    page.get_by_role("button", name="Create and recommend").click()
    expect(message).to_contain_text("401")
    page.fill("#key-input", "secret")
    page.get_by_role("button", name="Use key").click()
    page.get_by_role("button", name="Create and recommend").click()
    expect(page.locator("#recs-title")).to_have_text("Recommendations for keyless")
    expect(message).to_be_hidden()


@pytest.fixture(scope="module")
def crowded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small catalog with 300 more users than the picker's first page of 200."""
    store: MemoryStore = filled_store()
    store.upsert_users([User(f"member-{n:03d}") for n in range(300)])
    runtime = build(store, tmp_path_factory.mktemp("crowded"), ("itemknn",))
    with ThreadedServer(create_app(store, ServerSettings(), runtime=runtime)) as server:
        yield server.url
    store.close()


def test_the_user_picker_finds_a_user_beyond_the_first_200(page: Page, crowded_url: str) -> None:
    page.goto(crowded_url + "/")
    expect(page.locator("#recs .card").first).to_be_visible()
    expect(page.locator("#user-select option")).to_have_count(200)
    expect(page.locator('#user-select option[value="member-287"]')).to_have_count(0)
    expect(page.locator("#user-count")).to_contain_text("search to find others")
    page.fill("#user-search", "member-28")
    expect(page.locator("#user-select option")).to_have_count(10)
    expect(page.locator("#user-count")).to_have_text("10 matches")
    expect(page.locator("#recs-title")).to_have_text("Recommendations for member-280")
    page.select_option("#user-select", "member-287")
    expect(page.locator("#recs-title")).to_have_text("Recommendations for member-287")
    expect(page.locator("#recs .card")).to_have_count(10)
    page.fill("#user-search", "")
    expect(page.locator("#user-select option")).to_have_count(200)


def test_docs_render_with_no_network_beyond_the_server(page: Page, base_url: str) -> None:
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(base_url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("pulserec")
    expect(page.locator('.opblock-summary-path[data-path="/v1/recommend/batch"]')).to_be_visible()
    assert outside == []
