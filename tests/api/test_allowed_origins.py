"""``PULSEREC_ALLOWED_ORIGINS``: the listed sites get CORS answers and may write from their
pages; every other origin is still refused; an entry that is no origin is refused at start."""

from __future__ import annotations

import pytest

from pulserec.app.settings import Settings
from tests.api.conftest import MakeClient

SHOP = "https://shop.example"


def test_a_listed_origin_may_call_and_write(make_client: MakeClient) -> None:
    client = make_client(allowed_origins=(SHOP,))
    preflight = client.options(
        "/v1/events",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    event = {"events": [{"user_id": "u", "item_id": "i", "type": "click"}]}
    written = client.post("/v1/events", json=event, headers={"Origin": SHOP})
    assert written.status_code == 200 and written.headers["access-control-allow-origin"] == SHOP
    site = {"Origin": SHOP, "Sec-Fetch-Site": "cross-site"}
    assert client.post("/v1/events", json=event, headers=site).status_code == 200
    other = client.post("/v1/events", json=event, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers


def test_without_the_list_every_foreign_origin_is_refused(make_client: MakeClient) -> None:
    client = make_client()
    event = {"events": [{"user_id": "u", "item_id": "i", "type": "click"}]}
    assert client.post("/v1/events", json=event, headers={"Origin": SHOP}).status_code == 403


@pytest.mark.parametrize("entry", ["shop.example", "*", "https://shop.example/path", "ftp://x"])
def test_an_entry_that_is_no_origin_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="PULSEREC_ALLOWED_ORIGINS"):
        Settings.from_values({"allowed_origins": entry})
