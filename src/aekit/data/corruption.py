"""Input corruption for denoising autoencoders.

**Denoising family.** A denoising autoencoder (Vincent et al., 2008, "Extracting and
composing robust features with denoising autoencoders") sees a corrupted copy
``x̃ ~ q(x̃ | x)`` and is trained to reconstruct the *clean* ``x``. Because the clean target
cannot be copied from the input, even an overcomplete model has to learn the structure of
the data. Three corruptions are provided, each applicable to every architecture:

- ``"gaussian"``: ``x̃ = clip(x + factor · ε, low, high)`` with ``ε ~ N(0, 1)``; the
  clipping keeps the input in the data range ([0, 1] for data in [0, 1]).
- ``"mask"`` (masking noise): each input value is set to 0 with probability ``p``.
- ``"salt_pepper"``: each input value is set, with probability ``p``, to ``low`` or
  ``high`` (the data minimum or maximum), each with probability ``p / 2``.

The torch functions corrupt a batch with fresh noise on every call, drawn from torch's
global random-number generator (on the batch's device); the trainer seeds and forks that
generator, so a fixed ``random_state`` gives the same noise and the caller's RNG is left
alone. :class:`Corruption` bundles a kind and level into the ``x -> x̃`` callable that
:class:`aekit.losses.ReconstructionObjective` applies in training mode only (the target
stays clean, validation and inference see clean input). :func:`add_noise` is the NumPy
counterpart, for making noisy test data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor

from aekit.errors import InputError

NOISES: tuple[str, ...] = ("gaussian", "mask", "salt_pepper")


def check_noise(kind: str, level: float, *, names: tuple[str, str] = ("noise", "noise_level")) -> None:
    """Refuse an unknown corruption or a level it cannot use (probabilities must lie in [0, 1])."""
    kind_name, level_name = names
    if kind not in NOISES:
        raise InputError(f"{kind_name} must be one of {', '.join(map(repr, NOISES))}; got {kind!r}.")
    ok = isinstance(level, (int, float, np.integer, np.floating)) and not isinstance(level, bool) \
        and bool(np.isfinite(level)) and level >= 0
    if ok and kind != "gaussian":
        ok = level <= 1
    if not ok:
        allowed = "a finite number >= 0 (the noise standard deviation factor)" if kind == "gaussian" \
            else "a probability in [0, 1]"
        raise InputError(f"{level_name} must be {allowed} for {kind_name}={kind!r}, got {level!r}.")


def data_range(X: ArrayLike | Tensor) -> tuple[float, float]:
    """The range corruption clips to: (0, 1) for data inside [0, 1], else (min, max) of X."""
    arr = X if isinstance(X, Tensor) else np.asarray(X)
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, hi


# ---------------------------------------------------------------- torch, on batches
def gaussian_noise(x: Tensor, factor: float, low: float = 0.0, high: float = 1.0) -> Tensor:
    """``clip(x + factor · N(0, 1), low, high)``, fresh noise per call.

    Shape:
        - x: ``(B, *)`` -> same shape
    """
    return (x + factor * torch.randn_like(x)).clamp_(low, high)


def masking_noise(x: Tensor, p: float) -> Tensor:
    """Each value of x set to 0 with probability ``p`` (independently)."""
    keep = torch.rand_like(x) >= p
    return x * keep


def salt_pepper_noise(x: Tensor, p: float, low: float = 0.0, high: float = 1.0) -> Tensor:
    """Each value of x set to ``low`` (pepper) or ``high`` (salt), each with probability ``p / 2``."""
    u = torch.rand_like(x)
    out = torch.where(u < p / 2, torch.full_like(x, low), x)
    return torch.where((u >= p / 2) & (u < p), torch.full_like(x, high), out)


@dataclass(frozen=True)
class Corruption:
    """A corruption as the ``x -> x̃`` callable that the objective's ``corrupt`` hook takes.

    Args:
        kind: "gaussian", "mask" or "salt_pepper".
        level: the Gaussian factor, or the probability ``p`` for mask and salt-and-pepper.
        low, high: the data range: Gaussian noise is clipped to it and salt-and-pepper
            sets values to its ends (see :func:`data_range`).

    Example:
        >>> x = torch.rand(4, 784)
        >>> Corruption("mask", 0.3)(x).shape
        torch.Size([4, 784])
    """

    kind: str
    level: float
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        check_noise(self.kind, self.level, names=("kind", "level"))
        if not self.low <= self.high:
            raise InputError(f"low must not exceed high, got low={self.low}, high={self.high}.")

    def __call__(self, x: Tensor) -> Tensor:
        if self.kind == "gaussian":
            return gaussian_noise(x, self.level, self.low, self.high)
        if self.kind == "mask":
            return masking_noise(x, self.level)
        return salt_pepper_noise(x, self.level, self.low, self.high)


# ---------------------------------------------------------------- NumPy, for test data
def add_noise(X: ArrayLike, noise: str, level: float, *, value_range: tuple[float, float] | None = None,
              random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """A corrupted copy of X, the NumPy twin of :class:`Corruption` (for noisy test data).

    Parameters
    ----------
    X : array-like of any shape
    noise : {"gaussian", "mask", "salt_pepper"}
    level : float
        Gaussian factor (standard deviation of the added noise), or the probability ``p``.
    value_range : (low, high), optional
        Where Gaussian noise is clipped and what salt-and-pepper writes. Default: (0, 1)
        for X inside [0, 1], else X's own (min, max).
    random_state : int or numpy Generator, optional

    Returns
    -------
    ndarray
        Same shape as X; X's float dtype, or float32 for integer input.

    Examples
    --------
    >>> noisy = add_noise(np.full((2, 3), 0.5), "mask", 1.0, random_state=0)
    >>> noisy.tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    check_noise(noise, level)
    arr = np.asarray(X)
    arr = arr if arr.dtype.kind == "f" else arr.astype(np.float32)
    low, high = data_range(arr) if value_range is None else value_range
    rng = np.random.default_rng(random_state)
    if noise == "gaussian":
        return np.clip(arr + level * rng.standard_normal(arr.shape), low, high).astype(arr.dtype)
    u = rng.random(arr.shape)
    if noise == "mask":
        return np.where(u < level, 0.0, arr).astype(arr.dtype)
    out = np.where(u < level / 2, low, arr)
    return np.where((u >= level / 2) & (u < level), high, out).astype(arr.dtype)


__all__ = ["NOISES", "Corruption", "add_noise", "check_noise", "data_range", "gaussian_noise", "masking_noise",
           "salt_pepper_noise"]
