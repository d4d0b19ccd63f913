"""Centring folded into the first Linear computes what Center-then-Linear computes, gradients included."""

from __future__ import annotations

import copy

import pytest
import torch

from aekit.models import DenseAE, DenseSpec
from aekit.models.blocks import centered_forward
from aekit.models.vae import VAE, VAESpec


def _pair(module: torch.nn.Module, rows: int = 32) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.rand(rows, 20)
    module.init_from_data(x.mean(0) + 0.3)  # a mean away from the batch's: the fold must matter
    return module, x


@pytest.mark.parametrize("make", [lambda: DenseAE(DenseSpec(20, 4)), lambda: DenseAE(DenseSpec(20, 4, (8,))),
                                  lambda: VAE(VAESpec(20, 4, (8,)))], ids=["784-32-like", "hidden", "vae"])
@pytest.mark.parametrize("rows", [32, 3], ids=["folded", "subtracted"])  # few rows: subtracting is cheaper
def test_folded_centring_equals_the_stack_with_gradients(make, rows):
    folded, x = _pair(make(), rows)
    plain = copy.deepcopy(folded)
    y_fold = centered_forward(folded.encoder, x)
    y_plain = plain.encoder(x)
    torch.testing.assert_close(y_fold, y_plain, rtol=1e-5, atol=1e-6)
    y_fold.square().sum().backward()
    y_plain.square().sum().backward()
    for (name, p), q in zip(folded.encoder.named_parameters(), plain.encoder.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=name)


def test_a_hook_on_the_first_linear_sees_the_centred_input():
    ae, x = _pair(DenseAE(DenseSpec(20, 4)))
    seen = []
    handle = ae.encoder[1].register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
    try:
        ae.encode(x)
    finally:
        handle.remove()
    torch.testing.assert_close(seen[0], x - ae.encoder[0].mean)


def test_without_a_center_the_stack_runs_as_written():
    seq = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU())
    x = torch.rand(4, 5)
    assert torch.equal(centered_forward(seq, x), seq(x))
