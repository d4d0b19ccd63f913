"""Gaussian noise over a range of levels, for blind denoisers.

A denoiser trained at one σ does well at that σ and worse elsewhere; one trained on a new σ
drawn per image from ``[low, high]`` serves every level in that range with one model
(DnCNN-B in Zhang et al. 2017, "Beyond a Gaussian denoiser"). :class:`GaussianLevels` is
that corruption as an ``x -> x̃`` callable, the range twin of
:class:`aekit.data.corruption.Corruption`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from aekit.errors import InputError


def check_level_range(levels: Any, *, name: str = "level") -> tuple[float, float]:
    """``(low, high)`` as floats, refused unless ``0 <= low <= high`` and both are finite."""
    try:
        low, high = (float(v) for v in levels)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a (low, high) pair of noise standard deviations, got {levels!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and 0.0 <= low <= high):
        raise InputError(f"{name} must satisfy 0 <= low <= high (noise standard deviations), got "
                         f"({low!r}, {high!r}); for example (0.0, 0.55).")
    return low, high


@dataclass(frozen=True)
class GaussianLevels:
    """``clip(x + σ · N(0, 1), low, high)`` with a fresh ``σ ~ U[sigma_min, sigma_max]`` per sample.

    Args:
        sigma_min, sigma_max: the range of noise standard deviations.
        low, high: the data range the noisy values are clipped to.

    Shape:
        - x: ``(B, *)`` -> same shape

    Example:
        >>> GaussianLevels(0.0, 0.5)(torch.rand(4, 1, 8, 8)).shape
        torch.Size([4, 1, 8, 8])
    """

    sigma_min: float
    sigma_max: float
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        check_level_range((self.sigma_min, self.sigma_max), name="(sigma_min, sigma_max)")

    def __call__(self, x: Tensor) -> Tensor:
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)  # one σ per sample, broadcast over its values
        sigma = self.sigma_min + (self.sigma_max - self.sigma_min) * torch.rand(shape, device=x.device, dtype=x.dtype)
        return (x + sigma * torch.randn_like(x)).clamp_(self.low, self.high)


__all__ = ["GaussianLevels", "check_level_range"]
