"""InpaintUNet: any image size and channel count in, the same size out, skips used."""

from __future__ import annotations

import pytest
import torch

from aekit.models.inpaint import InpaintSpec, InpaintUNet


@pytest.mark.parametrize("c, h, w, channels", [(1, 28, 28, (8, 16, 16)), (3, 9, 7, (4, 8)), (2, 5, 13, (4, 8, 8, 8))])
def test_maps_values_and_mask_to_an_image_of_the_same_size(c, h, w, channels):
    net = InpaintUNet(InpaintSpec(in_channels=c, channels=channels))
    assert net(torch.rand(3, 2 * c, h, w)).shape == (3, c, h, w)


def test_a_pixel_far_away_does_not_change_a_fill_but_a_neighbour_does():
    torch.manual_seed(0)
    net = InpaintUNet(InpaintSpec(in_channels=1, channels=(4, 8))).eval()
    x = torch.rand(1, 2, 16, 16)
    base = net(x)[0, 0, 2, 2]
    near, far = x.clone(), x.clone()
    near[0, 0, 2, 3] += 1.0
    far[0, 0, 15, 15] += 1.0
    with torch.no_grad():
        assert net(far)[0, 0, 2, 2] == base  # a receptive field, not a dense layer
        assert net(near)[0, 0, 2, 2] != base
