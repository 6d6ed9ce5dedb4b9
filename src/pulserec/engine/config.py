"""What the engine serves with: models by name (as Gorse names its sources), encoders, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pulserec.core import event_types
from pulserec.core.feedback import DEFAULT_NEGATIVE_RATING, DEFAULT_POSITIVE_RATING, Feedback


@dataclass(frozen=True)
class EngineConfig:
    """Serving configuration (built by :mod:`pulserec.app.settings`).

    ``models``: registry names whose candidates the engine asks for (fused by reciprocal rank
    when there are several); empty means text similarity and trending only.
    ``fresh_share``: at most this share of a list goes to items newer than the trained models
    (ranked by text similarity to the user's taste), so new items are recommendable at once.
    ``positive_rating`` / ``negative_rating``: the rating rule of :mod:`pulserec.core.feedback`.
    """

    models: tuple[str, ...] = ("hybrid",)
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_encoder: str = "minilm-onnx"
    query_encoder: str = "minilm-int8"
    domain: str = "generic"
    # the item fields the language model reads, in order (empty: the domain's own text); see
    # pulserec.encoders.texts: title, creator, description, categories, tags or an attribute
    text_fields: tuple[str, ...] = ()
    category_label: str = "category"
    trending_half_life_s: float = 7 * 86_400.0
    fresh_share: float = 0.3
    pool: int = 100
    personal_weight: float = 0.3
    train_every_s: float | None = None
    keep_versions: int = 3
    index_backend: str = "auto"
    index_threshold: int = 50_000
    answer_cache: int = 100_000  # recent answers kept (0: off); see engine/serving/answer_cache.py
    answer_cache_bytes: int = 32 * 1024 * 1024  # and the memory they may hold, estimated
    trending_every: int = 1_000  # events between refreshes of cached lists' trending part
    vector_dtype: str = "float32"  # the dense item-vector table; float16 halves it at scale
    positive_rating: float = DEFAULT_POSITIVE_RATING
    negative_rating: float = DEFAULT_NEGATIVE_RATING
    # differential privacy of what everyone sees (pulserec.privacy.counts); None: off
    dp_epsilon: float | None = None  # budget per day
    dp_max_events: int = 10  # counted positive events per user per day
    dp_release_s: float = 86_400.0  # one release per window of event time (divides a day)
    # the settings file's [events] table: a deployment's own event types (pulserec.core.event_types)
    event_types: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.feedback  # noqa: B018 - refuses a rule where positive and negative overlap
        object.__setattr__(self, "text_fields", tuple(self.text_fields))
        self.text_recipe  # noqa: B018 - refuses empty or comma-holding field names
        event_types.configure(self.event_types)  # this process reads and writes them
        if self.dp_epsilon is not None and not self.dp_epsilon > 0:
            raise ValueError("PULSEREC_DP_EPSILON must be a positive number")
        if self.dp_max_events < 1:
            raise ValueError("PULSEREC_DP_MAX_EVENTS_PER_USER must be at least 1")
        if not 0 < self.dp_release_s <= 86_400.0 or 86_400.0 % self.dp_release_s:
            raise ValueError("dp_release_s must divide a day")

    @property
    def text_recipe(self) -> str:
        """What :func:`~pulserec.encoders.texts.item_text` reads: the domain, or the fields."""
        from pulserec.encoders.texts import fields_recipe

        return fields_recipe(self.text_fields) if self.text_fields else self.domain

    @cached_property
    def feedback(self) -> Feedback:
        """What each event means on the serving side (see :mod:`pulserec.core.feedback`)."""
        return Feedback(self.positive_rating, self.negative_rating)
