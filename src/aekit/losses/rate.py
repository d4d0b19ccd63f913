"""The rate–distortion objective of learned compression: ``D + λ·R``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class RateDistortionObjective:
    """``loss = mse + rate_lambda · bpp`` for a :class:`~aekit.models.compression.RateDistortionAE`.

    ``mse`` is the mean squared error of the reconstruction on the [0, 1] scale; ``bpp`` is
    the information content of the (noisy in training, rounded in evaluation) latents
    under the learned density (with a hyperprior, also that of the side information
    ``z``), in bits per image pixel (all channels of a pixel together), which is what the
    entropy coder will spend up to a few bytes per image.
    A larger ``rate_lambda`` gives smaller files and lower quality.

    Args:
        rate_lambda: the weight of the rate, > 0.

    Returns ``{"loss", "mse", "bpp"}``.
    """

    rate_lambda: float

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        x_hat, likelihoods = module.rate_forward(x)  # type: ignore[operator]
        pixels = x.shape[0] * x.shape[-2] * x.shape[-1]
        bits = sum(-torch.log(p).sum() for p in likelihoods)
        bpp = bits / (math.log(2.0) * pixels)
        mse = torch.mean((x_hat - x) ** 2)
        return {"loss": mse + self.rate_lambda * bpp, "mse": mse, "bpp": bpp}
