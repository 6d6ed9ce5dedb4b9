"""The load generator against the floor app on loopback: counts, errors, ordered percentiles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulserec_bench.floor_app import PATH, FloorServer
from pulserec_bench.loadgen import Paths, Request, run_load


@pytest.fixture(scope="module")
def floor() -> Iterator[FloorServer]:
    with FloorServer() as server:
        yield server


def post_floor(index: int) -> Request:
    """A POST with a body: the floor route only allows GET, so every answer is a 405."""
    return "POST", PATH, b'{"n": %d}' % index


def test_floor_app_load_has_no_errors(floor: FloorServer) -> None:
    result = run_load(floor.host, floor.port, Paths([PATH]), 2, duration_s=1.0, warmup_s=0.2)
    assert result.requests > 0 and result.rps > 0
    assert result.errors == 0 and result.errors_by_status == {}
    assert 0 < result.p50_ms <= result.p90_ms <= result.p99_ms <= result.max_ms
    assert result.connections == 2


def test_a_404_counts_as_an_error(floor: FloorServer) -> None:
    paths = Paths([PATH, "/missing"], seed=1)
    result = run_load(floor.host, floor.port, paths, 2, duration_s=0.5, warmup_s=0.1)
    assert result.errors > 0 and result.errors_by_status["404"] == result.errors
    assert result.requests >= result.errors and result.rps > 0


def test_requests_with_bodies_and_headers(floor: FloorServer) -> None:
    result = run_load(
        floor.host, floor.port, post_floor, 1, duration_s=0.3, warmup_s=0.1, headers={"x-a": "b"}
    )
    assert result.requests > 0 and result.errors == result.requests
    assert set(result.errors_by_status) == {"405"} and result.rps == 0


def test_an_unreachable_server_counts_connect_errors() -> None:
    from pulserec.testing.server import free_port

    result = run_load("127.0.0.1", free_port(), Paths(["/"]), 1, duration_s=0.3, warmup_s=0.0)
    assert result.errors > 0 and set(result.errors_by_status) == {"connect"}
