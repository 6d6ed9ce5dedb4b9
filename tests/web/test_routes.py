"""The page's server side: ``/`` and ``/static`` (open under auth), the per-second time series,
and evaluation reports with their plots (path-safe)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.api.docs_schema import openapi_30
from pulserec.api.metrics import Timeseries
from pulserec.core.config import ServerSettings
from pulserec.storage import MemoryStore
from tests.engine.conftest import build, filled_store

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    filled = filled_store()
    yield filled
    filled.close()


def _client(store: MemoryStore, tmp_path: Path, **settings: Any) -> TestClient:
    runtime = build(store, tmp_path, ("itemknn",))
    return TestClient(create_app(store, ServerSettings(**settings), runtime=runtime))


def test_page_and_static_files_are_open_under_auth(store: MemoryStore, tmp_path: Path) -> None:
    client = _client(store, tmp_path, api_key="k", read_key="r")
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/main.js">' in page.text
    for name in ("main.js", "api.js", "try.js", "dashboard.js", "plot.js", "ui.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200, name
    assert client.get("/v1/admin/stats").status_code == 401
    assert client.get("/v1/admin/timeseries").status_code == 401


def test_timeseries_counts_requests_per_second(store: MemoryStore, tmp_path: Path) -> None:
    client = _client(store, tmp_path)
    for _ in range(5):
        assert client.get("/v1/recommend/u00").status_code == 200
    assert client.get("/v1/search", params={"q": " "}).status_code == 422
    body = client.get("/v1/admin/timeseries", params={"seconds": 60}).json()
    samples = body["samples"]
    assert len(samples) == 60
    assert [s["t"] for s in samples] == list(range(samples[0]["t"], samples[0]["t"] + 60))
    assert sum(s["requests"] for s in samples) >= 6
    assert sum(s["errors"] for s in samples) >= 1
    busy = [s for s in samples if s["requests"]]
    assert all(0 < s["p50_ms"] <= s["p99_ms"] <= s["max_ms"] for s in busy)
    assert client.get("/v1/admin/timeseries", params={"seconds": 0}).status_code == 422


def test_timeseries_ring_reuses_old_slots() -> None:
    series = Timeseries(seconds=10)
    series.record(0.002, False, now=1000.2)
    series.record(0.004, True, now=1000.7)
    earlier = series.samples(now=1000.9)[-1]
    assert earlier["requests"] == 2 and earlier["errors"] == 1
    assert earlier["p50_ms"] == 2.0 and earlier["p99_ms"] == 4.0
    series.record(0.5, False, now=1010.1)  # same slot as second 1000, ten seconds later
    samples = series.samples(now=1010.5)
    assert len(samples) == 10 and samples[-1]["t"] == 1010
    assert samples[-1]["requests"] == 1 and samples[-1]["errors"] == 0
    assert samples[-1]["p99_ms"] == 500.0
    assert all(s["requests"] == 0 and s["p50_ms"] is None for s in samples[:-1])


def test_reports_list_parsed_results_and_serve_plots(store: MemoryStore, tmp_path: Path) -> None:
    root = tmp_path / "eval"
    (root / "random").mkdir(parents=True)
    results = {
        "dataset": "movielens-100k",
        "protocol": "random",
        "k": 10,
        "seed": 0,
        "models": {"ease": {"metrics": {"ndcg@10": 0.33}, "fit_seconds": 0.4, "params": {}}},
    }
    (root / "random" / "results.json").write_text(json.dumps(results))
    (root / "random" / "metrics.png").write_bytes(PNG)
    (root / "broken").mkdir()
    (root / "broken" / "results.json").write_text("{not json")
    (tmp_path / "secret.png").write_bytes(PNG)
    client = _client(store, tmp_path / "data", eval_dir=root)
    body = client.get("/v1/admin/reports").json()
    by_protocol = {r["protocol"]: r for r in body["reports"]}
    assert by_protocol["random"]["results"] == results
    assert by_protocol["random"]["plots"] == ["metrics.png"]
    assert "error" in by_protocol["broken"]
    plot = client.get("/v1/admin/reports/random/metrics.png")
    assert plot.status_code == 200 and plot.headers["content-type"] == "image/png"
    assert plot.content == PNG
    for path in (
        "/v1/admin/reports/random/missing.png",
        "/v1/admin/reports/../secret.png",
        "/v1/admin/reports/%2e%2e/secret.png",
        "/v1/admin/reports/random/..%2f..%2fsecret.png",
        "/v1/admin/reports/.hidden/metrics.png",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_reports_without_an_eval_dir_are_an_empty_list(store: MemoryStore, tmp_path: Path) -> None:
    body = _client(store, tmp_path, eval_dir=tmp_path / "nowhere").get("/v1/admin/reports").json()
    assert body["reports"] == []


def test_docs_work_offline_from_local_assets(store: MemoryStore, tmp_path: Path) -> None:
    client = _client(store, tmp_path, api_key="k", read_key="r")
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/docs-assets/swagger-ui-bundle.js" in sources
    assert "/docs-assets/swagger-ui.css" in sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "http://" not in docs.text and "https://" not in docs.text  # no CDN, no validator
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and asset.content, source
    assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN
    original = client.get("/openapi.json").json()
    for_swagger = client.get("/docs/openapi.json").json()
    assert original["openapi"].startswith("3.1") and for_swagger["openapi"] == "3.0.3"
    assert set(for_swagger["paths"]) == set(original["paths"])
    assert '{"type": "null"}' not in json.dumps(for_swagger)


def test_openapi_30_rewrites_the_31_forms() -> None:
    document = {
        "openapi": "3.1.0",
        "components": {
            "schemas": {
                "A": {
                    "properties": {
                        "x": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "X"},
                        "y": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
                        "z": {"const": "item"},
                        "k": {"type": "integer", "exclusiveMinimum": 0, "examples": [5]},
                    }
                }
            }
        },
    }
    converted = openapi_30(document)
    assert document["openapi"] == "3.1.0"  # the input is left as it was
    props = converted["components"]["schemas"]["A"]["properties"]
    assert props["x"] == {"type": "string", "title": "X", "nullable": True}
    assert props["y"] == {"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True}
    assert props["z"] == {"enum": ["item"]}
    assert props["k"] == {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "example": 5}


def test_favicon(store: MemoryStore, tmp_path: Path) -> None:
    client = _client(store, tmp_path, api_key="k", read_key="r")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text
    assert client.get("/static/favicon.svg").content == icon.content
