"""The experiment families of ``pulserec bench experiments`` (A/A, A/B, interleaving and the
pilot that sizes them), each decided by the server's own report."""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from typing import Any

import numpy as np

from pulserec.experiments.assignment import variant_index
from pulserec.experiments.stats import linearized
from pulserec_bench.experiments_sim import Driver, People

CHECKPOINTS = (10, 20, 30, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400, 500, 700, 943)


def pick(people: People, salt: str, per_variant: int, rng: random.Random) -> list[str]:
    """``per_variant`` people of each of two equal variants (the server's own assignment)."""
    order = list(people.ids)
    rng.shuffle(order)
    taken: dict[int, list[str]] = {0: [], 1: []}
    for user in order:
        arm = variant_index(salt, user, [1.0, 1.0])
        if len(taken[arm]) < per_variant:
            taken[arm].append(user)
        if all(len(t) >= per_variant for t in taken.values()):
            break
    chosen = taken[0] + taken[1]
    rng.shuffle(chosen)
    return chosen


def experiment(
    driver: Driver, name: str, variants: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    body = {"id": name, "variants": variants, **extra}
    created: dict[str, Any] = driver.call("POST", "/v1/experiments", body)
    return created


def report(driver: Driver, name: str) -> dict[str, Any]:
    found: dict[str, Any] = driver.call("GET", f"/v1/experiments/{name}/report")
    return found


def stop(driver: Driver, name: str) -> None:
    driver.call("POST", f"/v1/experiments/{name}/stop")


def wait_for_models(driver: Driver, name: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while driver.call("GET", f"/v1/experiments/{name}")["pending_models"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the variants' models were not trained in {timeout:.0f} s")
        time.sleep(1)


def run_aa(driver: Driver, people: People, n: int, per_variant: int, rng: random.Random) -> None:
    looks = 5
    fixed = sequential = peeking = 0
    for e in range(n):
        name = f"aa-{e}"
        same: dict[str, Any] = {"config": {}}
        horizon = {"users": per_variant, "looks": looks}
        experiment(driver, name, [{"name": "a", **same}, {"name": "b", **same}], horizon=horizon)
        users = pick(people, name, per_variant, rng)
        chunks = np.array_split(np.array(users), looks)
        p_values = []
        last: dict[str, Any] = {}
        for chunk in chunks:
            driver.visits(list(chunk))
            last = report(driver, name)
            p_values.append(last["lift"]["p_value"] if last["lift"]["p_value"] is not None else 1)
        stop(driver, name)
        fixed += p_values[-1] < 0.05
        peeking += min(p_values) < 0.05
        sequential += bool(last["significant"])
        _progress(
            "A/A", e + 1, n, f"fixed {fixed}, group-sequential {sequential}, peeking {peeking}"
        )
    print(
        f"A/A, {n} experiments x {per_variant} users per variant, {looks} looks:\n"
        f"  false-positive rate, fixed horizon (last look's p < 0.05): {fixed / n:.3f}\n"
        f"  false-positive rate, group-sequential (Pocock, {looks} looks): {sequential / n:.3f}\n"
        f"  false-positive rate, naive peeking (any look's p < 0.05):   {peeking / n:.3f}",
        flush=True,
    )


def pilot(
    driver: Driver, people: People, control: list[str], treatment: list[str]
) -> tuple[float, float, float]:
    """Expected CTR of each configuration over every person (two pilot experiments, each
    serving one configuration to everyone, so the lift is paired by person), and the per-user
    spread of the control's linearised CTR (what the power calculation needs)."""
    means, spread = [], 0.0
    for n, models in enumerate((control, treatment)):
        name = f"pilot-{n}"
        same = {"config": {"models": models}}
        experiment(driver, name, [{"name": "a", **same}, {"name": "b", **same}])
        wait_for_models(driver, name)
        visits = driver.visits(people.ids)
        stop(driver, name)
        means.append(statistics.fmean(v.expected for v in visits))
        if n == 0:
            clicked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for visit in visits:
                clicked[visit.user][0] += bool(visit.clicked)
                clicked[visit.user][1] += 1
            counts = np.array(list(clicked.values()), dtype=np.float64)
            value = counts[:, 0].sum() / counts[:, 1].sum()
            spread = float(np.std(linearized(counts[:, 0], counts[:, 1], value), ddof=1))
    return means[0], means[1], spread


def run_ab(
    driver: Driver,
    people: People,
    n: int,
    per_variant: int,
    control: list[str],
    treatment: list[str],
    rng: random.Random,
) -> float:
    hits, lifts = 0, []
    for e in range(n):
        name = f"ab-{e}"
        experiment(driver, name, _pair(control, treatment), horizon={"users": per_variant})
        visits = driver.visits(pick(people, name, per_variant, rng))
        found = report(driver, name)
        stop(driver, name)
        expected = {arm: statistics.fmean(v.expected for v in visits if v.variant == arm)
                    for arm in ("a", "b")}  # fmt: skip
        lifts.append(expected["b"] / expected["a"] - 1)
        estimate = found["lift"]["estimate"] or 0.0
        hits += bool(found["significant"]) and estimate > 0
        _progress("A/B", e + 1, n, f"significant and right: {hits}")
    power = hits / n
    print(
        f"A/B, {n} experiments x {per_variant} users per variant (fixed horizon):\n"
        f"  true lift (click model's expectation over the served lists): "
        f"mean {statistics.fmean(lifts):+.3f}, sd {statistics.pstdev(lifts):.3f}\n"
        f"  power (significant, right direction): {power:.3f}",
        flush=True,
    )
    return power


def run_interleave(
    driver: Driver,
    people: People,
    n: int,
    control: list[str],
    treatment: list[str],
    most: int,
    rng: random.Random,
    better: str = "b",
) -> int | None:
    """The share of experiments whose report prefers ``better`` (the variant with the higher
    expected CTR) after each checkpoint; returns the first checkpoint (people) at 0.8."""
    marks = [c for c in CHECKPOINTS if c <= most] or [most]
    right: dict[int, int] = defaultdict(int)
    for e in range(n):
        name = f"il-{e}"
        experiment(driver, name, _pair(control, treatment), mode="interleave")
        order = list(people.ids)
        rng.shuffle(order)
        done = 0
        for mark in marks:
            driver.visits(order[done:mark])
            done = mark
            found = report(driver, name)
            right[mark] += found["preferred"] == better
        stop(driver, name)
        _progress(
            "interleaving",
            e + 1,
            n,
            f"preferring the better ranker at {marks[-1]}: {right[marks[-1]]}",
        )
    print(f"interleaving, {n} experiments, {driver.rounds} visit(s) per person:")
    needed = None
    for mark in marks:
        power = right[mark] / n
        shown = mark * driver.rounds
        print(
            f"  after {mark:4d} people ({shown} impressions): "
            f"prefers the better ranker in {power:.3f}"
        )
        if needed is None and power >= 0.8:
            needed = mark
    return needed


def _pair(control: list[str], treatment: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": "a", "config": {"models": control}},
        {"name": "b", "config": {"models": treatment}},
    ]


def _progress(what: str, done: int, total: int, tail: str) -> None:
    if done % max(1, total // 10) == 0 or done == total:
        print(f"  {what} {done}/{total}: {tail}", flush=True)
