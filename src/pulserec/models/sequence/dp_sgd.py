"""DP-SGD for the sequence model, one user being the privacy unit.

Each user is one training example: their last ``max_len + 1`` positive items, left padded, and
the loss is the mean next-item cross-entropy over that window. Per-user gradients come from
``torch.func`` (``functional_call`` + ``vmap(grad)``) over every trainable parameter, which sees
what opacus's module hooks cannot (the item vectors tied between input and output,
``nn.MultiheadAttention``). opacus does the rest: Poisson sampling of users (each one in a step
with probability ``sample_rate``), :class:`~opacus.optimizers.DPOptimizer` (each user's
gradient clipped to ``max_grad_norm`` over all parameters together, Gaussian noise of std
``noise_multiplier * max_grad_norm`` on the sum, division by the expected batch size), the noise
multiplier calibrated for ``(epsilon, delta)`` over the planned steps, and an accountant
stepped at every step that reports what was spent.

So the trained weights are ``(epsilon, delta)``-DP with respect to adding or removing one
user's whole sequence. Parameters left frozen (``freeze``) are never read from data: freeze
only data-independent ones (e.g. an id embedding set to zeros, so that items are represented
through their public text vectors alone). What serves requests afterwards (each user's own
sequence to condition on) is outside the guarantee, as in any sequence model.

Default delta: ``0.1 / n_users``, an order below ``1 / n`` (the usual ``delta << 1/n`` rule:
a mechanism that publishes one random user's data outright is ``(0, 1/n)``-DP). Noise is drawn
with ``secure_mode=False`` (opacus's floating-point-attack hardening off), as the accountant
figures assume ideal Gaussians either way.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.utils import get_noise_multiplier
from opacus.optimizers import DPOptimizer
from opacus.utils.uniform_sampler import UniformWithReplacementSampler
from torch import nn
from torch.func import functional_call, grad, vmap
from torch.nn.attention import SDPBackend, sdpa_kernel
from tqdm import tqdm

ACCOUNTANTS = ("rdp", "prv")
Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class PrivacySpent:
    """What a private training run spent: ``(epsilon, delta)`` by the accountant, and how."""

    epsilon: float
    delta: float
    noise_multiplier: float
    steps: int
    sample_rate: float
    max_grad_norm: float
    accountant: str = "rdp"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def default_delta(n_users: int) -> float:
    """``0.1 / n_users``: an order of magnitude below ``1 / n`` (see the module docstring)."""
    return 0.1 / max(n_users, 1)


def user_examples(sequences: Sequence[Sequence[int]], max_len: int) -> torch.Tensor:
    """One row (``max_len + 1``, left padded with 0) per user with at least two items: their
    last ``max_len + 1`` items. Users with fewer items have no next item to learn and contribute
    nothing (they are not examples)."""
    rows = [
        [0] * (max_len + 1 - len(tail)) + tail
        for tail in (list(seq[-(max_len + 1) :]) for seq in sequences)
        if len(tail) >= 2
    ]
    if not rows:
        return torch.zeros((0, max_len + 1), dtype=torch.long)
    return torch.tensor(rows, dtype=torch.long)


@functools.lru_cache(maxsize=64)
def noise_multiplier(
    epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str = "rdp"
) -> float:
    """The smallest noise multiplier (within opacus's search tolerance) whose ``steps`` steps at
    ``sample_rate`` spend at most ``(epsilon, delta)``."""
    if accountant not in ACCOUNTANTS:
        raise ValueError(f"accountant must be one of {ACCOUNTANTS}, not {accountant!r}")
    if not (epsilon > 0 and 0 < delta < 1 and 0 < sample_rate <= 1 and steps >= 1):
        raise ValueError("need epsilon > 0, 0 < delta < 1, 0 < sample_rate <= 1, steps >= 1")
    with warnings.catch_warnings():  # PRV's numerics warn on log(0) at the edges of its grid
        warnings.simplefilter("ignore", RuntimeWarning)
        sigma = get_noise_multiplier(
            target_epsilon=epsilon,
            target_delta=delta,
            sample_rate=sample_rate,
            steps=steps,
            accountant=accountant,
        )
    return float(sigma)


class _Logits(nn.Module):
    """Next-item logits (B, T, N + 1) of a SASRec module: its forward, then the tied items."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = self.model(inputs)  # (B, T, C)
        items: torch.Tensor = self.model.item_vectors()  # type: ignore[operator]
        logits: torch.Tensor = hidden @ items.T  # (B, T, N + 1)
        return logits


def _user_loss(wrapper: _Logits) -> Callable[[Tensors, Tensors, torch.Tensor], torch.Tensor]:
    """Mean next-item cross-entropy of one user's example (T + 1,), as a function of the
    trainable parameters and the rest (frozen parameters and buffers)."""

    def loss(trainable: Tensors, rest: Tensors, example: torch.Tensor) -> torch.Tensor:
        batch = example.unsqueeze(0)  # (1, T + 1): the module wants a batch
        inputs, targets = batch[:, :-1], batch[:, 1:]  # (1, T) each
        logits = functional_call(wrapper, {**trainable, **rest}, (inputs,))  # (1, T, N + 1)
        picked = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1))
        mask = (targets != 0).to(logits.dtype)  # (1, T): padding is no target
        return -(picked.squeeze(-1) * mask).sum() / mask.sum().clamp(min=1.0)

    return loss


def _split(model: nn.Module, freeze: Collection[str]) -> tuple[Tensors, Tensors]:
    """(trainable parameters, everything else) under the wrapper's ``model.`` names, detached."""
    trainable: Tensors = {}
    rest: Tensors = {}
    for name, param in model.named_parameters():
        target = trainable if param.requires_grad and name not in freeze else rest
        target[f"model.{name}"] = param.detach()
    for name, buffer in model.named_buffers():
        rest[f"model.{name}"] = buffer
    return trainable, rest


def per_user_gradients(
    model: nn.Module,
    examples: torch.Tensor,
    *,
    freeze: Collection[str] = (),
    chunk_size: int | None = 128,
) -> Tensors:
    """Each example's (user's) gradient of its own mean loss, by trainable parameter name:
    (B, *param.shape) each. Frozen names (``freeze``) and parameters that need no grad are
    left out. Dropout draws differently per user (the module's mode is used as it is)."""
    wrapper = _Logits(model)
    trainable, rest = _split(model, freeze)
    names = [name.removeprefix("model.") for name in trainable]
    if examples.shape[0] == 0:
        return {
            n: torch.zeros((0, *p.shape)) for n, p in zip(names, trainable.values(), strict=False)
        }
    per_user_grad = vmap(
        grad(_user_loss(wrapper)),
        in_dims=(None, None, 0),
        randomness="different",
        chunk_size=chunk_size,
    )
    with sdpa_kernel(SDPBackend.MATH):  # batches under vmap (the fused CPU kernels loop)
        per_user = per_user_grad(trainable, rest, examples)
    return {name.removeprefix("model."): g.detach() for name, g in per_user.items()}


def train_private(
    model: nn.Module,
    sequences: Sequence[Sequence[int]],
    *,
    epsilon: float,
    delta: float | None = None,
    max_grad_norm: float = 1.0,
    epochs: int = 20,
    batch_size: int = 256,
    lr: float = 3e-3,
    seed: int = 0,
    accountant: str = "rdp",
    freeze: Collection[str] = (),
    average: float | None = None,
    chunk_size: int | None = 128,
    progress: bool = False,
) -> PrivacySpent:
    """Train ``model`` (a SASRec module, ``max_len`` attribute) on one example per user of
    ``sequences`` (1-based items, time-ordered) with DP-SGD (Adam as the inner optimiser).

    ``batch_size`` is the *expected* batch: each user joins a step with probability
    ``sample_rate = min(1, batch_size / n_examples)``; there are ``int(epochs / sample_rate)``
    steps (opacus's count). ``delta`` defaults to :func:`default_delta` of ``len(sequences)``
    (every user, with or without items). ``freeze`` names parameters not trained (they must
    not depend on data).
    Leaves the module in eval mode; returns what the accountant says was spent (nothing, the
    module untouched, when no user has two items)."""
    if max_grad_norm <= 0 or epochs < 1 or batch_size < 1 or lr <= 0:
        raise ValueError("need max_grad_norm > 0, epochs >= 1, batch_size >= 1, lr > 0")
    max_len = int(getattr(model, "max_len"))  # noqa: B009 (any module that keeps one)
    examples = user_examples(sequences, max_len)
    n = int(examples.shape[0])
    delta = default_delta(len(sequences)) if delta is None else delta
    if n == 0:  # no user has a next item: nothing is learned, nothing of anyone is spent
        model.eval()
        return PrivacySpent(0.0, delta, 0.0, 0, 0.0, max_grad_norm, accountant)
    sample_rate = min(1.0, batch_size / n)
    steps = max(1, int(epochs / sample_rate))  # opacus's count: an epoch is 1 / q steps
    sigma = noise_multiplier(epsilon, delta, sample_rate, steps, accountant)
    spent = RDPAccountant() if accountant == "rdp" else PRVAccountant()
    params = [p for name, p in model.named_parameters() if p.requires_grad and name not in freeze]
    names = [name for name, p in model.named_parameters() if p.requires_grad and name not in freeze]
    optimizer = DPOptimizer(
        torch.optim.Adam(params, lr=lr),
        noise_multiplier=sigma,
        max_grad_norm=max_grad_norm,
        expected_batch_size=max(1, round(sample_rate * n)),
        generator=torch.Generator().manual_seed(seed + 1),
    )
    sampler = UniformWithReplacementSampler(
        num_samples=n,
        sample_rate=sample_rate,
        generator=torch.Generator().manual_seed(seed),
        steps=steps,
    )
    decay = 0.0 if average is None else float(average)
    shadow = None if average is None else [p.detach().clone() for p in params]
    with torch.random.fork_rng(devices=[]):  # dropout draws from torch's RNG: seed it here
        torch.manual_seed(seed)
        model.train()
        for indices in tqdm(sampler, desc="private training", leave=False, disable=not progress):
            grads = per_user_gradients(
                model, examples[indices], freeze=freeze, chunk_size=chunk_size
            )
            for name, param in zip(names, params, strict=True):
                param.grad_sample = grads[name]  # type: ignore[attr-defined]
            optimizer.step()
            optimizer.zero_grad()
            spent.step(noise_multiplier=sigma, sample_rate=sample_rate)
            if shadow is not None:
                with torch.no_grad():
                    for kept, param in zip(shadow, params, strict=True):
                        kept.lerp_(param, 1.0 - decay)
        if shadow is not None:  # the average of the noisy iterates: post-processing, free
            with torch.no_grad():
                for kept, param in zip(shadow, params, strict=True):
                    param.copy_(kept)
        model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eps = float(spent.get_epsilon(delta=delta))
    return PrivacySpent(
        epsilon=eps,
        delta=delta,
        noise_multiplier=sigma,
        steps=steps,
        sample_rate=sample_rate,
        max_grad_norm=max_grad_norm,
        accountant=accountant,
    )


def spent_epsilon(
    noise: float, sample_rate: float, steps: int, delta: float, accountant: str = "rdp"
) -> float:
    """Epsilon at ``delta`` of ``steps`` Poisson-sampled Gaussian steps (no training)."""
    spent = RDPAccountant() if accountant == "rdp" else PRVAccountant()
    spent.history = [(noise, sample_rate, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(spent.get_epsilon(delta=delta))
