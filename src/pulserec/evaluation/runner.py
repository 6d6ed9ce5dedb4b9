"""Evaluate named models on one protocol: tune on validation, then measure on test.

For each model: every point of its (small) search-space grid, merged over its defaults, is fit
on train and judged on validation (NDCG@k for top-N protocols, RMSE for ``ratings``); the
default point is always among them, so the default-hyper-parameter figure (for parity with
peers) comes from the same run. The winner is then measured on test. As in RecBole, the final
model is the one fit on **train only** (validation is for choosing, not learning); the exception
is ``ratings``, whose validation share is carved out of the protocol's 80% and is learnt from
before testing (see :mod:`pulserec.evaluation.protocols`). ``cold-items`` has no validation part,
so models run with their defaults there.

Top-N scoring runs in batches of users: ``score()``, mask the user's seen items (and, on
``cold-items``, every non-candidate item) with ``-inf``, then :func:`top_k_rows`; slots whose
score is not finite are left empty (``-1``).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from tqdm import tqdm

from pulserec.core import metrics as m
from pulserec.core.interactions import Interactions
from pulserec.core.topk import top_k_rows
from pulserec.evaluation.data import EvalData
from pulserec.evaluation.models import (
    MAX_GRID,
    Params,
    available_models,
    choose_models,
    param_grid,
    unavailable_models,
)
from pulserec.evaluation.protocols import RATING_PROTOCOLS, Split, Stage, make_split
from pulserec.models.base import Retriever
from pulserec.models.registry import ModelSpec

CURVE_KS = (5, 10, 20, 50)
BATCH_USERS = 256


@dataclass
class ModelResult:
    """One model's figures: test metrics at the chosen parameters and at the defaults."""

    name: str
    metrics: dict[str, float]
    fit_seconds: float
    params: Params
    default_params: Params
    default_metrics: dict[str, float]
    tuning: dict[str, Any]
    eval_seconds: float = 0.0
    popularity: dict[str, float] = field(default_factory=dict)
    exposure: npt.NDArray[np.int64] | None = None


@dataclass
class EvalResult:
    """A whole run: what was split, which models, and their results."""

    dataset: str
    protocol: str
    k: int
    seed: int
    ks: list[int]
    models: dict[str, ModelResult]
    split_info: dict[str, Any]
    notes: list[str]
    wall_seconds: float = 0.0


@dataclass(frozen=True)
class StageData:
    """One evaluation stage: who is ranked, what they may not see, what counts as a hit."""

    users: npt.NDArray[np.int32]
    seen: sp.csr_matrix
    targets: sp.csr_matrix  # rows aligned with ``users``
    candidates: npt.NDArray[np.bool_] | None


def _fit(spec: ModelSpec, params: Params, data: Interactions) -> tuple[Retriever, float]:
    model = spec.build(**params)
    started = time.perf_counter()
    model.fit(data)
    return model, time.perf_counter() - started


def make_stage(split: Split, stage: Stage) -> StageData:
    """Users with at least one target at ``stage``, with their masks and targets."""
    targets = split.targets(stage)
    users = np.flatnonzero(np.diff(targets.indptr)).astype(np.int32)
    return StageData(users, split.seen(stage), sp.csr_matrix(targets[users]), split.candidates)


def rank(model: Retriever, stage: StageData, depth: int, batch: int = BATCH_USERS) -> m.IntArray:
    """Top ``depth`` items for every stage user, masked; ``-1`` where no finite score is left."""
    out = np.full((stage.users.shape[0], depth), -1, dtype=np.int32)
    for start in range(0, stage.users.shape[0], batch):
        users = stage.users[start : start + batch]
        scores = np.array(model.score(users), dtype=np.float32)  # (B, n_items), a copy
        seen = stage.seen[users].tocoo()
        scores[seen.row, seen.col] = -np.inf
        if stage.candidates is not None:
            scores[:, ~stage.candidates[: scores.shape[1]]] = -np.inf
        top = top_k_rows(scores, depth)
        finite = np.isfinite(np.take_along_axis(scores, top, axis=1))
        out[start : start + users.shape[0], : top.shape[1]] = np.where(finite, top, -1)
    return out


@dataclass(frozen=True)
class Context:
    """What every model's evaluation shares within one run."""

    split: Split
    k: int
    ks: list[int]
    seed: int
    valid: StageData | None
    test: StageData
    popularity: npt.NDArray[np.float64]  # training users per item
    vectors: npt.NDArray[np.float32]
    progress: bool

    def has_valid(self) -> bool:
        """Whether there is a validation part to tune on."""
        if self.split.protocol in RATING_PROTOCOLS:
            return bool(np.isfinite(self.split.valid.value).any())
        return self.valid is not None and self.valid.users.size > 0

    def catalog(self) -> npt.NDArray[np.bool_]:
        """The items that may be ranked (coverage and Gini are over these)."""
        n_items = self.popularity.shape[0]
        if self.test.candidates is None:
            return np.ones(n_items, dtype=bool)
        return self.test.candidates[:n_items]

    def judge(self, model: Retriever) -> float:
        """Validation figure to maximise."""
        if self.split.protocol in RATING_PROTOCOLS:
            return -rating_figures(model, self.split.valid)["rmse"]
        if self.valid is None:
            raise ValueError("no validation users to judge on")
        top = rank(model, self.valid, self.k)
        return m.ranking_metrics(top, self.valid.targets, [self.k], ["ndcg"])[f"ndcg@{self.k}"]

    def measure(self, model: Retriever) -> tuple[dict[str, float], m.IntArray | None]:
        """Test figures, and the top-K lists for top-N protocols (None for ratings)."""
        if self.split.protocol in RATING_PROTOCOLS:
            return rating_figures(model, self.split.test), None
        top = rank(model, self.test, max(self.ks))
        return top_n_figures(self, top), top


def rating_figures(model: Retriever, part: Interactions) -> dict[str, float]:
    """MAE and RMSE of ``model.predict`` on the rated events of ``part``."""
    predict: Callable[..., npt.NDArray[np.float32]] | None = getattr(model, "predict", None)
    if predict is None:
        raise ValueError(f"model {model.name!r} has no predict() for rating protocols")
    rated = np.isfinite(part.value)
    predicted = predict(part.user_idx[rated], part.item_idx[rated])
    actual = part.value[rated]
    return {"mae": m.mae(predicted, actual), "rmse": m.rmse(predicted, actual)}


def top_n_figures(ctx: Context, top: m.IntArray) -> dict[str, float]:
    """Accuracy at every K and beyond-accuracy figures at the main ``k``."""
    figures = m.ranking_metrics(top, ctx.test.targets, ctx.ks)
    at_k = top[:, : ctx.k]
    n_items = ctx.popularity.shape[0]
    exposure = m.exposure(at_k, n_items)
    catalog = ctx.catalog()
    n_users = ctx.split.train.n_users
    figures["coverage"] = float((exposure[catalog] > 0).mean())
    figures["novelty"] = m.novelty(at_k, m.popularity_share(ctx.popularity, n_users))
    figures["diversity"] = m.intra_list_diversity(at_k, ctx.vectors)
    figures["gini"] = m.gini(exposure[catalog])
    return figures


def mean_popularity(popularity: npt.NDArray[np.float64], items: m.IntArray) -> float:
    """Mean training popularity (users per item) of the listed items, empty slots ignored."""
    items = items[(items >= 0) & (items < popularity.shape[0])]
    return float(popularity[items].mean()) if items.size else 0.0


@dataclass(frozen=True)
class Tuned:
    """The outcome of the validation search for one model."""

    params: Params
    model: Retriever
    fit_seconds: float
    default: Retriever
    default_fit_seconds: float
    trials: list[dict[str, Any]]
    final: bool = False  # already fit on what the protocol's final model learns from


def tune(ctx: Context, name: str, spec: ModelSpec) -> Tuned:
    """Fit every grid point on train and keep the best on validation (defaults first)."""
    points = param_grid(spec, ctx.seed, MAX_GRID if ctx.has_valid() else 1)
    trials: list[dict[str, Any]] = []
    if len(points) == 1 and ctx.split.refit_on_valid:  # nothing to choose: fit once, finally
        model, seconds = _fit(spec, points[0], ctx.split.fit_data())
        trials.append({"params": points[0], "valid": None, "fit_seconds": seconds})
        return Tuned(points[0], model, seconds, model, seconds, trials, final=True)
    best: tuple[float, Params, Retriever, float] | None = None
    default: tuple[Retriever, float] | None = None
    for params in tqdm(points, desc=name, unit="fit", leave=False, disable=not ctx.progress):
        model, seconds = _fit(spec, params, ctx.split.train)
        value = ctx.judge(model) if ctx.has_valid() else 0.0
        trials.append({"params": params, "valid": value, "fit_seconds": seconds})
        default = default or (model, seconds)
        if best is None or value > best[0]:
            best = (value, params, model, seconds)
    if best is None or default is None:
        raise RuntimeError(f"no parameters to try for {name!r}")
    return Tuned(best[1], best[2], best[3], default[0], default[1], trials)


def _refit(ctx: Context, spec: ModelSpec, tuned: Tuned) -> Tuned:
    """Refit the chosen and the default model on ``split.fit_data()`` where the protocol says so."""
    if not ctx.split.refit_on_valid or tuned.final:
        return tuned
    data = ctx.split.fit_data()
    model, seconds = _fit(spec, tuned.params, data)
    default_params = tuned.trials[0]["params"]
    if default_params == tuned.params:
        return Tuned(tuned.params, model, seconds, model, seconds, tuned.trials)
    default, default_seconds = _fit(spec, default_params, data)
    return Tuned(tuned.params, model, seconds, default, default_seconds, tuned.trials)


def evaluate_model(ctx: Context, name: str, spec: ModelSpec) -> ModelResult:
    """Tune ``name`` on validation, refit if the protocol says so, measure on test."""
    started = time.perf_counter()
    tuned = _refit(ctx, spec, tune(ctx, name, spec))
    figures, top = ctx.measure(tuned.model)
    same = tuned.default is tuned.model
    default_figures = figures if same else ctx.measure(tuned.default)[0]
    result = ModelResult(
        name=name,
        metrics=figures,
        fit_seconds=tuned.fit_seconds,
        params=tuned.params,
        default_params=tuned.trials[0]["params"],
        default_metrics=default_figures,
        tuning=_tuning_summary(ctx, tuned.trials),
    )
    if top is not None:
        result.exposure = m.exposure(top[:, : ctx.k], ctx.popularity.shape[0])[ctx.catalog()]
        result.popularity = {"mean_recommended": mean_popularity(ctx.popularity, top[:, : ctx.k])}
    result.eval_seconds = time.perf_counter() - started
    return result


def _tuning_summary(ctx: Context, trials: list[dict[str, Any]]) -> dict[str, Any]:
    if not ctx.has_valid():
        return {"metric": None, "note": "no validation split: default parameters", "trials": []}
    metric = "-rmse" if ctx.split.protocol in RATING_PROTOCOLS else f"ndcg@{ctx.k}"
    return {"metric": f"{metric} (valid)", "trials": trials}


def make_context(data: EvalData, split: Split, k: int, seed: int, progress: bool) -> Context:
    """Stages, popularity and item vectors shared by every model of a run."""
    top_n = split.protocol not in RATING_PROTOCOLS
    valid = make_stage(split, "valid") if top_n and len(split.valid) else None
    test = make_stage(split, "test") if top_n else _empty_stage(split)
    popularity = np.asarray(split.train.matrix().sum(axis=0), dtype=np.float64).ravel()
    vectors, _ = data.diversity_vectors()
    ks = sorted({k, 20, *CURVE_KS})
    return Context(split, k, ks, seed, valid, test, popularity, vectors, progress)


def _empty_stage(split: Split) -> StageData:
    empty = sp.csr_matrix((0, split.train.n_items), dtype=np.float32)
    return StageData(np.zeros(0, dtype=np.int32), empty, empty, None)


def evaluate(
    data: EvalData,
    protocol: str,
    models: Sequence[str] | None = None,
    k: int = 10,
    seed: int = 0,
    progress: bool = True,
) -> EvalResult:
    """Run ``models`` (default: the protocol's set) on ``protocol`` over ``data``."""
    started = time.perf_counter()
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    split = make_split(protocol, data.interactions, seed)
    specs = available_models(data, seed, protocol)
    names = choose_models(models, protocol, specs, unavailable_models(data))
    ctx = make_context(data, split, k, seed, progress)
    results: dict[str, ModelResult] = {}
    for name in tqdm(names, desc=f"evaluate {protocol}", unit="model", disable=not progress):
        results[name] = evaluate_model(ctx, name, specs[name])
    info = {**split.info, **_stage_info(ctx)}
    notes = run_notes(data, split)
    if models is None and (left_out := unavailable_models(data)):
        notes.append(f"not run (no item text embeddings): {', '.join(left_out)}")
    result = EvalResult(data.name, protocol, k, seed, ctx.ks, results, info, notes)
    result.wall_seconds = time.perf_counter() - started
    return result


def _stage_info(ctx: Context) -> dict[str, Any]:
    if ctx.split.protocol in RATING_PROTOCOLS:
        return {}
    test_items = ctx.test.targets.indices
    return {
        "test_users": int(ctx.test.users.shape[0]),
        "valid_users": 0 if ctx.valid is None else int(ctx.valid.users.shape[0]),
        "mean_test_item_popularity": float(ctx.popularity[test_items].mean())
        if test_items.size
        else 0.0,
    }


def run_notes(data: EvalData, split: Split) -> list[str]:
    """Plain-language notes on how the figures were made, for the report."""
    if split.protocol in RATING_PROTOCOLS:
        notes = ["final models refit on train + valid (the whole 80%), tuned on valid RMSE"]
        return notes + peer_notes()
    _, vectors = data.diversity_vectors()
    notes = [
        f"intra-list diversity uses {vectors}",
        "final models are fit on train + valid (valid chose the parameters)"
        if split.refit_on_valid
        else "final models are fit on train only (as RecBole); valid is for tuning (NDCG@k)",
        "novelty: mean -log2(share of training users who had the item)",
        "masking: train items at validation, train + valid items at test",
    ]
    if split.protocol == "temporal":
        share, cold = split.info["cold_test_user_share"], split.info["cold_test_users"]
        notes.append(f"temporal: {share:.1%} of test users ({cold}) have no training event")
    if split.protocol == "cold-items":
        notes.append(
            "cold-items: ranking among cold items only; no validation split (default "
            "parameters); every cold item has novelty log2(users), being unseen in training"
        )
    notes.extend(peer_notes())
    return notes


def peer_notes() -> list[str]:
    """Whether the optional peers could be run beside pulserec here."""
    notes = []
    for package in ("recbole", "implicit"):
        found = importlib.util.find_spec(package) is not None
        state = "importable: can be run as a peer" if found else "not installed (peer not run)"
        notes.append(f"{package}: {state}")
    return notes
