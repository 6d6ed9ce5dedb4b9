"""Which models an evaluation runs, and the hyper-parameter grid each one is tuned over.

Models come from the retriever registry (:mod:`pulserec.models.registry`) plus
two evaluation baselines: ``random`` (uniform scores) and ``tfidf`` (the content baseline of
:mod:`pulserec.evaluation.baselines`). A grid is the search space's product merged over the
defaults, defaults first; one larger than ``MAX_GRID`` points is sampled with the run's seed.
Models whose constructor takes ``seed`` (or ``random_state``) get the run's seed; text models
get the data's item text embeddings.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from pulserec.evaluation.baselines import RandomRetriever, TfidfRetriever, item_tokens, tfidf_matrix
from pulserec.evaluation.data import EvalData
from pulserec.evaluation.protocols import RATING_PROTOCOLS
from pulserec.models import registry
from pulserec.models.registry import ModelSpec

MAX_GRID = 12
BASELINES = ("random", "tfidf")
Params = dict[str, Any]


def load_registry() -> dict[str, ModelSpec]:
    """Every registered model (the registry registers the model family when imported)."""
    return dict(registry.MODELS)


def available_models(data: EvalData, seed: int, protocol: str) -> dict[str, ModelSpec]:
    """Registered models ready to build for ``protocol``, plus the baselines.

    Text models get ``vectors=`` (the data's item text embeddings) bound in; per-protocol
    parameters (``ModelSpec.protocol_params``) are merged into the defaults. Text models are
    left out when the data has no text embeddings (see :func:`unavailable_models`).
    """
    specs: dict[str, ModelSpec] = {}
    for name, spec in load_registry().items():
        defaults = {**spec.defaults, **spec.protocol_params.get(protocol, {})}
        build = spec.build
        if spec.needs_vectors:
            if data.text_vectors is None:
                continue
            build = partial(spec.build, vectors=data.text_vectors)
        specs[name] = replace(spec, build=build, defaults=defaults)
    tfidf = tfidf_matrix(item_tokens(data.item_titles, data.item_genres))
    specs["random"] = ModelSpec(build=RandomRetriever, defaults={"seed": seed})
    specs["tfidf"] = ModelSpec(build=partial(TfidfRetriever, tfidf))
    return specs


def unavailable_models(data: EvalData) -> list[str]:
    """Registered text models that cannot run on ``data`` (it has no text embeddings)."""
    if data.text_vectors is not None:
        return []
    return [name for name, spec in load_registry().items() if spec.needs_vectors]


def choose_models(
    names: Sequence[str] | None,
    protocol: str,
    specs: dict[str, ModelSpec],
    unavailable: Sequence[str] = (),
) -> list[str]:
    """The models to run: ``names`` checked against ``specs``, or the protocol's default set."""
    rating = protocol in RATING_PROTOCOLS
    if names is None:
        chosen = [n for n, s in specs.items() if s.rating or not rating]
        if rating:
            return chosen
        base = list(BASELINES) if protocol == "cold-items" else []
        return base + [n for n in chosen if n not in BASELINES]
    if missing := [n for n in names if n in unavailable]:
        raise ValueError(f"model(s) {', '.join(missing)} need item text embeddings (none made)")
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)} (known: {', '.join(specs)})")
    if rating and (wrong := [n for n in names if not specs[n].rating]):
        raise ValueError(f"model(s) {', '.join(wrong)} do not predict ratings")
    return list(names)


def _seed_params(spec: ModelSpec, params: Params, seed: int) -> Params:
    """Pass the run's seed to models that take one."""
    try:
        accepted = inspect.signature(spec.build).parameters
    except (TypeError, ValueError):
        accepted = {}  # type: ignore[assignment]
    for key in ("seed", "random_state"):
        if key in params or key in accepted:
            params = {**params, key: seed}
    return params


def param_grid(spec: ModelSpec, seed: int, max_points: int = MAX_GRID) -> list[Params]:
    """Defaults first, then the search space's grid (a seeded sample if it is too big)."""
    keys = sorted(spec.search_space)
    combos = itertools.product(*(spec.search_space[key] for key in keys))
    points = [{**spec.defaults, **dict(zip(keys, combo, strict=True))} for combo in combos]
    default = dict(spec.defaults)
    others = [p for p in points if p != default]
    if len(others) > max_points - 1:
        picked = np.random.default_rng(seed).choice(len(others), max_points - 1, replace=False)
        others = [others[i] for i in sorted(picked)]
    return [_seed_params(spec, p, seed) for p in [default, *others]]
