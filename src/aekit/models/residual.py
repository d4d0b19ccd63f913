"""A residual convolutional denoiser that predicts the noise (DnCNN).

K. Zhang, W. Zuo, Y. Chen, D. Meng, L. Zhang, "Beyond a Gaussian denoiser: residual learning
of deep CNN for image denoising", IEEE Trans. Image Processing 26(7), 2017.
https://arxiv.org/abs/1608.03981

No bottleneck: every layer keeps the full resolution, so fine strokes a 32-number code
would lose survive, and the network only has to model the noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn


@dataclass(frozen=True)
class ResidualSpec:
    """Architecture of a :class:`ResidualDenoiser`.

    ``depth`` 3x3 convolutions of ``width`` channels: the first followed by ReLU, the
    middle ones by batch norm and ReLU, the last mapping back to ``in_channels``.
    """

    in_channels: int = 1
    depth: int = 8
    width: int = 48


class ResidualDenoiser(nn.Module):
    """DnCNN: ``x̂ = ỹ − f(ỹ)`` where ``f`` estimates the noise of the noisy image ``ỹ``.

    Args:
        spec: the architecture (:class:`ResidualSpec`).

    Shape:
        - Input: ``(B, C, H, W)``, any H and W.
        - Output: ``(B, C, H, W)``, the clean estimate (not clipped; clip to the data
          range at inference).

    Example:
        >>> import torch
        >>> ResidualDenoiser(ResidualSpec(depth=3, width=8))(torch.rand(2, 1, 28, 28)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, spec: ResidualSpec) -> None:
        super().__init__()
        if spec.depth < 2 or spec.width < 1 or spec.in_channels < 1:
            raise ValueError(f"ResidualSpec needs depth >= 2, width >= 1 and in_channels >= 1, got {spec}.")
        self.spec = spec
        layers: list[nn.Module] = [nn.Conv2d(spec.in_channels, spec.width, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(spec.depth - 2):
            layers += [nn.Conv2d(spec.width, spec.width, 3, padding=1, bias=False), nn.BatchNorm2d(spec.width),
                       nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(spec.width, spec.in_channels, 3, padding=1))
        self.body = nn.Sequential(*layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.body.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        last = self.body[-1]
        # Start as the identity map (zero predicted noise), so training begins at the noisy input's error.
        nn.init.zeros_(last.weight)  # type: ignore[arg-type]

    def noise(self, y: Tensor) -> Tensor:
        """The estimated noise ``f(ỹ)``, ``(B, C, H, W)``."""
        return self.body(y)

    def forward(self, y: Tensor) -> Tensor:
        return y - self.body(y)

    def extra_repr(self) -> str:
        s = self.spec
        return f"in_channels={s.in_channels}, depth={s.depth}, width={s.width}"


__all__ = ["ResidualDenoiser", "ResidualSpec"]
