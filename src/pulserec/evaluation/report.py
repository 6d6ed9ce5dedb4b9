"""Write an evaluation run out: ``results.json`` (API.md's shape), ``report.md`` and PNG plots.

``results.json`` holds, per model, the fixed keys ``metrics`` (lower-case ``name@k``, plus
``coverage novelty diversity gini`` or ``mae rmse``), ``fit_seconds`` and ``params``, and extra
keys: ``default_params``, ``default_params_metrics`` (the parity figure), ``tuning`` (every
validation trial), ``eval_seconds`` and ``popularity``. Plots are drawn on matplotlib's Agg
canvas (no display needed): metric bars per model, recall@K curves, and popularity bias (mean
popularity of recommended vs test items, and the exposure Lorenz curve).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pulserec.evaluation.protocols import RATING_PROTOCOLS
from pulserec.evaluation.runner import EvalResult

# RecBole 1.2.1 and implicit on ml-100k, `random` protocol, @10 (BENCHMARKS.md). ``tuned``: the
# peer figure is itself tuned, so it is compared with our tuned figure, not the defaults.
PEERS_RANDOM_AT_10: dict[str, dict[str, Any]] = {
    "pop": {
        "peer": "RecBole Pop",
        "recall": 0.127,
        "ndcg": 0.141,
        "mrr": 0.266,
        "hit": 0.576,
        "precision": 0.102,
    },
    "itemknn": {
        "peer": "RecBole ItemKNN",
        "recall": 0.247,
        "ndcg": 0.283,
        "mrr": 0.462,
        "hit": 0.785,
        "precision": 0.193,
    },
    "bpr": {
        "peer": "RecBole BPR",
        "recall": 0.247,
        "ndcg": 0.293,
        "mrr": 0.490,
        "hit": 0.782,
        "precision": 0.196,
    },
    "als": {
        "peer": "implicit ALS (tuned)",
        "tuned": True,
        "recall": 0.270,
        "ndcg": 0.303,
        "mrr": 0.490,
        "hit": 0.821,
        "precision": 0.204,
    },
    "ease": {
        "peer": "RecBole EASE",
        "recall": 0.281,
        "ndcg": 0.330,
        "mrr": 0.528,
        "hit": 0.820,
        "precision": 0.221,
    },
}
PARITY_BAND = 0.03
PEER_SEED = 2020  # the peers' RecBole seed: ``random`` at this seed is their split, exactly


def table_columns(protocol: str, k: int) -> list[str]:
    """The metric columns a table shows for ``protocol`` (all others stay in results.json)."""
    beyond = ["coverage", "novelty", "diversity", "gini"]
    if protocol in RATING_PROTOCOLS:
        return ["mae", "rmse"]
    if protocol == "loo":
        return [f"hit@{k}", f"ndcg@{k}", f"mrr@{k}", *beyond]
    if protocol == "cold-items":
        return ["recall@20", "ndcg@20", f"recall@{k}", f"ndcg@{k}", *beyond]
    main = [f"{name}@{k}" for name in ("recall", "ndcg", "mrr", "hit", "precision")]
    extra = ["recall@20", "ndcg@20"] if k != 20 else []
    return [*main, *extra, *beyond]


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON-ready Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def environment() -> dict[str, Any]:
    """CPU count and the versions the figures were made with."""
    versions: dict[str, str | None] = {}
    for package in ("numpy", "scipy", "torch"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpus": os.cpu_count(), "python": platform.python_version(), **versions}


def results_dict(result: EvalResult, command: str) -> dict[str, Any]:
    """The ``results.json`` document."""
    models = {
        name: {
            "metrics": r.metrics,
            "fit_seconds": r.fit_seconds,
            "params": r.params,
            "default_params": r.default_params,
            "default_params_metrics": r.default_metrics,
            "tuning": r.tuning,
            "eval_seconds": r.eval_seconds,
            "popularity": r.popularity,
        }
        for name, r in result.models.items()
    }
    return {
        "dataset": result.dataset,
        "protocol": result.protocol,
        "k": result.k,
        "seed": result.seed,
        "models": models,
        "split": result.split_info,
        "notes": result.notes,
        "parity": parity_rows(result),
        "wall_seconds": result.wall_seconds,
        "environment": environment(),
        "command": command,
    }


def parity_rows(result: EvalResult) -> list[dict[str, Any]]:
    """Our figures beside the BENCHMARKS.md peers (``random`` protocol at k=10 only)."""
    if result.protocol != "random" or result.k != 10:
        return []
    rows = []
    for name, peer in PEERS_RANDOM_AT_10.items():
        if name not in result.models:
            continue
        r = result.models[name]
        ours = r.metrics if peer.get("tuned") else r.default_metrics
        for metric in ("recall", "ndcg", "mrr", "hit", "precision"):
            if metric not in peer:
                continue
            value, reference = ours[f"{metric}@10"], float(peer[metric])
            delta = (value - reference) / reference
            rows.append(
                {
                    "model": name,
                    "peer": peer["peer"],
                    "metric": f"{metric}@10",
                    "ours": value,
                    "peer_value": reference,
                    "relative": delta,
                    "within_band": abs(delta) <= PARITY_BAND,
                    "verdict": _verdict(delta, bool(peer.get("tuned"))),
                    "ours_from": "tuned" if peer.get("tuned") else "default params",
                }
            )
    return rows


def _verdict(delta: float, tuned: bool) -> str:
    """``yes`` inside the band; above a tuned peer is fine too; otherwise ``NO``."""
    if abs(delta) <= PARITY_BAND:
        return "yes"
    if tuned and delta > 0:
        return "above (tuned vs tuned)"
    return "NO"


def _parity_note(result: EvalResult) -> str:
    if result.seed == PEER_SEED:
        return (
            f"Seed {PEER_SEED} is the peers' seed, and the `random` split shuffles as RecBole "
            "does, so both sides ranked the very same test set."
        )
    return (
        f"The peers ran at seed {PEER_SEED}; this run's split (seed {result.seed}) differs, so "
        "gaps include split noise (a few % relative across seeds). Rerun with "
        f"`--seed {PEER_SEED}` to compare on the peers' own split."
    )


def _fmt(value: float) -> str:
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"


def markdown(result: EvalResult, command: str) -> str:
    """``report.md``: the results table, parity with peers, notes and the environment."""
    columns = table_columns(result.protocol, result.k)
    tuned = any(r.tuning.get("metric") for r in result.models.values())
    lines = [
        f"# pulserec evaluate: {result.dataset}, protocol `{result.protocol}`",
        "",
        f"k={result.k}, seed={result.seed}, wall {result.wall_seconds:.1f} s. "
        + (
            "Parameters chosen on validation; below, the same models at default parameters."
            if tuned
            else "No validation split: every model runs with its default parameters."
        ),
        "",
        *_table(result, columns, default=False),
        "",
    ]
    if tuned:
        lines += ["Default parameters:", "", *_table(result, columns, default=True), ""]
    parity = parity_rows(result)
    if parity:
        lines += ["## Parity with peers (BENCHMARKS.md, ±3% band)", "", _parity_note(result), ""]
        lines += ["| model | peer | metric | ours | peer | rel. | within | ours from |"]
        lines += ["|---|---|---|---|---|---|---|---|"]
        for p in parity:
            lines.append(
                f"| {p['model']} | {p['peer']} | {p['metric']} | {p['ours']:.4f} | "
                f"{p['peer_value']:.3f} | {p['relative']:+.1%} | "
                f"{p['verdict']} | {p['ours_from']} |"
            )
        lines.append("")
    split = ", ".join(f"{key}={value}" for key, value in result.split_info.items())
    lines += ["## Notes", "", f"- split: {split}", *[f"- {note}" for note in result.notes], ""]
    env = environment()
    lines.append(
        f"Environment: {env['cpus']} CPUs, Python {env['python']}, numpy {env['numpy']}, "
        f"scipy {env['scipy']}, torch {env['torch']}. Command: `{command}`"
    )
    return "\n".join(lines) + "\n"


def _table(result: EvalResult, columns: list[str], default: bool) -> list[str]:
    head = ["model", *columns] + ([] if default else ["fit s", "params"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in result.models.items():
        figures = r.default_metrics if default else r.metrics
        cells = [name, *(_fmt(figures[c]) if c in figures else "–" for c in columns)]
        if not default:
            params = ", ".join(f"{key}={value}" for key, value in r.params.items())
            cells += [f"{r.fit_seconds:.2f}", params or "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_report(result: EvalResult, out: Path, command: str) -> list[Path]:
    """Write results.json, report.md and the plots into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    results.write_text(json.dumps(results_dict(result, command), indent=2, default=_plain) + "\n")
    report = out / "report.md"
    report.write_text(markdown(result, command))
    return [results, report, *write_plots(result, out)]


def _colour(i: int) -> Any:
    """A distinct colour per model (20 before any repeats)."""
    return colormaps["tab20"](i % 20)


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def write_plots(result: EvalResult, out: Path) -> list[Path]:
    """The PNGs for ``result``'s protocol."""
    names = list(result.models)
    if not names:
        return []
    columns = table_columns(result.protocol, result.k)
    accuracy = [c for c in columns if c not in ("coverage", "novelty", "diversity", "gini")]
    paths = [_bars(result, names, accuracy, out / "metrics.png")]
    if result.protocol not in RATING_PROTOCOLS:
        paths.append(_recall_curves(result, names, out / "recall_curve.png"))
        paths.append(_popularity(result, names, out / "popularity_bias.png"))
    return paths


def _bars(result: EvalResult, names: list[str], columns: list[str], path: Path) -> Path:
    figure = Figure(figsize=(min(16.0, 3.0 + 1.0 * len(names)), 4.5))
    ax = figure.subplots()
    width = 0.8 / max(len(columns), 1)
    x = np.arange(len(names))
    for j, column in enumerate(columns):
        values = [result.models[n].metrics.get(column, 0.0) for n in names]
        ax.bar(x + j * width, values, width, label=column)
    ax.set_xticks(x + width * (len(columns) - 1) / 2, names, rotation=30, ha="right")
    ax.set_title(f"{result.dataset}, {result.protocol}: test metrics (chosen parameters)")
    ax.legend(fontsize="small")
    return _save(figure, path)


def _recall_curves(result: EvalResult, names: list[str], path: Path) -> Path:
    figure = Figure(figsize=(8, 4.5))
    ax = figure.subplots()
    for i, name in enumerate(names):
        figures = result.models[name].metrics
        ks = [k for k in result.ks if f"recall@{k}" in figures]
        values = [figures[f"recall@{k}"] for k in ks]
        ax.plot(ks, values, marker="o", label=name, color=_colour(i))
    ax.set_xlabel("K")
    ax.set_ylabel("recall@K")
    ax.set_title(f"{result.protocol}: recall@K")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(figure, path)


def _mean_popularity_bars(result: EvalResult, names: list[str], ax: Any) -> None:
    ax.set_title(f"popularity of recommended items (top-{result.k})")
    if result.protocol == "cold-items":
        ax.text(0.5, 0.5, "cold items have no training popularity", ha="center", va="center")
        ax.set_axis_off()
        return
    means = [result.models[n].popularity.get("mean_recommended", 0.0) for n in names]
    ax.bar(np.arange(len(names)), means)
    ax.set_xticks(np.arange(len(names)), names, rotation=30, ha="right")
    test_mean = float(result.split_info.get("mean_test_item_popularity", 0.0))
    ax.axhline(test_mean, linestyle="--", color="black", label="test items")
    ax.set_ylabel("mean training users per item")
    ax.legend(fontsize="small")


def _popularity(result: EvalResult, names: list[str], path: Path) -> Path:
    figure = Figure(figsize=(13, 4.5))
    left, right = figure.subplots(1, 2)
    _mean_popularity_bars(result, names, left)
    for i, name in enumerate(names):
        exposure = result.models[name].exposure
        if exposure is None or exposure.sum() == 0:
            continue
        share = np.cumsum(np.sort(exposure)) / exposure.sum()
        right.plot(np.linspace(0, 1, share.size), share, label=name, color=_colour(i))
    right.plot([0, 1], [0, 1], linestyle=":", color="grey", label="equal exposure")
    right.set_xlabel("share of items (least exposed first)")
    right.set_ylabel("share of exposure")
    right.set_title("exposure Lorenz curve")
    right.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(figure, path)
