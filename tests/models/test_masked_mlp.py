"""MaskedMLP: shapes, and the linear shortcut starting at zero."""

from __future__ import annotations

import torch

from aekit.models.masked_mlp import MaskedMLP, MaskedMLPSpec


def test_maps_values_and_mask_to_values():
    net = MaskedMLP(MaskedMLPSpec(n_features=5, hidden=(8,), dropout=0.1))
    assert net(torch.zeros(3, 10)).shape == (3, 5)


def test_the_shortcut_starts_at_zero_and_trains():
    torch.manual_seed(0)
    net = MaskedMLP(MaskedMLPSpec(n_features=4, hidden=(8,)))
    xm = torch.randn(6, 8)
    assert torch.equal(net(xm), net.body(xm))
    net(xm).square().sum().backward()
    assert net.skip is not None and net.skip.weight.grad is not None and net.skip.weight.grad.abs().sum() > 0
    assert MaskedMLP(MaskedMLPSpec(n_features=4, linear_skip=False)).skip is None
