"""DP-SGD for the sequence model: one user is one example, each user's gradient is clipped
before the noise, the accountant spends no more than the target, and a privately trained
retriever scores, saves and loads like the others."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from opacus.optimizers import DPOptimizer

from pulserec.artifacts import load_model, save_model
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event
from pulserec.models.registry import MODELS
from pulserec.models.sequence.dp_sgd import (
    default_delta,
    noise_multiplier,
    per_user_gradients,
    spent_epsilon,
    train_private,
    user_examples,
)
from pulserec.models.sequence.sasrec_model import SASRec
from pulserec.models.sequence.sequential import SequenceRetriever, user_sequences
from tests.retrievers.test_sequential import _cycle_events

N_ITEMS, MAX_LEN = 12, 8


def _events(n_users: int = 40, length: int = 12) -> list[Event]:
    return _cycle_events(n_users, N_ITEMS, length)


def _vectors(data: Interactions) -> ItemVectors:
    ids = [data.items.id_of(i) for i in range(data.n_items)]
    return ItemVectors(ids, np.random.default_rng(1).normal(size=(len(ids), 6)).astype(np.float32))


def _module(seed: int = 0) -> SASRec:
    torch.manual_seed(seed)
    text = torch.cat([torch.zeros(1, 6), torch.randn(N_ITEMS, 6)])
    return SASRec(N_ITEMS, text, dim=8, layers=1, heads=2, max_len=MAX_LEN, dropout=0.0)


def _sequences() -> list[list[int]]:
    return user_sequences(Interactions.from_events(_events()))


def test_one_example_per_user_with_at_least_two_items() -> None:
    examples = user_examples([[1, 2, 3], [4], [], list(range(1, 30))], max_len=3)
    assert examples.tolist() == [[0, 1, 2, 3], [26, 27, 28, 29]]
    assert default_delta(1000) == pytest.approx(1e-4)


def test_per_user_gradients_are_each_users_own_gradient() -> None:
    module = _module()
    examples = user_examples(_sequences()[:3], MAX_LEN)
    grads = per_user_gradients(module, examples, freeze=("item_ids.weight",))
    assert "item_ids.weight" not in grads and "text_proj.weight" in grads
    for row in range(3):
        module.zero_grad()
        inputs, targets = examples[row : row + 1, :-1], examples[row : row + 1, 1:]
        logits = module(inputs) @ module.item_vectors().T
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=0
        )
        loss.backward()  # type: ignore[no-untyped-call]
        for name, param in module.named_parameters():
            if name in grads:
                assert param.grad is not None
                torch.testing.assert_close(grads[name][row], param.grad, atol=1e-5, rtol=1e-4)


def test_a_user_with_a_huge_sequence_moves_the_sum_by_at_most_the_clip() -> None:
    """The sensitivity DP-SGD relies on: with and without one (heavy) user, the clipped sum
    before noise differs by no more than ``max_grad_norm``."""
    clip = 0.05
    module = _module()
    heavy = [(i % N_ITEMS) + 1 for i in range(500)]  # 500 items; only the last 9 are used
    examples = user_examples([heavy, *_sequences()[:5]], MAX_LEN)
    grads = per_user_gradients(module, examples)
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()], 1).norm(dim=1)
    assert norms[0] > 10 * clip  # the heavy user's raw gradient is far beyond the clip

    def clipped_sum(rows: slice) -> torch.Tensor:
        params = [p for _, p in module.named_parameters()]
        optimizer = DPOptimizer(
            torch.optim.SGD(params, lr=0.0),
            noise_multiplier=0.0,
            max_grad_norm=clip,
            expected_batch_size=1,
            loss_reduction="sum",
        )
        for name, param in module.named_parameters():
            param.grad_sample = grads[name][rows]  # type: ignore[attr-defined]
        optimizer.step()  # clip, sum (no noise), then a step of lr 0
        total = torch.cat([p.grad.flatten() for p in params if p.grad is not None])
        optimizer.zero_grad()
        return total

    alone = clipped_sum(slice(0, 1))
    assert float(alone.norm()) <= clip * (1 + 1e-4)
    difference = clipped_sum(slice(0, None)) - clipped_sum(slice(1, None))
    assert float(difference.norm()) <= clip * (1 + 1e-4)


def test_spent_epsilon_is_at_most_the_target_and_close_to_it() -> None:
    module = _module()
    spent = train_private(
        module, _sequences(), epsilon=3.0, epochs=3, batch_size=20, lr=1e-2, seed=0
    )
    assert spent.sample_rate == pytest.approx(0.5) and spent.steps == 6
    assert spent.delta == pytest.approx(0.1 / 40)
    assert 3.0 - 0.05 <= spent.epsilon <= 3.0
    again = spent_epsilon(spent.noise_multiplier, spent.sample_rate, spent.steps, spent.delta)
    assert again == pytest.approx(spent.epsilon)
    assert not module.training


def test_private_training_is_deterministic() -> None:
    weights = []
    for _ in range(2):
        module = _module()
        train_private(module, _sequences(), epsilon=3.0, epochs=3, batch_size=20, seed=7)
        weights.append(torch.cat([p.detach().flatten() for p in module.parameters()]))
    torch.testing.assert_close(weights[0], weights[1], atol=0, rtol=0)


@pytest.mark.filterwarnings("ignore:Optimal order is the largest alpha")  # opacus, at eps 16
def test_the_noise_multiplier_grows_as_epsilon_shrinks() -> None:
    sigmas = [noise_multiplier(eps, 1e-4, 1.0, 10) for eps in (16.0, 8.0, 4.0, 1.0, 0.5)]
    assert all(a < b for a, b in itertools.pairwise(sigmas))
    assert noise_multiplier(1.0, 1e-4, 0.25, 8) > noise_multiplier(8.0, 1e-4, 0.25, 8)
    with pytest.raises(ValueError, match="accountant"):
        noise_multiplier(1.0, 1e-4, 1.0, 10, "moments")


def test_a_private_retriever_scores_saves_and_loads(tmp_path: Path) -> None:
    data = Interactions.from_events(_events())
    params = {"dim": 8, "heads": 2, "layers": 1, "max_len": MAX_LEN, "dropout": 0.0}
    private = {"dp_epsilon": 4.0, "dp_epochs": 2, "dp_batch_size": 20, "dp_text_dim": 4}
    model = SequenceRetriever(_vectors(data), **params, **private).fit(data)  # type: ignore[arg-type]
    assert model.privacy_ is not None and model.privacy_.epsilon <= 4.0
    assert not model.module.item_ids.weight.any()  # items through their text alone
    assert model.module.text.shape[1] == 4  # the catalog's principal components
    scores = model.score(np.arange(3, dtype=np.int32))
    assert scores.shape == (3, data.n_items) and np.isfinite(scores).all()
    assert model.init_params()["dp_epsilon"] == 4.0
    save_model(model, "sequence-dp", model.init_params(), tmp_path)
    restored = load_model(tmp_path)
    assert isinstance(restored, SequenceRetriever) and restored.privacy_ == model.privacy_
    users = np.arange(data.n_users, dtype=np.int32)
    np.testing.assert_array_equal(restored.score(users), model.score(users))


def test_the_non_private_model_saves_as_before() -> None:
    data = Interactions.from_events(_events(n_users=6))
    model = SequenceRetriever(_vectors(data), dim=8, layers=1, max_len=MAX_LEN, epochs=1)
    model.fit(data)
    assert model.privacy_ is None
    assert not any(key.startswith("dp_") for key in model.init_params())
    assert not any(key.startswith("privacy") for key in model.state())


def test_the_registry_has_the_private_sequence_models() -> None:
    for name, epsilon in (("sequence-dp8", 8.0), ("sequence-dp1", 1.0)):
        spec = MODELS[name]
        assert spec.needs_vectors and spec.defaults["dp_epsilon"] == epsilon
