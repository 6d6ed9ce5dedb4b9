"""Deleted users leave the collaborative models at once, exactly: after ``forget`` a model
holds what a fit without them would (item-kNN's and user-kNN's neighbour lists, EASE's B by
a rank-one downdate), and two items related only through a deleted user are unrelated."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.cf.ease import EASE
from pulserec.models.cf.knn import ItemKNN, UserKNN

N_ITEMS, BRIDGE = 30, "bridge"


def _events(with_bridge: bool) -> list[Event]:
    rng = np.random.default_rng(4)
    out = []
    for u in range(40):
        for j in rng.choice(N_ITEMS - 2, size=6, replace=False):  # never the last two items
            out.append(Event(f"u{u}", f"i{j}", EventType.CLICK, 1.0 + len(out)))
    out.append(Event("solo-a", f"i{N_ITEMS - 2}", EventType.CLICK, 500.0))
    out.append(Event("solo-b", f"i{N_ITEMS - 1}", EventType.CLICK, 501.0))
    if with_bridge:  # the only person who engaged with both of the last two items
        for j in (N_ITEMS - 2, N_ITEMS - 1, 3):
            out.append(Event(BRIDGE, f"i{j}", EventType.CLICK, 600.0 + j))
    return out


def _data(with_bridge: bool, users: IdMap) -> Interactions:
    items = IdMap(f"i{j}" for j in range(N_ITEMS))
    return Interactions.from_events(_events(with_bridge), users, items)


@pytest.mark.parametrize("model_class", [ItemKNN, UserKNN, EASE])
def test_forgetting_a_user_equals_fitting_without_them(model_class: type) -> None:
    users = IdMap()
    full = model_class().fit(_data(True, users))
    bridge = users.get(BRIDGE)
    assert bridge is not None
    a, b = N_ITEMS - 2, N_ITEMS - 1
    if model_class is not UserKNN:
        assert full.weights_[a, b] != 0  # related through the bridge alone
    full.forget(np.array([bridge], dtype=np.int32))
    without = model_class().fit(_data(False, IdMap(users.ids_of(np.arange(len(users))))))
    assert full.user_items_[bridge].nnz == 0
    if model_class is UserKNN:
        got, want = full.weights_.toarray(), without.weights_.toarray()
        want = np.pad(want, ((0, got.shape[0] - want.shape[0]),) * 2)
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert not got[:, bridge].any() and not got[bridge].any()
    else:
        got = full.weights_.toarray() if hasattr(full.weights_, "toarray") else full.weights_
        want = (
            without.weights_.toarray() if hasattr(without.weights_, "toarray") else without.weights_
        )
        np.testing.assert_allclose(got, want, atol=2e-5)
        assert got[a, b] == pytest.approx(0, abs=1e-6) and got[b, a] == pytest.approx(0, abs=1e-6)


def test_ease_saved_without_its_diagonal_is_solved_again() -> None:
    users = IdMap()
    model = EASE().fit(_data(True, users))
    del model.diag_  # as a model saved before the diagonal was kept
    model.forget(np.array([users.get(BRIDGE)], dtype=np.int32))
    without = EASE().fit(_data(False, IdMap(users.ids_of(np.arange(len(users))))))
    np.testing.assert_allclose(model.weights_, without.weights_, atol=2e-5)


def test_unknown_users_change_nothing() -> None:
    users = IdMap()
    model = ItemKNN().fit(_data(True, users))
    before = model.weights_
    model.forget(np.array([10_000, -1], dtype=np.int32))
    assert model.weights_ is before


@pytest.mark.parametrize("name", ["als", "bpr", "svd"])
def test_factor_models_zero_a_deleted_users_rows(name: str) -> None:
    from pulserec.models import registry

    users = IdMap()
    data = _data(True, users)
    quick = {"als": {"iterations": 2}, "bpr": {"epochs": 1}, "svd": {"epochs": 1}}[name]
    model = registry.make(name, **quick).fit(data)
    bridge = users.get(BRIDGE)
    assert bridge is not None and np.abs(model.user_factors_[bridge]).sum() > 0
    model.forget(np.array([bridge], dtype=np.int32))
    assert not model.user_factors_[bridge].any()
    held = model.ratings_ if name == "svd" else model.user_items_
    assert held[bridge].nnz == 0


@pytest.mark.parametrize("half_life", [None, 30.0])
def test_popularity_forgets_a_users_share(half_life: float | None) -> None:
    from pulserec.models.cf.popular import Popularity

    users = IdMap()
    model = Popularity(half_life_days=half_life).fit(_data(True, users))
    model = Popularity.from_state(model.init_params(), model.state())  # saved and loaded
    model.forget(np.array([users.get(BRIDGE)], dtype=np.int32))
    without = Popularity(half_life_days=half_life).fit(
        _data(False, IdMap(users.ids_of(np.arange(len(users)))))
    )
    if half_life is None:
        np.testing.assert_allclose(model.counts_, without.counts_, atol=1e-9)
    shared = N_ITEMS - 2  # also clicked by solo-a: kept, at its own share
    assert model.counts_[shared] > 0 and model.counts_[3] > 0
    before = Popularity(half_life_days=half_life).fit(_data(True, IdMap()))
    assert model.counts_[3] < before.counts_[3]


def test_the_hybrid_forgets_its_sources_and_its_own_item_statistics() -> None:
    from pulserec.models.cf.popular import Popularity
    from pulserec.models.hybrid.learned import HybridRanker

    users = IdMap()
    hybrid = HybridRanker({"itemknn": ItemKNN(), "pop": Popularity()}, learned=False)
    hybrid.fit(_data(True, users))
    bridge = users.get(BRIDGE)
    assert bridge is not None
    hybrid.forget(np.array([bridge], dtype=np.int32))
    without = HybridRanker({"itemknn": ItemKNN(), "pop": Popularity()}, learned=False)
    without.fit(_data(False, IdMap(users.ids_of(np.arange(len(users))))))
    for field in ("log_popularity", "days_since_last", "age_days"):
        np.testing.assert_allclose(getattr(hybrid.stats_, field), getattr(without.stats_, field))
    assert hybrid.seen_[bridge].nnz == 0
    assert not (hybrid.data_.user_idx == bridge).any()
