"""What one process knows between trainings, as the change log left it.

The users' histories, seen sets and stated tastes, trending counts and the event log, the live
catalog with its text vectors, the id maps that index all of them, and how far along the log
they are. :class:`~pulserec.engine.state.updates.OnlineUpdater` is the only writer (under the
engine's write lock); the :class:`~pulserec.engine.facade.Engine` facade and its request path
read it. The reads here are the ones every request path shares: a user's context, their taste
vector and the popularity ranking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.topk import top_k
from pulserec.engine.config import EngineConfig
from pulserec.engine.state.catalog import Catalog
from pulserec.engine.state.event_log import EventLog
from pulserec.engine.state.popularity import (
    DEFAULT_WINDOW_S,
    WINDOW,
    Popularity,
    rank_popularity,
    rank_private_popularity,
)
from pulserec.engine.state.trending import TrendingCounter
from pulserec.engine.state.users import UserStates
from pulserec.index import make_index
from pulserec.privacy.counts import PrivateCounts

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
EMPTY = np.zeros(0, dtype=np.int32)
TASTE_ITEMS = 20
COLD_EVENTS = 10  # positive events after which stated tastes weigh STATED_FLOOR in a taste
STATED_FLOOR = 0.2
TRENDING_EVIDENCE = 50
KEPT_DELETIONS = 100_000  # deleted users' former indices kept for a training (DeletedUsers)
logger = logging.getLogger(__name__)


class DeletedUsers:
    """Deleted users' former indices, for a training in this process whose cut precedes the
    deletion (its models share the live map, where the id is now a hole).

    Bounded by need: :meth:`prune` drops the entries recorded before the cut of a swapped-in
    training (``Engine.swap``), since trainings here run one at a time and the next one cuts
    later. Bounded by count: past ``limit`` the oldest entries go, logged (a training during
    which more users are deleted than that misses the rows of the first ones)."""

    def __init__(self, seq: Callable[[], int], limit: int = KEPT_DELETIONS) -> None:
        self._seq = seq  # the log position now: when an entry was recorded
        self.limit = limit
        self._rows: dict[str, tuple[int, int]] = {}  # id -> (index it had, seq recorded at)

    def __len__(self) -> int:
        return len(self._rows)

    def __setitem__(self, user_id: str, index: int) -> None:
        self._rows.pop(user_id, None)
        self._rows[user_id] = (index, self._seq())
        if len(self._rows) > self.limit:
            oldest = next(iter(self._rows))
            del self._rows[oldest]
            logger.warning(
                "more than %d deletions kept for a training: dropped the oldest", self.limit
            )

    def since(self, seq: int) -> list[str]:
        """The users recorded at or after log position ``seq``."""
        return [user_id for user_id, (_, at) in self._rows.items() if at >= seq]

    def get(self, user_id: str) -> int | None:
        """The index ``user_id`` had, or None."""
        found = self._rows.get(user_id)
        return found[0] if found is not None else None

    def prune(self, before_seq: int) -> None:
        """Forget the entries recorded before log position ``before_seq``."""
        self._rows = {k: v for k, v in self._rows.items() if v[1] >= before_seq}


class UnknownItem(KeyError):
    """An item id the engine does not know (404 at the API)."""


@dataclass(frozen=True, slots=True)
class UserContext:
    """A user's index (None: unknown), recent positive items, what to exclude, stated tastes."""

    user: int | None
    history: Int32s
    seen: Int32s
    preferences: Float32s | None
    stated: str | None = None  # the preferences as written
    hidden: Int32s = field(default_factory=lambda: EMPTY)  # items the user hid: never shown


class OnlineState:
    """Users, items, trending and the log position of one process (see the module doc)."""

    def __init__(self, config: EngineConfig, dim: int) -> None:
        self.config = config
        self.users = IdMap()
        self.items = IdMap()
        self.catalog = self._new_catalog(self.items, dim)
        self.user_states = UserStates()
        self.trending = TrendingCounter(config.trending_half_life_s)
        self.event_log = EventLog()
        self.deleted_users = DeletedUsers(lambda: self.applied_seq)
        self.private: PrivateCounts | None = None  # released counts (PULSEREC_DP_EPSILON)
        self.applied_seq = 0  # the last change-log entry applied
        self.applied_event_seq = 0  # the last event sequence number applied

    def _new_catalog(self, items: IdMap, dim: int) -> Catalog:
        index = make_index(
            dim, backend=self.config.index_backend, threshold=self.config.index_threshold
        )
        return Catalog(items, dim, index, self.config.vector_dtype)

    def adopt_maps(self, users: IdMap, items: IdMap) -> None:
        """Index by a trained bundle's id maps (before anything is loaded), so rows line up."""
        self.users, self.items = users, items
        self.catalog = self._new_catalog(items, self.catalog.dim)

    # -- reads every request path shares ---------------------------------------------------
    def context(self, user_id: str | None, exclude_seen: bool = True) -> UserContext:
        """What a request for ``user_id`` starts from (empty for an unknown or absent user)."""
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            return UserContext(None, EMPTY, EMPTY, None)
        states = self.user_states
        seen = states.seen(user) if exclude_seen else EMPTY
        preferences = states.preferences(user)
        stated = states.stated(user) if preferences is not None else None
        hidden = EMPTY
        if named := states.hidden(user):
            found = self.items.lookup(list(named))
            hidden = found[found >= 0].astype(np.int32)
            seen = np.union1d(seen, hidden).astype(np.int32)  # whatever exclude_seen says
        return UserContext(user, states.history(user), seen, preferences, stated, hidden)

    def taste(self, history: Int32s, preferences: Float32s | None) -> Float32s | None:
        """A unit vector of the user's recent items (recency-weighted) plus stated tastes."""
        recent = history[-TASTE_ITEMS:]
        has = self.catalog.has_vector()
        recent = recent[recent < has.shape[0]]
        recent = recent[has[recent]]
        taste = np.zeros(self.catalog.dim, dtype=np.float32)
        if recent.size:
            weights = np.power(0.9, np.arange(recent.size)[::-1]).astype(np.float32)
            taste += weights @ np.asarray(self.catalog.vectors()[recent], dtype=np.float32)
            taste /= float(np.linalg.norm(taste)) or 1.0
        if preferences is not None:  # stated tastes weigh less as the history grows
            stated = max(STATED_FLOOR, 1.0 - history.size / COLD_EVENTS) if recent.size else 1.0
            taste += stated * preferences
        norm = float(np.linalg.norm(taste))
        return taste / norm if norm > 0 else None

    def make_private(self, key: bytes) -> None:
        """Publish popularity with differential privacy (before any event is applied)."""
        config = self.config
        assert config.dp_epsilon is not None
        self.private = PrivateCounts(
            config.dp_epsilon,
            config.dp_max_events,
            key,
            lambda: self.items,
            release_s=config.dp_release_s,
            half_life_s=config.trending_half_life_s,
        )

    def popularity(self, window_s: float = DEFAULT_WINDOW_S) -> Popularity:
        """The tiered popularity of every item (see :mod:`~.popularity`): what ``popular``,
        every trending fill and trending evidence rank by; only released counts when
        differential privacy is on."""
        if self.private is not None:
            return rank_private_popularity(
                self.private, self.catalog.servable(), self.catalog.has_vector(), window_s
            )
        return rank_popularity(
            self.trending,
            self.event_log,
            self.catalog.servable(),
            self.catalog.has_vector(),
            window_s,
        )

    def trending_now(self, n: int = TRENDING_EVIDENCE) -> frozenset[int]:
        """Items of the current ``popular`` top ``n`` that had events in its window: the only
        items an explanation may call trending."""
        ranked = self.popularity()
        top, _ = top_k(ranked.key, n)
        return frozenset(top[ranked.tier[top] == WINDOW].tolist())
