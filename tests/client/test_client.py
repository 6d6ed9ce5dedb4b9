"""``pulserec.client`` against a real server process: every route, typed answers, buffered
events, paging, errors, retries that never duplicate an event (a lost answer and a 503 are
made by a wrapping transport: a real server cannot produce them on demand), and the docs'
examples run as written."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulserec.client import AsyncClient, Client, PulserecError
from pulserec.testing.server import ServerProcess

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parents[2] / "docs" / "client.md"
README = DOCS.parents[1] / "README.md"
FAST = {
    "PULSEREC_ITEM_ENCODER": "hashing",
    "PULSEREC_QUERY_ENCODER": "hashing",
    "PULSEREC_MODELS": "itemknn",
}
ITEMS = [
    {"id": f"{genre.lower()}-{n}", "title": f"{genre} song {n}", "categories": [genre],
     "attributes": {"artist": f"{genre} Band", "explicit": n % 2 == 1, "year": 1990 + n}}
    for genre in ("Jazz", "Metal", "Pop") for n in range(6)
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("client") / "data", env=FAST)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def test_every_route_with_typed_answers(server: ServerProcess) -> None:
    with Client(server.base) as client:
        assert client.health() == {"status": "ok"}
        assert client.upsert_items(ITEMS) == {"upserted": len(ITEMS)}
        client.upsert_users([{"id": "cat", "preferences": "jazz please, no metal"}])
        for n in range(4):
            client.track(f"fan{n}", f"pop-{n}", "click")
            client.track(f"fan{n}", f"pop-{n + 1}", "like")
        client.track("cat", "jazz-1", "rating", 5)
        assert client.buffered == 9
        assert client.flush() == {"accepted": 9, "duplicates": 0}
        assert client.get_user("cat")["events"] == 1
        assert client.train()["model_version"]
        listed = client.recommend("fan0", k=5, explain=True, filters=["category:Pop"])
        assert listed["items"] and all(i["id"].startswith("pop-") for i in listed["items"])
        assert all("explanation" in i and i["source"] for i in listed["items"])
        paged = [i["id"] for i in client.iter_recommendations("fan0", total=12, page_size=5)]
        assert paged == [i["id"] for i in client.recommend("fan0", k=12)["items"]]
        batch = client.recommend_batch(["fan0", "cat"], k=3, include_item=True)
        assert [r["user_id"] for r in batch["results"]] == ["fan0", "cat"]
        assert "item" in batch["results"][0]["items"][0]
        assert "Metal" not in {i["id"].split("-")[0].title() for i in
                               client.recommend("cat", k=10)["items"]}  # fmt: skip
        assert client.session(["pop-1"], k=3)["items"]
        assert client.similar("jazz-1", k=3, filters=["explicit:false"])["items"]
        assert client.search("Jazz Band", k=3)["items"][0]["id"].startswith("jazz-")
        top = client.popular(k=3, window="3650d", boost=["category:Jazz:100"])
        assert top["items"][0]["id"].startswith("jazz-")
        chat = client.chat("pop from the 90s, no explicit", k=5)
        assert "!explicit:true" in chat["constraints"]["filters"]
        assert client.similar_users("fan0", k=2)["users"]
        assert len(list(client.iter_items(page_size=7))) == len(ITEMS)
        assert {u["id"] for u in client.iter_users(page_size=2, q="fan")} == {
            f"fan{n}" for n in range(4)
        }
        assert client.user_events("fan0")[0]["type"] in ("click", "like")
        created = client.create_experiment(
            {"id": "exp1", "variants": [{"name": "a", "config": {}}, {"name": "b", "config": {}}]}
        )
        assert created["id"] == "exp1" and client.get_experiment("exp1")["id"] == "exp1"
        assert client.experiment_report("exp1")["id"] == "exp1"
        assert [e["id"] for e in client.list_experiments()] == ["exp1"]
        assert client.stop_experiment("exp1")["state"] == "stopped"
        assert client.stats()["items"] == len(ITEMS)
        assert "pulserec_events_ingested" in client.metrics()
        assert client.export_user("cat")["events"]
        assert client.delete_user("cat") == {"deleted": "cat"}
        with pytest.raises(PulserecError) as missing:
            client.get_user("cat")
        assert missing.value.status == 404 and missing.value.code == "not_found"
        with pytest.raises(PulserecError) as bad:
            client.recommend("fan0", filters=["label:x"])
        assert bad.value.status == 422 and bad.value.details[0]["field"] == "filter"


class Flaky(httpx.BaseTransport):
    """Forwards to the real server; the first POST /v1/events is delivered and its answer
    lost, and the first GET answers 503 before reaching it."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and not self.refused:
            self.refused += 1
            return httpx.Response(503, json={"error": {"code": "unavailable", "message": "x"}})
        response = self.inner.handle_request(request)
        if request.url.path == "/v1/events" and not self.lost:
            self.lost += 1
            response.read()
            raise httpx.ReadError("the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_retries_never_count_an_event_twice(server: ServerProcess) -> None:
    flaky = Flaky()
    with Client(server.base, backoff_s=0.01, transport=flaky) as client:
        assert client.get_item("jazz-1")["title"] == "Jazz song 1"  # after a 503
        sent = client.send_events([{"user_id": "retry", "item_id": "jazz-2", "type": "like"}])
        assert flaky.lost == 1 and flaky.refused == 1
        assert sent == {"accepted": 0, "duplicates": 1}  # the retry found it stored
        assert client.get_user("retry")["events"] == 1
    with Client(server.base, retries=0, transport=Flaky()) as impatient:
        with pytest.raises(PulserecError) as refused:
            impatient.get_item("jazz-1")
        assert refused.value.status == 503


def test_async_client_and_flush_on_close(server: ServerProcess) -> None:
    async def run() -> dict[str, Any]:
        async with AsyncClient(server.base, batch_size=2) as client:
            for n in range(3):
                await client.track("async-user", f"metal-{n}", "click")
            assert client.buffered == 1  # two went out at the batch size
            listed = [i["id"] async for i in client.iter_recommendations("async-user", 4, 3)]
            assert len(listed) == 4
            return await client.get_user("async-user")  # type: ignore[return-value]

    assert asyncio.run(run())["events"] == 2
    with Client(server.base) as client:  # the third was flushed on close
        assert client.get_user("async-user")["events"] == 3


def test_the_docs_examples_run_as_written(server: ServerProcess) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    readme = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2 and len(readme) == 1
    for block in [*blocks, *readme]:
        code = block.replace("http://127.0.0.1:8000", server.base)
        exec(compile(code, str(DOCS), "exec"), {"__name__": "docs_example"})
