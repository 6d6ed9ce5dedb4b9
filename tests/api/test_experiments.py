"""Experiments over the API: definitions (201, 409, 422, 404), answers inside an experiment,
attribution into the report, interleaving, anonymous sessions and a restart."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.core.config import ServerSettings
from pulserec.engine.config import EngineConfig
from pulserec.storage import SqliteStore
from tests.engine.conftest import catalog, events

PEOPLE = [f"u{t}{m}" for t in range(4) for m in range(6)]
AB = {"id": "e1", "variants": [{"name": "a"}, {"name": "b", "config": {"models": ["pop"]}}]}


def _client(path: Path) -> tuple[TestClient, SqliteStore]:
    store = SqliteStore(path)
    if store.counts().items == 0:
        store.upsert_items(catalog())
        store.append_events(events())
    config = EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing")
    runtime = assemble(store, config, data_dir=path.parent, progress=False)
    return TestClient(create_app(store, ServerSettings(), runtime)), store


def _trained(client: TestClient, experiment_id: str) -> None:
    """Wait until the served version has every model the variants name (the POST started a
    training for the missing ones)."""
    deadline = time.monotonic() + 60
    while client.get(f"/v1/experiments/{experiment_id}").json()["pending_models"]:
        assert time.monotonic() < deadline, "the variants' models were never trained"
        time.sleep(0.05)


def _close(client: TestClient, store: SqliteStore) -> None:
    client.app.state.services.runtime.close()
    store.close()


def test_definitions_are_immutable_refuse_overlaps_and_say_what_is_wrong(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    created = client.post("/v1/experiments", json=AB)
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "running" and body["traffic_range"] == [0.0, 1.0]
    assert client.post("/v1/experiments", json=AB).status_code == 409
    other = {**AB, "id": "e2"}
    refused = client.post("/v1/experiments", json=other)
    assert refused.status_code == 409 and "overlap" in refused.json()["error"]["message"]
    bad = [
        {**AB, "id": "x", "variants": [{"name": "a"}]},
        {**AB, "id": "x", "variants": [{"name": "a"}, {"name": "a"}]},
        {
            **AB,
            "id": "x",
            "variants": [{"name": "a"}, {"name": "b", "config": {"models": ["nope"]}}],
        },
        {**AB, "id": "x", "mode": "interleave", "variants": [{"name": n} for n in "abc"]},
        {**AB, "id": "x", "traffic": 0},
        {**AB, "id": "x", "variants": [{"name": "a", "weight": -1}, {"name": "b"}]},
        {**AB, "id": "x", "surprise": 1},
    ]
    for definition in bad:
        answer = client.post("/v1/experiments", json=definition)
        assert answer.status_code == 422, definition
    assert client.get("/v1/experiments/nope").status_code == 404
    assert client.get("/v1/experiments/nope/report").status_code == 404
    assert client.post("/v1/experiments/nope/stop").status_code == 404
    assert [e["id"] for e in client.get("/v1/experiments").json()["experiments"]] == ["e1"]
    stopped = client.post("/v1/experiments/e1/stop").json()
    assert stopped["state"] == "stopped" and stopped["stopped_at"] is not None
    assert client.post("/v1/experiments", json=other).status_code == 201  # its traffic is free
    _close(client, store)


def test_answers_carry_the_variant_and_clicks_reach_the_report(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    created = client.post("/v1/experiments", json=AB).json()
    assert created["pending_models"] == ["pop"]  # not served yet: a training fits it
    _trained(client, "e1")
    arms: dict[str, list[str]] = {"a": [], "b": []}
    for user in PEOPLE:
        answer = client.get(f"/v1/recommend/{user}?k=5").json()
        arm = answer["experiment"]["variant"]
        assert answer["experiment"]["id"] == "e1" and len(answer["items"]) == 5
        arms[arm].append(user)
        sources = {s for item in answer["items"] for s in item["sources"]}
        assert ("pop" in sources) == (arm == "b")  # the variant's models answer
        again = client.get(f"/v1/recommend/{user}?k=5").json()
        assert again["experiment"]["variant"] == arm  # a user stays in their variant
        assert again["impression_id"] != answer["impression_id"]
        if arm == "b":
            click = {"user_id": user, "item_id": answer["items"][0]["id"], "type": "click",
                     "impression_id": answer["impression_id"]}  # fmt: skip
            assert client.post("/v1/events", json={"events": [click]}).status_code == 200
    assert arms["a"] and arms["b"]
    report = client.get("/v1/experiments/e1/report").json()
    a, b = report["variants"]
    assert (a["users"], b["users"]) == (len(arms["a"]), len(arms["b"]))
    assert (
        a["impressions"] == 2 * len(arms["a"])
        and b["clicks"] == len(arms["b"])
        and a["clicks"] == 0
    )
    assert b["ctr"] == 0.5 and report["lift"]["variant"] == "b"
    assert set(report) >= {"srm_p_value", "significant", "method", "stopping", "guardrails"}
    exported = client.get(f"/v1/users/{arms['b'][0]}/events?limit=1").json()["events"][0]
    assert exported["impression_id"]
    counted = client.get("/v1/admin/stats").json()["experiments"]
    assert counted["running"] == ["e1"] and counted["impressions_written"] == 2 * len(PEOPLE)
    assert counted["impressions_queued"] == 0 and counted["impressions_dropped"] == 0
    _close(client, store)


def test_interleaving_names_each_items_team(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    definition = {**AB, "id": "il", "mode": "interleave"}
    assert client.post("/v1/experiments", json=definition).status_code == 201
    _trained(client, "il")
    answer = client.get("/v1/recommend/u00?k=6").json()
    assert answer["experiment"] == {"id": "il", "variant": "interleaved"}
    teams = [item["variant"] for item in answer["items"]]
    assert set(teams) == {"a", "b"} and len(answer["items"]) == 6
    assert len({item["id"] for item in answer["items"]}) == 6
    pick = next(i["id"] for i in answer["items"] if i["variant"] == "b")
    click = {
        "user_id": "u00",
        "item_id": pick,
        "type": "click",
        "impression_id": answer["impression_id"],
    }
    client.post("/v1/events", json={"events": [click]})
    report = client.get("/v1/experiments/il/report").json()
    assert report["wins"] == {"a": 0, "b": 1, "ties": 0} and "preferred" in report
    _close(client, store)


def test_anonymous_sessions_are_assigned_by_their_session_key(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    client.post("/v1/experiments", json=AB)
    body = {"items": ["space-1"], "k": 4, "session_id": "visitor-7"}
    first = client.post("/v1/recommend/session", json=body).json()
    second = client.post("/v1/recommend/session", json=body).json()
    assert first["experiment"]["variant"] == second["experiment"]["variant"]
    plain = client.post("/v1/recommend/session", json={"items": ["space-1"], "k": 4}).json()
    assert "experiment" not in plain
    _close(client, store)


def test_definitions_impressions_and_assignments_survive_a_restart(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    client.post("/v1/experiments", json=AB)
    before = {u: client.get(f"/v1/recommend/{u}").json()["experiment"]["variant"] for u in PEOPLE}
    _close(client, store)  # the runtime writes what is queued
    client, store = _client(tmp_path / "db")
    after = {u: client.get(f"/v1/recommend/{u}").json()["experiment"]["variant"] for u in PEOPLE}
    assert after == before
    report = client.get("/v1/experiments/e1/report").json()
    assert sum(v["impressions"] for v in report["variants"]) == 2 * len(PEOPLE)
    _close(client, store)


def test_an_experiment_started_by_one_worker_assigns_on_the_other(tmp_path: Path) -> None:
    first, first_store = _client(tmp_path / "db")
    second, second_store = _client(tmp_path / "db")
    assert "experiment" not in second.get("/v1/recommend/u00").json()
    first.post("/v1/experiments", json=AB)
    for user in PEOPLE[:6]:
        mine = first.get(f"/v1/recommend/{user}").json()["experiment"]
        theirs = second.get(f"/v1/recommend/{user}").json()["experiment"]
        assert mine == theirs
    second.post("/v1/experiments/e1/stop")
    assert "experiment" not in first.get("/v1/recommend/u00").json()
    second.app.state.services.runtime.experiments.log.flush()  # at most 0.25 s later anyway
    report = first.get("/v1/experiments/e1/report").json()  # both workers' impressions
    assert sum(v["impressions"] for v in report["variants"]) == 12
    _close(first, first_store)
    _close(second, second_store)


def test_salts_are_random_and_never_shown(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    created = client.post("/v1/experiments", json=AB).json()
    _trained(client, "e1")
    assert "salt" not in created
    assert all("salt" not in e for e in client.get("/v1/experiments").json()["experiments"])
    assert "salt" not in client.get("/v1/experiments/e1").json()
    salt = client.app.state.services.runtime.experiments.get("e1").salt
    assert salt != "e1" and len(salt) >= 32  # not the id: nobody can steer ids into an arm
    _close(client, store)


def test_made_up_ids_take_no_part_and_write_no_impression(tmp_path: Path) -> None:
    client, store = _client(tmp_path / "db")
    client.post("/v1/experiments", json=AB)
    _trained(client, "e1")
    for n in range(50):
        answer = client.get(f"/v1/recommend/made-up-{n}?k=5").json()
        assert "experiment" not in answer and len(answer["items"]) == 5
    counted = client.get("/v1/admin/stats").json()["experiments"]
    assert counted["impressions_written"] + counted["impressions_queued"] == 0
    assert "experiment" in client.get(f"/v1/recommend/{PEOPLE[0]}?k=5").json()
    _close(client, store)
