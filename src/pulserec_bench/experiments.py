"""``pulserec bench experiments``: do the experiment reports decide right, against a real server?

Simulated people with known preferences drive ``pulserec serve`` over HTTP. The server holds
the first 80% of each MovieLens-100k user's ratings (by time); a person's tastes are every
item they rated 4 or 5 (the server knows most of them, not all). A shown item they like
attracts them with probability ``--liked`` (0.6), any other with ``NOISE`` (0.02); with
``--clicks position`` (the default) every position is looked at with 1 / (1 + rank)^0.7 and
clicked when it attracts, with ``--clicks cascade`` people read from the top, click the first
item that attracts them and stop, reading on after a pass with ``--patience`` (0.9). Each
of ``--visits`` (1) visits per person per experiment is one ``GET /v1/recommend``
(``exclude_seen=false``, so the tastes are not used up) and, when something was clicked, one
``POST /v1/events`` of clicks that carry the answer's ``impression_id``. Every decision is
read from ``GET /v1/experiments/{id}/report``; the bench computes no statistic of its own.

Three families of experiments, ``--experiments`` of each:
- **A/A** (both variants the served default), ``--aa-users`` per variant, a horizon with five
  looks: the false-positive rate of the fixed-horizon test (the last look's p-value), of the
  group-sequential rule (the report's ``significant``) and of naive peeking (any look's p);
- **A/B** (``--control`` against ``--treatment`` models): the true lift is what the click model
  expects from the lists the server actually returned (exact, not sampled); the users per
  variant come from the statsmodels power calculation for that lift at power 0.8, measured on
  a pilot experiment first; the power is the share of experiments the report calls significant
  in the right direction;
- **interleaving** of the same two: the share of experiments whose report prefers the
  treatment after n visits, for growing n; the impressions needed for power 0.8 against the
  A/B test's 2 x users per variant.
Last, in process over the same data: what assignment and impression logging add to the
computed path (click, then recommend), p50 against the same request outside any experiment.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from pulserec.experiments.stats import power_at, users_per_variant
from pulserec.testing.server import LIGHT_ENV, ServerProcess
from pulserec_bench.experiments_cost import logging_cost
from pulserec_bench.experiments_families import pilot, run_aa, run_ab, run_interleave
from pulserec_bench.experiments_sim import (
    LIKED,
    CascadeModel,
    Driver,
    People,
    PositionModel,
    build_data_dir,
)


def main(argv: list[str] | None = None) -> int:
    """Build the data dir, start a server, run the chosen families; exit status 0."""
    parser = argparse.ArgumentParser(prog="pulserec bench experiments", description=__doc__)
    parser.add_argument("--experiments", type=int, default=200, help="of each family")
    parser.add_argument("--aa-users", type=int, default=100, help="per variant")
    parser.add_argument("--control", default="pop", help="models of the A/B control")
    parser.add_argument("--treatment", default="ease", help="models of the A/B treatment")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--liked", type=float, default=LIKED, help="click chance of a liked item")
    parser.add_argument("--clicks", choices=("position", "cascade"), default="position")
    parser.add_argument("--visits", type=int, default=1, help="visits per person per experiment")
    parser.add_argument("--patience", type=float, default=0.9, help="cascade: read on after a pass")
    parser.add_argument("--families", default="aa,ab,interleave,cost")
    args = parser.parse_args(argv)
    families = set(args.families.split(","))
    rng = random.Random(args.seed)
    control, treatment = args.control.split(","), args.treatment.split(",")
    with tempfile.TemporaryDirectory(prefix="pulserec-bench-exp-") as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        people = build_data_dir(data_dir)
        people.p_liked = args.liked
        print(f"data: ml-100k, {len(people.ids)} people, 80% of ratings served, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        server = ServerProcess(data_dir, env={**LIGHT_ENV, "PULSEREC_ANSWER_CACHE": "100000"})
        try:
            server.wait_ready(timeout=900)
            clicks = CascadeModel(args.patience) if args.clicks == "cascade" else PositionModel()
            driver = Driver(server.base, people, args.connections, args.seed, clicks)
            driver.rounds = args.visits
            print(f"click model: {clicks.name}, liked items attract {args.liked}", flush=True)
            _run(driver, people, args, families, control, treatment, rng)
            print(f"requests: {driver.requests} visits in {time.perf_counter() - started:.0f} s")
        finally:
            server.stop()
        if "cost" in families:
            logging_cost(data_dir, people)
    return 0


def _run(
    driver: Driver,
    people: People,
    args: argparse.Namespace,
    families: set[str],
    control: list[str],
    treatment: list[str],
    rng: random.Random,
) -> None:
    """The pilot (sizing A/B and interleaving), then each family named in ``families``."""
    per_variant = None
    if families & {"ab", "interleave"}:
        p_a, p_b, spread = pilot(driver, people, control, treatment)
        lift = p_b / p_a - 1
        per_variant = users_per_variant(p_a, lift, spread)
        print(
            f"pilot: expected CTR {'+'.join(control)} {p_a:.4f}, {'+'.join(treatment)} "
            f"{p_b:.4f}: true lift {lift:+.3f}; per-user spread {spread:.3f}; power calculation "
            f"(alpha 0.05, power 0.8): {per_variant} users per variant, "
            f"{2 * per_variant * driver.rounds} impressions",
            flush=True,
        )
        available = len(people.ids) // 2
        ab_users = min(per_variant, available)
        if ab_users < per_variant:
            print(
                f"  the data hold {available} users per variant: the A/B family runs at "
                f"{ab_users}, where the calculation expects power "
                f"{power_at(p_a, lift, spread, ab_users):.3f}",
                flush=True,
            )
    if "aa" in families:
        run_aa(driver, people, args.experiments, args.aa_users, rng)
    if "ab" in families and per_variant is not None:
        run_ab(driver, people, args.experiments, ab_users, control, treatment, rng)
    if "interleave" in families and per_variant is not None:
        most = min(2 * per_variant, len(people.ids))
        better = "b" if lift > 0 else "a"
        needed = run_interleave(
            driver, people, args.experiments, control, treatment, most, rng, better
        )
        ab_impressions = 2 * per_variant * driver.rounds
        if needed is None:
            print("  interleaving did not reach power 0.8 within the A/B test's users")
        else:
            print(
                f"  impressions for power 0.8: interleaving {needed * driver.rounds}, A/B "
                f"{ab_impressions} (the power calculation): "
                f"{ab_impressions / (needed * driver.rounds):.1f}x fewer",
                flush=True,
            )
