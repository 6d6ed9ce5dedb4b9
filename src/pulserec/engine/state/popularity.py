"""The one popularity ranking behind ``/v1/popular``, every trending fill and trending evidence.

Items rank by tiers, best first, so a thin window never collapses the list:

1. ``WINDOW``: events in the requested window before the newest event (recent ones weigh more);
2. ``RECENT``: the decayed count, for items with an event within ``HORIZON_S`` of the newest;
3. ``ALL_TIME``: all-time positive event counts;
4. ``UNSEEN``: servable items with text that no one engaged with yet.

Placeholders (items known only from events, with no text) come after every item with text,
by the same tiers, and only when they have events at all. Within a tier ties break by item
index, so pages of the list never overlap. Time is the newest event's, not the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulserec.engine.state.event_log import EventLog
from pulserec.engine.state.trending import TrendingCounter
from pulserec.privacy.counts import PrivateCounts

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Int8s = npt.NDArray[np.int8]

HORIZON_S = 30 * 86_400.0
DEFAULT_WINDOW_S = 86_400.0
WINDOW, RECENT, ALL_TIME, UNSEEN, NONE = 4, 3, 2, 1, 0
TIER_NAMES = {WINDOW: "window", RECENT: "recent", ALL_TIME: "all_time", UNSEEN: "unseen"}
_PLACEHOLDER_SHIFT = 5.0


@dataclass(frozen=True)
class Popularity:
    """Per item: a sort key (higher first, -inf: not servable) and its tier."""

    key: Floats
    tier: Int8s


def rank_popularity(
    trending: TrendingCounter,
    events: EventLog,
    servable: Bools,
    has_text: Bools,
    window_s: float = DEFAULT_WINDOW_S,
) -> Popularity:
    """Tiered popularity keys for items ``0..len(servable)-1``."""
    n = servable.shape[0]
    window = events.window_counts(window_s, n)
    log_mass = trending.log_scores(n)
    counts = trending.counts(n)
    recent = trending.last_seen(n) >= trending.newest - HORIZON_S
    tier = np.full(n, UNSEEN, dtype=np.int8)
    tier[counts > 0] = ALL_TIME
    tier[recent & np.isfinite(log_mass)] = RECENT
    tier[window > 0] = WINDOW
    within = np.zeros(n, dtype=np.float64)  # in [0, 1): the order inside a tier
    _place(within, tier == WINDOW, window)
    finite_mass = np.where(np.isfinite(log_mass), log_mass, 0.0)
    relative = np.minimum(finite_mass - _max(finite_mass, tier == RECENT), 0.0)  # <= 0 inside
    _place(within, tier == RECENT, np.exp2(relative))
    _place(within, tier == ALL_TIME, counts)
    key = tier + within
    placeholder = ~has_text
    key[placeholder] -= _PLACEHOLDER_SHIFT
    tier[placeholder & (tier == UNSEEN)] = NONE
    key[~servable | (placeholder & (counts <= 0) & (window <= 0))] = -np.inf
    return Popularity(key, tier)


def rank_private_popularity(
    private: PrivateCounts,
    servable: Bools,
    has_text: Bools,
    window_s: float = DEFAULT_WINDOW_S,
) -> Popularity:
    """Tiered popularity from released counts alone (differential privacy on): ``WINDOW``
    for items whose released counts over the window pass the noise threshold, ``RECENT``
    for every other item, by the released decayed counts. Placeholders follow only when their
    released all-time count passes the threshold (their events are private too)."""
    n = servable.shape[0]
    window, releases = private.window_counts(window_s, n)
    decayed = private.decayed(n)
    tier = np.full(n, RECENT, dtype=np.int8)
    tier[window >= private.threshold(releases, n)] = WINDOW
    within = np.zeros(n, dtype=np.float64)
    _spread(within, tier == WINDOW, window)
    _spread(within, tier == RECENT, decayed)
    key = tier + within
    placeholder = ~has_text
    key[placeholder] -= _PLACEHOLDER_SHIFT
    shown = private.totals(n) >= private.threshold(max(private.releases, 1), n)
    key[~servable | (placeholder & ~shown)] = -np.inf
    return Popularity(key, tier)


def _spread(out: Floats, mask: Bools, values: Floats) -> None:
    """Map ``values`` under ``mask`` (any sign) monotonically into [0, 1)."""
    if mask.any():
        chosen = values[mask]
        low = float(chosen.min())
        out[mask] = (chosen - low) / ((float(chosen.max()) - low) * (1.0 + 1e-9) + 1e-12)


def _max(values: Floats, mask: Bools) -> float:
    return float(values[mask].max()) if mask.any() else 0.0


def _place(out: Floats, mask: Bools, values: Floats) -> None:
    """Map ``values`` under ``mask`` monotonically into [0, 1)."""
    if mask.any():
        chosen = values[mask]
        out[mask] = chosen / (float(chosen.max()) * (1.0 + 1e-9) + 1e-12)
