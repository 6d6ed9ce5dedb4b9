"""Random sequences of writes, and after every one each read route for every user and item.

Hypothesis drives adds, replacements and deletes of items (with rich or minimal text),
placeholders created by events, users with and without stated preferences, events of every
type, user deletes and retraining. After each step every read route must answer below 500,
lists must hold no duplicates and nothing deleted or hidden.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.core.config import ServerSettings
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.storage import SqliteStore

ITEM_IDS = [f"i{n}" for n in range(12)]
USER_IDS = [f"u{n}" for n in range(6)]
WORDS = ["rocket galaxy", "recipe kitchen", "flower soil", "guitar melody", "war drama"]
CATEGORIES = ["Space", "Cooking", "Garden", "Music"]
EVENT_TYPES = ["view", "click", "cart", "purchase", "like", "dislike", "skip", "rating"]
MODELS = ("hybrid", "itemknn")


class OperationSequences(RuleBasedStateMachine):
    """The API over a SQLite store, driven by random writes."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(_TMP.mktemp("ops"))
        self.store = SqliteStore(self.folder / "ops.db")
        encoder = load_encoder("hashing")
        config = EngineConfig(models=MODELS, item_encoder="hashing", query_encoder="hashing")
        runtime = assemble(self.store, config, self.folder, encoder, encoder, progress=False)
        self.client = TestClient(create_app(self.store, ServerSettings(), runtime))
        self.deleted: set[str] = set()
        self.hidden: set[str] = set()
        self.stamp = time.time() - 10_000

    def teardown(self) -> None:
        self.client.close()
        self.store.close()

    def ok(self, response: Any) -> Any:
        assert response.status_code < 500, (response.request.url, response.text)
        return response

    @initialize()
    def seed(self) -> None:
        """Start from a trained engine: items, a few users' clicks and one training."""
        items = [_item(i, n % 4, rich=True) for n, i in enumerate(ITEM_IDS[:8])]
        self.ok(self.client.post("/v1/items", json={"items": items}))
        events = [
            {"user_id": u, "item_id": ITEM_IDS[(n + m) % 8], "type": "click", "timestamp": t}
            for n, u in enumerate(USER_IDS[:4])
            for m, t in enumerate(range(int(self.stamp), int(self.stamp) + 300, 60))
        ]
        self.ok(self.client.post("/v1/events", json={"events": events}))
        self.ok(self.client.post("/v1/admin/train"))

    @rule(
        ids=st.lists(st.sampled_from(ITEM_IDS), min_size=1, max_size=4, unique=True),
        theme=st.integers(0, 3),
        rich=st.booleans(),
        hidden=st.booleans(),
    )
    def upsert_items(self, ids: list[str], theme: int, rich: bool, hidden: bool) -> None:
        body = [_item(i, theme, rich, hidden) for i in ids]
        assert self.ok(self.client.post("/v1/items", json={"items": body})).status_code == 200
        self.deleted -= set(ids)
        self.hidden = (self.hidden | set(ids)) if hidden else (self.hidden - set(ids))

    @rule(item=st.sampled_from(ITEM_IDS))
    def delete_item(self, item: str) -> None:
        if self.ok(self.client.delete(f"/v1/items/{item}")).status_code == 200:
            self.deleted.add(item)

    @rule(user=st.sampled_from(USER_IDS), preferences=st.sampled_from([None, *WORDS]))
    def upsert_user(self, user: str, preferences: str | None) -> None:
        body: dict[str, Any] = {"id": user}
        if preferences is not None:
            body["preferences"] = preferences
        self.ok(self.client.post("/v1/users", json={"users": [body]}))

    @rule(user=st.sampled_from(USER_IDS))
    def delete_user(self, user: str) -> None:
        self.ok(self.client.delete(f"/v1/users/{user}"))

    @rule(
        pairs=st.lists(
            st.tuples(
                st.sampled_from(USER_IDS),
                st.sampled_from([*ITEM_IDS, "ghost-1", "ghost-2"]),
                st.sampled_from(EVENT_TYPES),
                st.integers(0, 5),
            ),
            min_size=1,
            max_size=12,
        )
    )
    def events(self, pairs: list[tuple[str, str, str, int]]) -> None:
        events = []
        for user, item, kind, stars in pairs:
            self.stamp += 30
            event: dict[str, Any] = {"user_id": user, "item_id": item, "type": kind}
            event["timestamp"] = self.stamp
            if kind == "rating":
                event["value"] = stars
            events.append(event)
        events.append({"user_id": pairs[0][0], "type": "search", "query": "rocket"})
        self.ok(self.client.post("/v1/events", json={"events": events}))
        for _, item, _, _ in pairs:
            if item in self.deleted and self.store.get_item(item) is not None:
                self.deleted.discard(item)  # an event re-created it as a placeholder

    @rule()
    def train(self) -> None:
        self.ok(self.client.post("/v1/admin/train"))

    @invariant()
    def every_read_route_answers(self) -> None:
        client, users = self.client, [*USER_IDS, "stranger"]
        for user in users:
            for query in ("k=5", "k=3&offset=3&explain=true", "k=4&diversity=0.5&category=Space"):
                self._listed(client.get(f"/v1/recommend/{user}?{query}"))
            self.ok(client.get(f"/v1/users/{user}"))
            self.ok(client.get(f"/v1/users/{user}/events"))
            self.ok(client.get(f"/v1/users/{user}/export"))
            self._listed(client.get(f"/v1/search?q=rocket&user_id={user}&k=5"))
            body = {"message": "something with guitars but no war", "user_id": user}
            self._listed(client.post("/v1/chat", json=body))
        for item in [*ITEM_IDS, "ghost-1"]:
            self.ok(client.get(f"/v1/items/{item}"))
            self._listed(client.get(f"/v1/items/{item}/similar?k=5"))
            self._listed(client.post("/v1/recommend/session", json={"items": [item], "k": 5}))
        self._listed(client.get("/v1/popular?k=20&include=item"))
        batch = self.ok(client.post("/v1/recommend/batch", json={"users": users, "k": 4}))
        for result in batch.json().get("results", []):
            self._listed_ids([entry["id"] for entry in result["items"]])
        self._listed(client.get("/v1/popular?k=5&window=1h"))
        self.ok(client.get("/v1/items?limit=50"))
        self.ok(client.get("/v1/users"))
        self.ok(client.get("/v1/admin/stats"))

    def _listed(self, response: Any) -> None:
        self.ok(response)
        if response.status_code != 200:
            return
        self._listed_ids([entry["id"] for entry in response.json()["items"]])

    def _listed_ids(self, ids: list[str]) -> None:
        assert len(ids) == len(set(ids)), ids
        assert not set(ids) & (self.deleted | self.hidden), ids


def _item(item_id: str, theme: int, rich: bool, hidden: bool = False) -> dict[str, Any]:
    if not rich:  # the least text an item may have
        return {"id": item_id, "title": item_id, "hidden": hidden}
    return {
        "id": item_id,
        "title": f"{WORDS[theme]} {item_id}",
        "description": f"{WORDS[theme]} {WORDS[(theme + 1) % 5]}",
        "categories": [CATEGORIES[theme]],
        "tags": [WORDS[theme].split()[0]],
        "hidden": hidden,
    }


class _Folders:
    """Temporary folders for machines that hypothesis builds outside any pytest fixture."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.count = 0

    def mktemp(self, prefix: str) -> Path:
        assert self.root is not None
        self.count += 1
        path = self.root / f"{prefix}{self.count}"
        path.mkdir()
        return path


_TMP = _Folders()
OperationSequences.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_operation_sequences_never_fail(tmp_path: Path) -> None:
    _TMP.root = tmp_path
    OperationSequences.TestCase("runTest").runTest()
