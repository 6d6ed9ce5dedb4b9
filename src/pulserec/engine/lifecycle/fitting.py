"""Fitting a version's models: every configured model (and those running experiments name) on
one snapshot of the events, one after another or through a parallel runner (Ray tasks)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.engine.config import EngineConfig
from pulserec.models import registry
from pulserec.models.base import Retriever
from pulserec.storage.changelog import Cut

logger = logging.getLogger(__name__)


def training_meta(
    n_items: int,
    n_events: int,
    fitted: dict[str, Fitted],
    skipped: dict[str, str],
    cut: Cut,
    started: float,
) -> dict[str, Any]:
    """What a published version records about its training (the cut included)."""
    served = {
        name: one.model.served() for name, one in fitted.items() if hasattr(one.model, "served")
    }
    return {
        "n_items": n_items,
        "n_events": n_events,
        "served": served,
        "trained_at": time.time(),
        "fit_seconds": {name: round(one.seconds, 3) for name, one in fitted.items()},
        "train_seconds": round(time.perf_counter() - started, 3),
        "skipped": skipped,
        "cut_log_seq": cut.log_seq,
        "cut_event_seq": cut.event_seq,
    }


Parallel = Callable[[dict[str, Callable[[], Any]]], dict[str, Any]]


@dataclass(frozen=True)
class Fitted:
    """One model fitted for a version: the model, its registry name and parameters, and the
    seconds its fit took."""

    model: Retriever
    name: str
    params: dict[str, Any]
    seconds: float

    def entry(self) -> tuple[Retriever, str, dict[str, Any]]:
        """What :meth:`ArtifactStore.save_bundle` publishes of it."""
        return self.model, self.name, self.params


def save_entries(fitted: dict[str, Fitted]) -> dict[str, Any]:
    """The models to publish, by key (see :meth:`Fitted.entry`)."""
    return {key: one.entry() for key, one in fitted.items()}


def fit_models(
    config: EngineConfig,
    data: Interactions,
    vectors: ItemVectors | None,
    skipped: dict[str, str],
    parallel: Parallel | None = None,
    extra: Iterable[str] = (),
) -> dict[str, Fitted]:
    """Fit every configured model on ``data``, and the ``extra`` ones (what running
    experiments name): ``{name: Fitted}``; a model that cannot be fitted (no text yet, or
    its fit raised) is named in ``skipped`` with the reason. With ``parallel`` (e.g. Ray tasks)
    independent fits run through it: the models, and a hybrid's sources."""
    if parallel is not None:
        return _fit_in_parallel(config, data, vectors, skipped, parallel, extra)
    fitted: dict[str, Fitted] = {}
    for name, params in _configured(config, vectors, skipped, extra).items():
        started = time.perf_counter()
        try:
            model = registry.make(name, vectors=vectors, **params).fit(data)
        except Exception as error:  # one model's failure costs only that model
            skipped[name] = f"its fit failed ({type(error).__name__}; the server log has it)"
            logger.exception("fitting %s failed; the version goes out without it", name)
            continue
        fitted[name] = Fitted(model, name, params, time.perf_counter() - started)
        logger.info("trained %s in %.1f s", name, fitted[name].seconds)
    return fitted


def _configured(
    config: EngineConfig,
    vectors: ItemVectors | None,
    skipped: dict[str, str],
    extra: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """The configured models (then the ``extra`` ones) that can be fitted now, with their
    parameters; the others are named in ``skipped`` with the reason."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys((*config.models, *sorted(extra))):
        spec = registry.MODELS.get(name)
        if spec is None:
            raise ValueError(f"unknown model {name!r} in the engine's configuration")
        if spec.needs_vectors and vectors is None:
            skipped[name] = "no item has text vectors yet (post items with a title)"
            logger.warning("skipping %s: %s", name, skipped[name])
            continue
        out[name] = {**spec.defaults, **config.model_params.get(name, {})}
    return out


def _fit_in_parallel(
    config: EngineConfig,
    data: Interactions,
    vectors: ItemVectors | None,
    skipped: dict[str, str],
    parallel: Parallel,
    extra: Iterable[str] = (),
) -> dict[str, Fitted]:
    from pulserec.models.hybrid.learned import HybridRanker

    made = {
        name: (registry.make(name, vectors=vectors, **params), params)
        for name, params in _configured(config, vectors, skipped, extra).items()
    }
    started = time.perf_counter()
    fitted: dict[str, Fitted] = {}
    for name, (model, params) in made.items():
        if isinstance(model, HybridRanker):  # its sources are the independent fits
            model.parallel = parallel
            try:
                model.fit(data)
            finally:
                model.parallel = None
            fitted[name] = Fitted(model, name, params, time.perf_counter() - started)
    jobs: dict[str, Callable[[], Any]] = {
        n: functools.partial(m.fit, data) for n, (m, _) in made.items() if n not in fitted
    }
    for name, model in parallel(jobs).items():
        fitted[name] = Fitted(model, name, made[name][1], time.perf_counter() - started)
    return {name: fitted[name] for name in made}
