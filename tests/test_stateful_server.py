"""A stateful property test against a real server process: hypothesis drives writes, deletes,
trainings, reads and restarts, and after every step checks that no request answered 5xx,
nothing acknowledged was lost, and no deleted person came back."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pulserec.testing.server import ServerProcess, run_cli

pytestmark = pytest.mark.slow
LIGHT = {
    "PULSEREC_MODELS": "pop,itemknn",
    "PULSEREC_ITEM_ENCODER": "hashing",
    "PULSEREC_QUERY_ENCODER": "hashing",
}
USERS = [f"person-{n}" for n in range(4)]
ITEMS = [f"track-{n}" for n in range(6)]


class ServerMachine(RuleBasedStateMachine):
    """One data dir, one server at a time, a model of what it must hold."""

    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.data_dir = self.root / f"d{next(_runs)}"
        seed = self.root / "seed.csv"
        seed.write_text("id,title\n" + "".join(f"{i},Song {i}\n" for i in ITEMS))
        assert run_cli("import", str(seed), "--data-dir", str(self.data_dir)).returncode == 0
        self.server = self._start()
        self.acked: dict[str, set[str]] = {}
        self.deleted: dict[str, list[str]] = {}  # who was deleted, with their event ids
        self.ids = itertools.count()

    def _start(self) -> ServerProcess:
        server = ServerProcess(self.data_dir, env=LIGHT)
        server.wait_ready()
        return server

    def _call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        status, answer = self.server.request(method, path, body)
        assert status < 500, f"{method} {path} answered {status}: {answer}"
        return status, answer

    @rule(
        user=st.sampled_from(USERS), items=st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3)
    )
    def post_events(self, user: str, items: list[str]) -> None:
        events = [
            {"event_id": f"e{next(self.ids)}", "user_id": user, "item_id": item, "type": "click"}
            for item in items
        ]
        status, _ = self._call("POST", "/v1/events", {"events": events})
        if user in self.deleted:  # deleted stays deleted: their events are refused
            assert status == 422
            return
        assert status == 200
        self.acked.setdefault(user, set()).update(e["event_id"] for e in events)

    @precondition(lambda self: bool(self.acked))
    @rule(data=st.data())
    def delete_user(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(sorted(self.acked)))
        status, _ = self._call("DELETE", f"/v1/users/{user}")
        assert status == 200
        self.deleted[user] = sorted(self.acked.pop(user))

    @precondition(lambda self: bool(self.deleted))
    @rule(data=st.data())
    def repost_a_deleted_persons_events(self, data: st.DataObject) -> None:
        """A re-import of an old export: the same event ids, the same person."""
        user = data.draw(st.sampled_from(sorted(self.deleted)))
        events = [
            {"event_id": event_id, "user_id": user, "item_id": ITEMS[0], "type": "click"}
            for event_id in self.deleted[user]
        ]
        status, _ = self._call("POST", "/v1/events", {"events": events})
        assert status == 422

    @rule()
    def train(self) -> None:
        status, _ = self._call("POST", "/v1/admin/train")
        assert status in (200, 409)

    @rule(user=st.sampled_from(USERS))
    def recommend(self, user: str) -> None:
        status, answer = self._call("GET", f"/v1/recommend/{user}?k=3")
        assert status == 200 and isinstance(answer, dict)

    @rule()
    def restart(self) -> None:
        self.server.stop()
        self.server = self._start()

    @invariant()
    def nothing_acknowledged_is_lost(self) -> None:
        for user, ids in self.acked.items():
            status, answer = self._call("GET", f"/v1/users/{user}/events?limit=1000")
            assert status == 200 and isinstance(answer, dict)
            stored = {e.get("event_id") for e in answer["events"]}
            assert ids <= stored, f"{user} lost {sorted(ids - stored)}"

    @invariant()
    def no_deleted_person_comes_back(self) -> None:
        for user in self.deleted:
            status, _ = self._call("GET", f"/v1/users/{user}")
            assert status == 404, f"{user} came back"

    def teardown(self) -> None:
        self.server.stop()


_runs = itertools.count()


def test_the_server_under_random_writes_deletes_trainings_and_restarts(tmp_path: Path) -> None:
    ServerMachine.root = tmp_path
    run = ServerMachine.TestCase
    run.settings = settings(
        max_examples=4,
        stateful_step_count=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    run().runTest()
