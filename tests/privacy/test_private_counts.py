"""Popular counts under differential privacy: the contribution bound, the noise, forgetting,
the budget in admin stats, and ``popular`` served from releases alone."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.core.config import ServerSettings
from pulserec.core.ids import IdMap
from pulserec.engine.config import EngineConfig
from pulserec.privacy.counts import PrivateCounts
from pulserec.privacy.noise import calibrated_scale, keyed_laplace, privacy_loss
from pulserec.storage import MemoryStore, SqliteStore

DAY = 86_400.0
KEY = bytes(range(32))


def _counts(items: IdMap, epsilon: float = 1.0, max_events: int = 10) -> PrivateCounts:
    return PrivateCounts(epsilon, max_events, KEY, lambda: items, release_s=DAY)


def _map(n: int) -> IdMap:
    return IdMap(f"i{i}" for i in range(n))


def _feed(counter: PrivateCounts, rows: list[tuple[int, int, float]]) -> None:
    items, users, stamps = (np.array(col) for col in zip(*rows, strict=True))
    counter.add(items.astype(np.int32), users.astype(np.int32), stamps.astype(np.float64))


def test_the_scale_comes_from_opendp_and_costs_exactly_the_budget() -> None:
    scale = calibrated_scale(1.0, 10)
    assert scale == pytest.approx(10.0)
    assert privacy_loss(scale, 10) == pytest.approx(1.0)
    assert privacy_loss(scale, 5) == pytest.approx(0.5)  # half the contribution, half the loss
    assert calibrated_scale(0.5, 10) > calibrated_scale(2.0, 10)


def test_noise_is_the_same_for_a_key_and_window_and_has_the_discrete_laplace_spread() -> None:
    ids = [f"i{i}" for i in range(40_000)]
    first = keyed_laplace(KEY, 3, ids, 10.0)
    assert np.array_equal(first, keyed_laplace(KEY, 3, ids, 10.0))  # every process agrees
    assert not np.array_equal(first, keyed_laplace(KEY, 4, ids, 10.0))
    assert not np.array_equal(first, keyed_laplace(bytes(32), 3, ids, 10.0))
    assert np.array_equal(first[:100], keyed_laplace(KEY, 3, ids[:100], 10.0))  # per item id
    q = math.exp(-1 / 10.0)
    variance = 2 * q / (1 - q) ** 2  # of the two-sided geometric distribution
    assert abs(float(first.mean())) < 4 * math.sqrt(variance / first.size)
    assert float(first.var()) == pytest.approx(variance, rel=0.05)


def test_each_user_counts_at_most_max_events_a_day_and_once_per_item() -> None:
    items = _map(30)
    counter = _counts(items, max_events=3)
    rows = [(i, 0, 100.0 + i) for i in range(6)]  # user 0: six items on day 0
    rows += [(7, 1, 200.0), (7, 1, 210.0)]  # user 1: the same item twice
    rows += [(10 + i, 0, DAY + 5.0 + i) for i in range(3)]  # day 1: a fresh allowance
    _feed(counter, rows)
    assert counter.stats()["spent_today"] == pytest.approx(1.0)  # user 0 used all of day 1's
    mine = counter._contributions()
    day0 = mine[mine[:, 2] == 0]
    assert sorted(day0[day0[:, 0] == 0, 1].tolist()) == [0, 1, 2]
    assert day0[day0[:, 0] == 1, 1].tolist() == [7]
    assert sorted(mine[mine[:, 2] == 1, 1].tolist()) == [10, 11, 12]


def test_releases_are_counts_plus_noise_and_happen_when_a_later_window_starts() -> None:
    items = _map(5)
    counter = _counts(items)
    _feed(counter, [(0, 0, 10.0), (0, 1, 20.0), (2, 1, 30.0)])
    assert counter.releases == 0  # the open day is not published yet
    _feed(counter, [(4, 2, DAY + 1.0)])
    assert counter.releases == 1
    noise = keyed_laplace(KEY, 0, [f"i{i}" for i in range(5)], counter.scale)
    expected = np.array([2.0, 0.0, 1.0, 0.0, 0.0]) + noise
    assert np.array_equal(counter.totals(5), expected)
    window, releases = counter.window_counts(DAY, 5)
    assert releases == 1 and np.array_equal(window, expected)


def test_forgetting_a_user_leaves_the_releases_a_counter_without_them_would_publish() -> None:
    rng = np.random.default_rng(0)
    rows = [
        (int(rng.integers(20)), int(rng.integers(6)), float(t))
        for t in np.sort(rng.uniform(0, 5 * DAY, 400))
    ]
    items = _map(20)
    with_them, without = _counts(items), _counts(items)
    _feed(with_them, rows)
    _feed(without, [r for r in rows if r[1] != 3])
    with_them.forget_user(3)
    assert np.allclose(with_them.totals(20), without.totals(20))
    assert np.allclose(with_them.decayed(20), without.decayed(20))
    assert np.allclose(
        with_them.window_counts(2 * DAY, 20)[0], without.window_counts(2 * DAY, 20)[0]
    )
    assert not (with_them._contributions()[:, 0] == 3).any()


def test_the_stores_keep_one_secret_for_every_process(tmp_path: Path) -> None:
    memory = MemoryStore()
    assert memory.secret("dp-noise") == memory.secret("dp-noise")
    assert len(memory.secret("dp-noise")) == 32
    first = SqliteStore(tmp_path / "s.db")
    second = SqliteStore(tmp_path / "s.db")
    try:
        assert first.secret("dp-noise") == second.secret("dp-noise")
        assert first.secret("dp-noise") != first.secret("other")
    finally:
        first.close()
        second.close()


def _private_client(store: SqliteStore) -> TestClient:
    config = EngineConfig(models=(), dp_epsilon=1.0, dp_max_events=2)
    runtime = assemble(store, config, progress=False)
    return TestClient(create_app(store, ServerSettings(), runtime))


def test_popular_is_served_from_releases_and_admin_stats_show_the_budget(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "api.db")
    try:
        client = _private_client(store)
        items = [{"id": f"m{i}", "title": f"Movie {i}"} for i in range(12)]
        assert client.post("/v1/items", json={"items": items}).status_code < 300
        day0 = 1_700_000_000.0
        events = [
            {"user_id": f"u{u}", "item_id": f"m{i}", "type": "click", "timestamp": day0 + u}
            for u in range(6)
            for i in range(4)
        ]
        events.append(
            {"user_id": "late", "item_id": "m9", "type": "click", "timestamp": day0 + DAY}
        )
        assert client.post("/v1/events", json={"events": events}).status_code < 300
        stats = client.get("/v1/admin/stats").json()["privacy"]
        assert stats["epsilon_per_day"] == 1.0
        assert stats["spent_today"] == pytest.approx(0.5)  # "late" used 1 of 2 today
        assert stats["mechanism"].startswith("discrete Laplace")
        assert stats["releases"] == 1
        answer = client.get("/v1/popular?k=12").json()
        assert len(answer["items"]) == 12  # never short: every servable item has a release
        engine = client.app.state.services.runtime.engine  # type: ignore[attr-defined]
        released = engine.state.private.totals(len(engine.state.items))
        order = [engine.state.items.id_of(i) for i in np.argsort(-released, kind="stable")]
        assert [i["id"] for i in answer["items"]][:3] == [i for i in order if i.startswith("m")][:3]
    finally:
        store.close()


def test_a_restart_publishes_the_same_numbers(tmp_path: Path) -> None:
    """A worker started over stored events feeds its private counts from them (the one path
    from events to state), so it publishes what the worker that saw them live publishes."""
    store = SqliteStore(tmp_path / "api.db")
    try:
        live = _private_client(store)
        items = [{"id": f"m{i}", "title": f"Movie {i}"} for i in range(8)]
        assert live.post("/v1/items", json={"items": items}).status_code < 300
        day0 = 1_700_000_000.0
        events = [
            {"user_id": f"u{u}", "item_id": f"m{(u * i) % 8}", "type": "click",
             "timestamp": day0 + 60 * u + i}
            for u in range(9)
            for i in range(3)
        ]  # fmt: skip
        late = {"user_id": "late", "item_id": "m1", "type": "click", "timestamp": day0 + DAY}
        assert live.post("/v1/events", json={"events": [*events, late]}).status_code < 300
        restarted = _private_client(store)
        for client in (live, restarted):
            assert client.get("/v1/admin/stats").json()["privacy"]["releases"] == 1
        first, second = (
            client.app.state.services.runtime.engine  # type: ignore[attr-defined]
            for client in (live, restarted)
        )
        assert first.state.private.stats() == second.state.private.stats()
        np.testing.assert_array_equal(
            first.state.private.totals(len(first.state.items)),
            second.state.private.totals(len(second.state.items)),
        )
        top = [live.get("/v1/popular?k=8").json(), restarted.get("/v1/popular?k=8").json()]
        assert [i["id"] for i in top[0]["items"]] == [i["id"] for i in top[1]["items"]]
    finally:
        store.close()


def test_privacy_is_off_by_default(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "api.db")
    try:
        runtime = assemble(store, EngineConfig(models=()), progress=False)
        client = TestClient(create_app(store, ServerSettings(), runtime))
        stats = client.get("/v1/admin/stats").json()["privacy"]
        assert stats == {"epsilon_per_day": None, "spent_today": 0.0, "mechanism": None}
        assert runtime.engine.state.private is None
    finally:
        store.close()


def test_the_budget_comes_from_the_environment_and_bad_values_are_refused() -> None:
    from pulserec.app.settings import Settings

    env = {"PULSEREC_DP_EPSILON": "0.5", "PULSEREC_DP_MAX_EVENTS_PER_USER": "4"}
    engine = Settings.load(env=env).engine
    assert (engine.dp_epsilon, engine.dp_max_events) == (0.5, 4)
    assert Settings.load(env={}).engine.dp_epsilon is None
    for bad in ({"PULSEREC_DP_EPSILON": "-1"}, {"PULSEREC_DP_EPSILON": "lots"},
                {"PULSEREC_DP_MAX_EVENTS_PER_USER": "0"}):  # fmt: skip
        with pytest.raises(ValueError, match=r"PULSEREC_DP|dp_epsilon|dp_max_events"):
            Settings.load(env=bad)
