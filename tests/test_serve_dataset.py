"""``pulserec serve --dataset movielens-100k`` loads the real data once and serves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulserec.testing.server import ServerProcess

pytestmark = pytest.mark.slow


def test_serve_loads_movielens_once(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "d", "--dataset", "movielens-100k")
    try:
        server.wait_ready(timeout=300.0)  # the first start imports ml-100k and trains the hybrid
        stats = server.request("GET", "/v1/admin/stats")[1]
        assert (stats["items"], stats["users"], stats["events"]) == (1682, 943, 100_000)
        toy_story = server.request("GET", "/v1/items/1")[1]
        assert toy_story["title"] == "Toy Story" and toy_story["attributes"]["year"] == 1995
        assert toy_story["categories"] == ["Animation", "Children's", "Comedy"]
        user = server.request("GET", "/v1/users/1")[1]
        assert user["attributes"]["occupation"] == "technician" and user["events"] == 272
        newest = server.request("GET", "/v1/users/1/events?limit=1")[1]["events"][0]
        assert newest["type"] == "rating" and newest["timestamp"].startswith("1998-")
    finally:
        server.stop()
    again = ServerProcess(tmp_path / "d", "--dataset", "movielens-100k")
    try:
        again.wait_ready()
        assert again.request("GET", "/v1/admin/stats")[1]["events"] == 100_000
    finally:
        again.stop()
