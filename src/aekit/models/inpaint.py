"""The inpainting network: a small U-Net on ``[image ⊙ mask, mask]``.

A dense imputer sees every pixel as an unrelated column and has to learn from data that
neighbouring pixels agree; a convolution starts from that. The encoder halves the
resolution at each stage (stride-2 convolutions), the decoder doubles it back (nearest
upsampling + convolution) and concatenates the encoder's map of the same size (a skip), so
scattered holes are filled from their immediate neighbours and large holes from the coarse
stages' wide view.

Reference: Ronneberger et al., "U-Net: Convolutional Networks for Biomedical Image
Segmentation", MICCAI 2015; Pathak et al., "Context Encoders: Feature Learning by
Inpainting", CVPR 2016.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aekit.models.blocks import activation, init_weights


@dataclass(frozen=True)
class InpaintSpec:
    """Architecture of an :class:`InpaintUNet`.

    Attributes:
        in_channels: C, the image's channels (the network reads 2·C: values and mask).
        channels: feature maps per stage; stage ``i`` works at ``1 / 2**i`` of the image's
            size, so ``len(channels)`` stages see a ``2**(len - 1)`` times coarser map at the
            bottom.
        activation: hidden activation (see :data:`aekit.models.blocks.ACTIVATIONS`).
    """

    in_channels: int
    channels: tuple[int, ...] = (32, 64, 64)
    activation: str = "relu"


def _conv(a: int, b: int, act: str, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(a, b, 3, stride=stride, padding=1), activation(act))


class InpaintUNet(nn.Module):
    """Pixel values for every position from the visible pixels and the mask.

    Images of any size: the input is zero-padded (as missing, mask 0) on the bottom and
    right to a multiple of ``2**(len(channels) - 1)`` and the output cropped back.

    Shape:
        - input: ``(B, 2·C, H, W)``, the values (missing pixels 0) then the mask (1 = visible)
          ->  output: ``(B, C, H, W)``, the values.

    Example:
        >>> net = InpaintUNet(InpaintSpec(in_channels=1, channels=(8, 16)))
        >>> net(torch.zeros(2, 2, 9, 7)).shape
        torch.Size([2, 1, 9, 7])
    """

    def __init__(self, spec: InpaintSpec) -> None:
        super().__init__()
        self.spec = spec
        c, act, ch = spec.in_channels, spec.activation, spec.channels
        self.down = nn.ModuleList(
            [nn.Sequential(_conv(2 * c, ch[0], act), _conv(ch[0], ch[0], act))]
            + [nn.Sequential(_conv(a, b, act, stride=2), _conv(b, b, act)) for a, b in zip(ch[:-1], ch[1:])])
        self.up = nn.ModuleList([_conv(b, a, act) for a, b in zip(ch[:-1], ch[1:])])
        self.merge = nn.ModuleList([_conv(2 * a, a, act) for a in ch[:-1]])
        self.head = nn.Conv2d(ch[0], c, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self, self.spec.activation)

    def forward(self, xm: Tensor) -> Tensor:
        h, w = xm.shape[-2:]
        step = 2 ** (len(self.spec.channels) - 1)
        z = F.pad(xm, (0, -w % step, 0, -h % step))
        skips = []
        for stage in self.down:
            z = stage(z)
            skips.append(z)
        for i in reversed(range(len(self.up))):  # coarse -> fine
            z = self.up[i](F.interpolate(z, scale_factor=2.0, mode="nearest"))
            z = self.merge[i](torch.cat([z, skips[i]], dim=1))
        return self.head(z)[..., :h, :w]

    def extra_repr(self) -> str:
        return f"in_channels={self.spec.in_channels}, channels={self.spec.channels}"
