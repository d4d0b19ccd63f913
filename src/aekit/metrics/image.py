"""Image quality: the structural similarity index (SSIM) of Wang et al. (2004).

Written in NumPy + SciPy rather than imported from scikit-image so that aekit does not take
scikit-image (and its imageio/tifffile/lazy-loader chain) as a dependency for one function;
the definition is scikit-image's ``structural_similarity`` with its defaults (7x7 uniform
window, K1 = 0.01, K2 = 0.03, sample covariance, the border of half a window left out of
the mean), and ``tests/metrics/test_image_metrics.py`` holds it to within 1e-6 of
scikit-image's value wherever scikit-image is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter

from aekit.errors import InputError

_CHUNK = 1024


def _as_images(x: Any, name: str, image_shape: Sequence[int] | None) -> np.ndarray:
    """``(N, C, H, W)`` float64 from ``(H, W)``, ``(N, H, W)``, ``(N, C, H, W)`` or flat ``(N, D)`` + shape."""
    arr = np.asarray(x, dtype=np.float64)
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        shape = (1, *shape) if len(shape) == 2 else shape
        if len(shape) != 3 or int(np.prod(shape)) != int(np.prod(arr.shape[1:] if arr.ndim > 1 else arr.shape)):
            raise InputError(f"ssim: image_shape={tuple(image_shape)} does not hold the {name} samples of shape "
                             f"{arr.shape[1:]}; pass (C, H, W) or (H, W) with as many values per sample.")
        return arr.reshape(-1, *shape)
    if arr.ndim == 2:
        return arr[None, None]
    if arr.ndim == 3:
        return arr[:, None]
    if arr.ndim == 4:
        return arr
    raise InputError(f"ssim needs images of shape (H, W), (N, H, W) or (N, C, H, W), got {name} of shape "
                     f"{arr.shape}; for flat rows pass image_shape=(C, H, W).")


def ssim(clean: Any, other: Any, *, data_range: float | None = None, win_size: int = 7,
         image_shape: Sequence[int] | None = None) -> float:
    """Mean structural similarity of ``other`` to ``clean``, over every image and channel.

    SSIM compares local means, variances and the covariance of two images in a sliding
    window: ``((2 μx μy + C1)(2 σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2))`` with
    ``C1 = (0.01 L)²``, ``C2 = (0.03 L)²`` and ``L`` the data range. It is scikit-image's
    ``structural_similarity`` with its default settings, applied to each image (and
    channel) and averaged; all images have the same size, so this is also the mean of the
    per-image values.

    Parameters
    ----------
    clean, other : array-like
        Reference images and a noisy or restored version of them: ``(H, W)``,
        ``(N, H, W)``, ``(N, C, H, W)``, or flat ``(N, D)`` with ``image_shape``.
    data_range : float, optional
        Peak-to-peak range of the signal. Default: 1 when ``clean`` lies in [0, 1],
        else ``clean.max() - clean.min()``.
    win_size : int, default=7
        Side of the square window, odd, at most the image's smaller side.
    image_shape : tuple of int, optional
        ``(C, H, W)`` or ``(H, W)`` that flat samples are reshaped to.

    Returns
    -------
    float
        In [-1, 1]; higher is better, 1 for identical images.

    Raises
    ------
    aekit.errors.InputError
        Shapes that differ or are not images, images smaller than the window, an even or
        non-positive window, NaN/inf values, or a ``data_range`` that is not positive.

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from
    error visibility to structural similarity", IEEE Trans. Image Processing 13(4), 2004.

    Examples
    --------
    >>> x = np.linspace(0, 1, 64).reshape(8, 8)
    >>> ssim(x, x)
    1.0
    """
    x, y = _as_images(clean, "clean", image_shape), _as_images(other, "other", image_shape)
    if x.shape != y.shape:
        raise InputError(f"ssim: clean images of shape {x.shape} and others of shape {y.shape} differ; pass the "
                         "restored version of exactly these images.")
    if x.shape[0] == 0:
        raise InputError("ssim got no images (length 0).")
    if not (isinstance(win_size, (int, np.integer)) and win_size >= 3 and win_size % 2 == 1):
        raise InputError(f"ssim: win_size must be an odd integer >= 3, got {win_size!r}.")
    h, w = x.shape[-2:]
    if min(h, w) < win_size:
        raise InputError(f"ssim: images of {h}x{w} pixels are smaller than the {win_size}x{win_size} window; "
                         "pass a smaller odd win_size.")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("ssim: the images hold NaN or infinite values; the similarity is undefined.")
    if data_range is None:
        lo, hi = float(x.min()), float(x.max())
        data_range = 1.0 if lo >= 0.0 and hi <= 1.0 else hi - lo
    if not (isinstance(data_range, (int, float, np.integer, np.floating)) and np.isfinite(data_range)
            and data_range > 0):
        raise InputError(f"ssim: data_range must be a positive number, got {data_range!r} "
                         "(a constant image has no range: pass data_range= explicitly).")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    n_win = win_size ** 2
    cov_norm = n_win / (n_win - 1)  # sample covariance, as scikit-image's default
    size = (1, 1, win_size, win_size)  # filter within each image and channel only
    pad = (win_size - 1) // 2
    total, count = 0.0, 0
    for start in range(0, x.shape[0], _CHUNK):
        xb, yb = x[start:start + _CHUNK], y[start:start + _CHUNK]
        ux, uy = uniform_filter(xb, size), uniform_filter(yb, size)
        vx = cov_norm * (uniform_filter(xb * xb, size) - ux * ux)
        vy = cov_norm * (uniform_filter(yb * yb, size) - uy * uy)
        vxy = cov_norm * (uniform_filter(xb * yb, size) - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
        s = s[..., pad:h - pad, pad:w - pad]
        total += float(s.sum())
        count += s.size
    return total / count


__all__ = ["ssim"]
