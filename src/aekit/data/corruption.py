"""Input corruption for denoising autoencoders.

**Denoising family.** A denoising autoencoder (Vincent et al., 2008, "Extracting and
composing robust features with denoising autoencoders") sees a corrupted copy
``x̃ ~ q(x̃ | x)`` and is trained to reconstruct the *clean* ``x``. Because the clean target
cannot be copied from the input, even an overcomplete model has to learn the structure of
the data. Three corruptions are provided for every architecture (:data:`NOISES`):

- ``"gaussian"``: ``x̃ = clip(x + factor · ε, low, high)`` with ``ε ~ N(0, 1)``; the
  clipping keeps the input in the data range ([0, 1] for data in [0, 1]).
- ``"mask"`` (masking noise): each input value is set to 0 with probability ``p``.
- ``"salt_pepper"``: each input value is set, with probability ``p``, to ``low`` or
  ``high`` (the data minimum or maximum), each with probability ``p / 2``.

and one more for images (:data:`IMAGE_NOISES`, what :mod:`aekit.apps.denoise` trains for):

- ``"blocks"`` (block masking): one rectangle per image, ``round(√p·H) × round(√p·W)``
  pixels at a uniformly random place, set to 0 in every channel, so a fraction of about
  ``p`` of the image is hidden (occlusion, as in inpainting). Images are ``(B, C, H, W)``
  or ``(B, H, W)``; flat rows ``(B, D)`` are read as square one-channel images.

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

#: Corruptions for any input (the estimators' ``noise=``).
NOISES: tuple[str, ...] = ("gaussian", "mask", "salt_pepper")
#: Corruptions for images: :data:`NOISES` and block masking.
IMAGE_NOISES: tuple[str, ...] = (*NOISES, "blocks")


def check_noise(kind: str, level: float, *, names: tuple[str, str] = ("noise", "noise_level"),
                kinds: tuple[str, ...] = NOISES) -> None:
    """Refuse an unknown corruption (not in ``kinds``) or a level it cannot use (probabilities and the
    blocks' area fraction must lie in [0, 1])."""
    kind_name, level_name = names
    if kind not in kinds:
        raise InputError(f"{kind_name} must be one of {', '.join(map(repr, kinds))}; got {kind!r}.")
    ok = isinstance(level, (int, float, np.integer, np.floating)) and not isinstance(level, bool) \
        and bool(np.isfinite(level)) and level >= 0
    if ok and kind != "gaussian":
        ok = level <= 1
    if not ok:
        allowed = {"gaussian": "a finite number >= 0 (the noise standard deviation factor)",
                   "blocks": "the fraction of each image to hide, in [0, 1]"}.get(kind, "a probability in [0, 1]")
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


def _image_view_shape(shape: tuple[int, ...], what: str = "x") -> tuple[int, int, int, int]:
    """``(B, C, H, W)`` that a batch of this shape is read as for block masking."""
    if len(shape) == 4:
        return shape  # type: ignore[return-value]
    if len(shape) == 3:
        return (shape[0], 1, shape[1], shape[2])
    if len(shape) == 2:
        side = int(round(shape[1] ** 0.5))
        if side * side == shape[1]:
            return (shape[0], 1, side, side)
    raise InputError(f"noise='blocks' hides rectangles of images: {what} must be images (B, H, W) or (B, C, H, W), or "
                     f"flat rows of square one-channel images, got shape {tuple(shape)}. Use noise='mask' for "
                     "other data.")


def _block_size(p: float, h: int, w: int) -> tuple[int, int]:
    side = float(np.sqrt(p))
    return min(h, int(round(side * h))), min(w, int(round(side * w)))


def block_noise(x: Tensor, p: float) -> Tensor:
    """One ``round(√p·H) × round(√p·W)`` rectangle per image set to 0, at a random place.

    Shape:
        - x: ``(B, C, H, W)``, ``(B, H, W)`` or ``(B, D)`` with D a square -> same shape
    """
    b, _, h, w = _image_view_shape(tuple(x.shape))
    bh, bw = _block_size(p, h, w)
    top = (torch.rand(b, device=x.device) * (h - bh + 1)).long().clamp_(max=h - bh)[:, None]  # (B, 1)
    left = (torch.rand(b, device=x.device) * (w - bw + 1)).long().clamp_(max=w - bw)[:, None]
    rows, cols = torch.arange(h, device=x.device)[None], torch.arange(w, device=x.device)[None]  # (1, H), (1, W)
    inside = ((rows >= top) & (rows < top + bh))[:, :, None] & ((cols >= left) & (cols < left + bw))[:, None, :]
    return x.reshape(b, -1, h, w).masked_fill(inside[:, None], 0.0).reshape(x.shape)  # (B, H, W) mask per channel


@dataclass(frozen=True)
class Corruption:
    """A corruption as the ``x -> x̃`` callable that the objective's ``corrupt`` hook takes.

    Args:
        kind: "gaussian", "mask", "salt_pepper" or "blocks" (images only).
        level: the Gaussian factor, the probability ``p`` for mask and salt-and-pepper, or
            the fraction of each image a block hides.
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
        check_noise(self.kind, self.level, names=("kind", "level"), kinds=IMAGE_NOISES)
        if not self.low <= self.high:
            raise InputError(f"low must not exceed high, got low={self.low}, high={self.high}.")

    def __call__(self, x: Tensor) -> Tensor:
        if self.kind == "gaussian":
            return gaussian_noise(x, self.level, self.low, self.high)
        if self.kind == "mask":
            return masking_noise(x, self.level)
        if self.kind == "blocks":
            return block_noise(x, self.level)
        return salt_pepper_noise(x, self.level, self.low, self.high)


# ---------------------------------------------------------------- NumPy, for test data
def add_noise(X: ArrayLike, noise: str, level: float, *, value_range: tuple[float, float] | None = None,
              random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """A corrupted copy of X, the NumPy twin of :class:`Corruption` (for noisy test data).

    Parameters
    ----------
    X : array-like of any shape
        For "blocks": images ``(N, H, W)``, ``(N, C, H, W)`` or flat square rows ``(N, D)``.
    noise : {"gaussian", "mask", "salt_pepper", "blocks"}
    level : float
        Gaussian factor (standard deviation of the added noise), the probability ``p``, or
        the fraction of each image one block hides ("blocks").
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
    check_noise(noise, level, kinds=IMAGE_NOISES)
    arr = np.asarray(X)
    arr = arr if arr.dtype.kind == "f" else arr.astype(np.float32)
    low, high = data_range(arr) if value_range is None else value_range
    rng = np.random.default_rng(random_state)
    if noise == "gaussian":
        return np.clip(arr + level * rng.standard_normal(arr.shape), low, high).astype(arr.dtype)
    if noise == "blocks":
        b, c, h, w = _image_view_shape(arr.shape, what="X")
        bh, bw = _block_size(level, h, w)
        out = arr.reshape(b, c, h, w).copy()
        for i, (top, left) in enumerate(zip(rng.integers(0, h - bh + 1, b), rng.integers(0, w - bw + 1, b))):
            out[i, :, top:top + bh, left:left + bw] = 0.0
        return out.reshape(arr.shape)
    u = rng.random(arr.shape)
    if noise == "mask":
        return np.where(u < level, 0.0, arr).astype(arr.dtype)
    out = np.where(u < level / 2, low, arr)
    return np.where((u >= level / 2) & (u < level), high, out).astype(arr.dtype)


__all__ = ["IMAGE_NOISES", "NOISES", "Corruption", "add_noise", "block_noise", "check_noise", "data_range",
           "gaussian_noise", "masking_noise", "salt_pepper_noise"]
