"""A trained set of models, swapped into the engine as one immutable unit.

Models index items by the id map they were trained with. A bundle trained in this process
shares the engine's map (the first ``n_items`` indices); one trained by another process (the
trainer, another worker) has its own, and :meth:`ModelBundle.aligned` builds the two gathers
that translate between the engine's indices and the models', once per swap.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.models.base import Retriever

if TYPE_CHECKING:
    from pulserec.artifacts.store import Bundle

Int32s = npt.NDArray[np.int32]


@dataclass(frozen=True)
class ModelBundle:
    """Models by name, the number of items they were trained on, and where they came from.

    ``to_live[j]`` is the engine's index of the models' item ``j`` (-1: gone) and
    ``to_model[i]`` the models' index of the engine's item ``i`` (-1: unknown to them); both
    None when the models share the engine's map."""

    version: str
    models: dict[str, Retriever]
    n_items: int
    meta: dict[str, Any] = field(default_factory=dict)
    to_live: Int32s | None = None
    to_model: Int32s | None = None
    users: IdMap | None = None  # the models' user map, when it is not the engine's

    @classmethod
    def from_artifact(cls, saved: Bundle, *, own_users: bool) -> ModelBundle:
        """A published version as served: its models, item count and metadata, with the
        users deleted since it was saved taken out. ``own_users``: it keeps its own user map
        (the engine's is another); otherwise the engine adopted the saved maps."""
        n_items = int(saved.meta.get("n_items", len(saved.items)))
        users = saved.users if own_users else None
        bundle = cls(saved.version, saved.models, n_items, saved.meta, users=users)
        bundle.forget_rows(np.array(saved.forgotten, dtype=np.int32))
        return bundle

    def forget_user(self, user_id: str, engine_users: IdMap) -> None:
        """Take a deleted user out of every model that can forget (``forget(users)``): their
        rows, and what was derived from them (see each model's ``forget``)."""
        index = (self.users or engine_users).get(user_id)
        if index is not None:
            self.forget_rows(np.array([index], dtype=np.int32))

    def forget_rows(self, rows: npt.NDArray[np.int32]) -> None:
        """Take these user rows out of every model that can forget."""
        if not rows.size:
            return
        for model in self.models.values():
            forget = getattr(model, "forget", None)
            if forget is not None:
                forget(rows)

    def aligned(self, trained: IdMap, live: IdMap) -> ModelBundle:
        """This bundle translated from the ``trained`` id map to the engine's ``live`` one."""
        if trained is live:
            return self
        model_ids = [trained.id_of_or_none(j) for j in range(self.n_items)]
        to_live = np.array(
            [
                -1 if i is None else (found if (found := live.get(i)) is not None else -1)
                for i in model_ids
            ],
            dtype=np.int32,
        )
        to_model = np.full(len(live), -1, dtype=np.int32)
        known = to_live >= 0
        to_model[to_live[known]] = np.flatnonzero(known).astype(np.int32)
        return replace(self, to_live=to_live, to_model=to_model)

    def model_index(self, live: Int32s) -> Int32s:
        """The models' indices of engine items (-1: unknown to the models)."""
        if self.to_model is None:
            return np.where(live < self.n_items, live, -1).astype(np.int32)
        inside = live < self.to_model.shape[0]
        out = np.full(live.shape[0], -1, dtype=np.int32)
        out[inside] = self.to_model[live[inside]]
        return out

    def live_index(self, model: Int32s) -> Int32s:
        """The engine's indices of the models' items (-1: gone from the engine)."""
        if self.to_live is None:
            return model.astype(np.int32)
        return self.to_live[model]

    def known_mask(self, allowed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """``allowed`` (over engine indices) seen in the models' index space."""
        if self.to_live is None:
            if allowed.shape[0] >= self.n_items:
                return allowed[: self.n_items]  # a view: nothing copied on the hot path
            known = np.zeros(self.n_items, dtype=bool)
            n = min(self.n_items, allowed.shape[0])
            known[:n] = allowed[:n]
            return known
        valid = (self.to_live >= 0) & (self.to_live < allowed.shape[0])
        known = np.zeros(self.to_live.shape[0], dtype=bool)
        known[valid] = allowed[self.to_live[valid]]
        return known


class ServedBundle:
    """The bundle served now: swapped by one reference assignment, read once per request;
    the updater takes a deleted user out of it (``forget_user``)."""

    def __init__(self) -> None:
        self.current: ModelBundle | None = None

    @property
    def version(self) -> str:
        bundle = self.current
        return bundle.version if bundle is not None else "none"

    def swap(self, bundle: ModelBundle) -> None:
        self.current = bundle

    def forget_user(self, user_id: str, engine_users: IdMap) -> None:
        bundle = self.current
        if bundle is not None:
            bundle.forget_user(user_id, engine_users)

    def configuration(self) -> dict[str, Any]:
        """Per served model that reports one (the hybrid), the configuration its held-out
        validation chose: what answers, over which sources, each candidate's figure."""
        bundle = self.current
        if bundle is None:
            return {}
        out: dict[str, Any] = {}
        for name, model in bundle.models.items():
            served = getattr(model, "served", None)
            if callable(served):
                out[name] = served()
        return out
