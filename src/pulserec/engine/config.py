"""What the engine serves with: models by name (as Gorse names its sources), encoders, limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from pulserec.feedback import DEFAULT_NEGATIVE_RATING, DEFAULT_POSITIVE_RATING, Feedback


@dataclass(frozen=True)
class EngineConfig:
    """Serving configuration; ``from_env`` reads ``PULSEREC_*`` overrides.

    ``models``: registry names whose candidates the engine asks for (fused by reciprocal rank
    when there are several); empty means text similarity and trending only.
    ``fresh_share``: at most this share of a list goes to items newer than the trained models
    (ranked by text similarity to the user's taste), so new items are recommendable at once.
    ``positive_rating`` / ``negative_rating``: the rating rule of :mod:`pulserec.feedback`.
    """

    models: tuple[str, ...] = ("hybrid",)
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_encoder: str = "minilm-onnx"
    query_encoder: str = "minilm-int8"
    domain: str = "generic"
    category_label: str = "category"
    trending_half_life_s: float = 7 * 86_400.0
    fresh_share: float = 0.3
    pool: int = 100
    personal_weight: float = 0.3
    train_every_s: float | None = None
    keep_versions: int = 3
    index_backend: str = "auto"
    index_threshold: int = 50_000
    answer_cache: int = 100_000  # recent answers kept (0: off); see engine/answer_cache.py
    trending_every: int = 1_000  # events between refreshes of cached lists' trending part
    vector_dtype: str = "float32"  # the dense item-vector table; float16 halves it at scale
    positive_rating: float = DEFAULT_POSITIVE_RATING
    negative_rating: float = DEFAULT_NEGATIVE_RATING

    def __post_init__(self) -> None:
        self.feedback  # noqa: B018 - refuses a rule where positive and negative overlap

    @cached_property
    def feedback(self) -> Feedback:
        """What each event means on the serving side (see :mod:`pulserec.feedback`)."""
        return Feedback(self.positive_rating, self.negative_rating)

    @classmethod
    def from_env(cls, **overrides: Any) -> EngineConfig:
        """Defaults, then ``PULSEREC_MODELS`` (comma list), ``PULSEREC_TRAIN_EVERY`` (seconds),
        ``PULSEREC_ITEM_ENCODER``, ``PULSEREC_QUERY_ENCODER``, ``PULSEREC_ANSWER_CACHE`` (entries; 0
        turns the answer cache off), ``PULSEREC_POSITIVE_RATING``, then ``overrides``."""
        config = cls()
        env = os.environ
        if "PULSEREC_MODELS" in env:
            names = tuple(n.strip() for n in env["PULSEREC_MODELS"].split(",") if n.strip())
            config = replace(config, models=names)
        if env.get("PULSEREC_TRAIN_EVERY"):
            config = replace(config, train_every_s=float(env["PULSEREC_TRAIN_EVERY"]))
        if env.get("PULSEREC_ITEM_ENCODER"):
            config = replace(config, item_encoder=env["PULSEREC_ITEM_ENCODER"])
        if env.get("PULSEREC_ANSWER_CACHE"):
            config = replace(config, answer_cache=int(env["PULSEREC_ANSWER_CACHE"]))
        if env.get("PULSEREC_QUERY_ENCODER"):
            config = replace(config, query_encoder=env["PULSEREC_QUERY_ENCODER"])
        if env.get("PULSEREC_POSITIVE_RATING"):
            config = replace(config, positive_rating=float(env["PULSEREC_POSITIVE_RATING"]))
        return replace(config, **overrides)
