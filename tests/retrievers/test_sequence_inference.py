"""The numpy scorer of one sequence computes what the torch module computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pulserec.models.sequence.sasrec_model import LEFT, RIGHT, SASRec, context
from pulserec.models.sequence.sasrec_numpy import SequenceScorer


@pytest.mark.parametrize("aligned", [LEFT, RIGHT])
@pytest.mark.parametrize(("layers", "length"), [(1, 1), (2, 7), (2, 50), (3, 80)])
def test_numpy_scores_match_the_module(layers: int, length: int, aligned: str) -> None:
    torch.manual_seed(layers)
    text = torch.randn(31, 12)
    module = SASRec(30, text, dim=16, layers=layers, heads=2, max_len=50, dropout=0.2,
                    positions=aligned).eval()  # fmt: skip
    for parameter in module.parameters():  # trained-looking weights, not the initial ones
        torch.nn.init.normal_(parameter, std=0.3)
    module.load_state_dict(module.state_dict())  # forget the item vectors computed so far
    sequence = np.random.default_rng(length).integers(1, 31, length)
    with torch.no_grad():
        padded = ([0] * 50 + sequence.tolist())[-50:]
        expected = module.next_scores(torch.tensor([padded]))[0].numpy()
    found = SequenceScorer(module).next_scores(sequence.astype(np.int64))
    assert found.dtype == np.float32 and found.shape == expected.shape
    np.testing.assert_allclose(found, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())


def _trained_looking(layers: int, max_len: int) -> SASRec:
    torch.manual_seed(7)
    module = SASRec(40, torch.randn(41, 12), dim=16, layers=layers, heads=2, max_len=max_len).eval()
    for parameter in module.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    module.load_state_dict(module.state_dict())
    return module


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_extending_a_users_window_equals_computing_it_in_full(layers: int) -> None:
    """Event after event (across the window's moves every max_len // 2 events), the scores of a
    kept window extended by one position equal the whole window's, and the module's."""
    max_len = 12
    module = _trained_looking(layers, max_len)
    kept, fresh = SequenceScorer(module), SequenceScorer(module)
    sequence: list[int] = []
    rng = np.random.default_rng(layers)
    for _ in range(40):
        sequence.append(int(rng.integers(1, 41)))
        window = context(sequence, max_len, LEFT)
        start = len(sequence) - len(window)
        found = kept.next_scores(np.array(window, np.int64), user=3, start=start)
        full = fresh.next_scores(np.array(window, np.int64))
        with torch.no_grad():
            padded = ([0] * max_len + window)[-max_len:]
            expected = module.next_scores(torch.tensor([padded]))[0].numpy()
        scale = np.abs(full).max()
        np.testing.assert_allclose(found, full, rtol=1e-5, atol=1e-5 * scale)
        np.testing.assert_allclose(found, expected, rtol=2e-5, atol=2e-5 * scale)
        assert np.array_equal(np.argsort(-found)[:5], np.argsort(-full)[:5])
    assert kept.extended >= 30 and kept.computed <= 8  # one full window per move
    again = kept.next_scores(np.array(window, np.int64), user=3, start=start)  # no new event
    np.testing.assert_array_equal(again, found)


def test_the_window_moves_by_half_and_kept_windows_are_bounded_and_forgotten() -> None:
    assert context(list(range(1, 11)), 12, LEFT) == list(range(1, 11))
    assert context(list(range(1, 14)), 12, LEFT) == list(range(7, 14))  # moved: 7 items
    assert context(list(range(1, 19)), 12, LEFT) == list(range(7, 19))  # grew to 12
    assert context(list(range(1, 20)), 12, LEFT) == list(range(13, 20))  # moved again
    assert context(list(range(1, 20)), 12, RIGHT) == list(range(8, 20))
    module = _trained_looking(2, 12)
    scorer = SequenceScorer(module, cache_bytes=30_000)
    for user in range(20):
        scorer.next_scores(np.arange(1, 8, dtype=np.int64), user=user, start=0)
    assert 0 < len(scorer._kept) < 20 and scorer._kept_bytes <= 30_000
    kept = next(iter(scorer._kept))
    scorer.forget([kept])
    assert kept not in scorer._kept
