"""ResidualDenoiser: a DnCNN that starts as the identity and keeps the image size."""

from __future__ import annotations

import pytest
import torch

from aekit.models.residual import ResidualDenoiser, ResidualSpec


def test_starts_as_the_identity_and_keeps_any_size() -> None:
    net = ResidualDenoiser(ResidualSpec(in_channels=3, depth=4, width=8)).eval()
    y = torch.rand(2, 3, 11, 17)
    assert torch.equal(net(y), y)  # the last layer starts at zero: no noise predicted yet
    assert "depth=4, width=8" in repr(net)


def test_refuses_a_network_without_layers() -> None:
    with pytest.raises(ValueError, match="depth >= 2"):
        ResidualDenoiser(ResidualSpec(depth=1))
