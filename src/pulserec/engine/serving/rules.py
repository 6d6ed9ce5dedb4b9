"""Request-time rules: ``boost=name:value:factor`` and ``bury=name:value`` re-rank a list after
retrieval.

``name:value`` matches as a filter's equality does (:mod:`.filters`: an attribute, ``category``,
``tag`` or ``creator``). The list is read to its full depth, each item weighs its place's
reciprocal rank (``1 / (60 + position)``) times every matching boost's factor, and the list is
sorted by that weight (ties keep their order); buried items follow every other, in their order.
Every page of a list is cut from the same re-ranked depth, so pages never overlap or skip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulserec.engine.serving.filters import FilterError, Predicate, check_names, matches, parse
from pulserec.engine.state.catalog import Catalog

Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
MAX_RULES = 20
MAX_FACTOR = 100.0
RANK_OFFSET = 60  # as reciprocal-rank fusion's


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: items matching ``predicate`` weigh ``factor`` more (0: buried)."""

    predicate: Predicate
    factor: float


def parse_rules(boosts: list[str], buries: list[str]) -> list[Rule]:
    """``boost=`` and ``bury=`` strings to rules; FilterError says what is wrong."""
    if len(boosts) + len(buries) > MAX_RULES:
        field = "bury" if buries else "boost"
        raise FilterError(f"at most {MAX_RULES} boost and bury rules in one request", field)
    rules = []
    for raw in boosts:
        head, colon, factor_text = raw.strip().rpartition(":")
        try:
            factor = float(factor_text) if colon else math.nan
        except ValueError:
            factor = math.nan
        if not math.isfinite(factor) or not 0 < factor <= MAX_FACTOR:
            message = (
                f"boost {raw!r} is not name:value:factor with a factor above 0, at most "
                f"{MAX_FACTOR:g}"
            )
            raise FilterError(message, "boost")
        rules.append(Rule(_equality(head, raw, "boost"), factor))
    rules += [Rule(_equality(raw, raw, "bury"), 0.0) for raw in buries]
    return rules


def _equality(text: str, raw: str, field: str) -> Predicate:
    try:
        predicate = parse(text)
    except FilterError as error:
        raise FilterError(str(error), field) from None
    if predicate.is_range or predicate.negate:
        raise FilterError(f"{raw!r}: a rule names name:value (no ranges, no '!')", field)
    return predicate


def weights_of(catalog: Catalog, rules: list[Rule]) -> Floats | None:
    """(size,) factor per item (1: no rule, 0: buried); None without rules."""
    if not rules:
        return None
    for rule in rules:
        try:
            check_names(catalog, [rule.predicate])
        except FilterError as error:
            raise FilterError(str(error), "bury" if rule.factor == 0.0 else "boost") from None
    weights = np.ones(catalog.size, dtype=np.float64)
    for rule in rules:
        matched = matches(catalog, rule.predicate)
        weights[matched] = 0.0 if rule.factor == 0.0 else weights[matched] * rule.factor
    return weights


def reranked(items: Int32s, weights: Floats) -> npt.NDArray[np.intp]:
    """Positions of ``items`` in their re-ranked order (see the module)."""
    inside = items < weights.shape[0]
    factor = np.ones(items.shape[0], dtype=np.float64)
    factor[inside] = weights[items[inside]]
    key = factor / (RANK_OFFSET + np.arange(items.shape[0], dtype=np.float64))
    key[factor == 0.0] = -1.0 / (RANK_OFFSET + np.arange(items.shape[0]))[factor == 0.0]
    return np.argsort(-key, kind="stable")
