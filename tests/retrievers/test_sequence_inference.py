"""The numpy scorer of one sequence computes what the torch module computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pulserec.models.sequence.sasrec_model import SASRec
from pulserec.models.sequence.sasrec_numpy import SequenceScorer


@pytest.mark.parametrize(("layers", "length"), [(1, 1), (2, 7), (2, 50), (3, 80)])
def test_numpy_scores_match_the_module(layers: int, length: int) -> None:
    torch.manual_seed(layers)
    text = torch.randn(31, 12)
    module = SASRec(30, text, dim=16, layers=layers, heads=2, max_len=50, dropout=0.2).eval()
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
