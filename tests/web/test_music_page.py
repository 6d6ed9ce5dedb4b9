"""The page on a music catalog in Chromium: cards show the artist, Skip and Dislike record
their events and take the track off the list, the chat's example comes from the catalog, no
movie or shop wording, and the dashboard's axis labels fit. Screenshot: ``music-try-it.png``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from pulserec.core.types import Event, EventType, Item
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor
from tests.engine.conftest import build
from tests.web.test_page import ThreadedServer, _screenshot

GENRES = {"Jazz": "saxophone swing", "Lo-Fi": "mellow beats study", "Metal": "heavy riffs"}
FORBIDDEN = ("film", "movie", "cart", "sci-fi", "shop")


def _music_store() -> MemoryStore:
    store = MemoryStore()
    ingestor = Ingestor(store)
    items = [
        Item(
            id=f"{genre.lower()}-{n}",
            title=f"{genre} Song {n}",
            description=f"{words} track {n}",
            categories=(genre,),
            attributes={"artist": f"{genre} Collective {n % 2}", "year": 1990 + n},
        )
        for genre, words in GENRES.items()
        for n in range(8)
    ]
    ingestor.add_items(items)
    stamp, events = 1_700_000_000.0, []
    for u, genre in enumerate(GENRES):
        for listener in range(4):
            for n in range(6):
                stamp += 60
                user = f"listener{u}{listener}"
                events.append(
                    Event(user, f"{genre.lower()}-{(n + listener) % 8}", EventType.CLICK, stamp)
                )
    ingestor.add_events(events)
    return store


@pytest.fixture(scope="module")
def music_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = _music_store()
    runtime = build(store, tmp_path_factory.mktemp("music"), ("itemknn",))
    with ThreadedServer(create_app(store, ServerSettings(), runtime=runtime)) as server:
        yield server.url
    runtime.close()
    store.close()


def test_cards_show_the_artist_and_skip_and_dislike_work(page: Page, music_url: str) -> None:
    page.goto(music_url + "/")
    expect(page.locator('#user-select option[value="listener00"]')).to_have_count(1)
    page.select_option("#user-select", "listener00")
    cards = page.locator("#recs .card")
    expect(cards).to_have_count(10)
    expect(cards.first.locator(".byline")).to_contain_text("by ")
    expect(cards.first.locator(".byline")).to_contain_text("Collective")
    example = re.compile(r"^e\.g\. (jazz|lo-fi|metal) like (Jazz|Lo-Fi|Metal) Collective [01]$")
    expect(page.locator("#chat-msg")).to_have_attribute("placeholder", example)
    for action in ("skip", "dislike"):
        gone = cards.first.get_attribute("data-item-id")
        cards.first.locator(f'button[data-action="{action}"]').click()
        expect(page.locator(f'#recs .card[data-item-id="{gone}"]')).to_have_count(0)
        expect(page.locator("#history li").first).to_contain_text(action)
    text = page.locator("body").inner_text().lower()
    assert not [word for word in FORBIDDEN if word in text], text
    _screenshot(page, "music-try-it.png")


def test_the_dashboards_axis_labels_fit(page: Page, music_url: str) -> None:
    page.goto(music_url + "/#dashboard")
    label = page.locator('#plot-latency text[data-axis="y"]').first
    expect(label).to_be_attached()
    lefts = page.evaluate(
        """() => [...document.querySelectorAll('svg text[data-axis="y"]')]
            .map((t) => t.getBBox().x)"""
    )
    assert lefts and min(lefts) >= 0, lefts


def test_display_fields_come_from_the_settings(page: Page, tmp_path: Path) -> None:
    store = _music_store()
    runtime = build(store, tmp_path, ())
    settings = ServerSettings(display_fields=("artist", "year"))
    with ThreadedServer(create_app(store, settings, runtime=runtime)) as server:
        page.goto(server.url + "/")
        page.check("#mode-anon")
        byline = page.locator("#recs .card .byline").first
        expect(byline).to_contain_text("by ")
        expect(byline).to_contain_text("year 19")
    runtime.close()
    store.close()
