"""Reconstruction error between data and its reconstruction."""

from __future__ import annotations

from typing import Any

import numpy as np

from aekit.errors import InputError

_CHUNK = 8192


def reconstruction_mse(a: Any, b: Any) -> float:
    """Mean squared error per value between samples and their reconstructions.

    Both arrays hold the same samples along axis 0; each sample may have any shape as
    long as both have the same number of values per sample, so ``(N, 1, 28, 28)`` images
    compare with ``(N, 784)`` rows. Computed in float64, chunk by chunk, so memory-mapped
    input is not loaded whole.

    Parameters
    ----------
    a, b : array-like of shape (n_samples, ...)
        Originals and reconstructions, in the same units.

    Returns
    -------
    float
        ``mean((a - b) ** 2)`` over every value; lower is better, 0 is a perfect copy.

    Raises
    ------
    aekit.errors.InputError
        Different numbers of samples or values per sample, no samples, or NaN/inf values.

    Examples
    --------
    >>> reconstruction_mse([[0.0, 1.0]], [[0.0, 0.5]])
    0.125
    """
    x, y = np.asarray(a), np.asarray(b)
    if x.ndim == 0 or y.ndim == 0:
        raise InputError("reconstruction_mse needs arrays of samples (at least 1-D), got a scalar.")
    if len(x) != len(y):
        raise InputError(f"reconstruction_mse got {len(x)} originals but {len(y)} reconstructions; "
                         "pass the reconstruction of exactly these samples.")
    if len(x) == 0:
        raise InputError("reconstruction_mse got no samples (length 0).")
    per_x, per_y = int(np.prod(x.shape[1:])), int(np.prod(y.shape[1:]))
    if per_x != per_y:
        raise InputError(f"reconstruction_mse: samples of shape {x.shape[1:]} ({per_x} values) cannot be compared "
                         f"with samples of shape {y.shape[1:]} ({per_y} values).")
    total = 0.0
    for start in range(0, len(x), _CHUNK):
        xb = np.asarray(x[start:start + _CHUNK], dtype=np.float64).reshape(-1)
        yb = np.asarray(y[start:start + _CHUNK], dtype=np.float64).reshape(-1)
        total += float(np.square(xb - yb).sum())
    mse = total / (len(x) * max(per_x, 1))
    if not np.isfinite(mse):
        raise InputError("reconstruction_mse: the inputs hold NaN or infinite values; the error is undefined.")
    return mse


def reconstruction_bce(a: Any, b: Any, *, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy per value of reconstructions ``b`` for data ``a`` in [0, 1].

    ``-mean(a log b + (1 - a) log(1 - b))`` with ``b`` clipped to ``[eps, 1 - eps]``, in
    nats per value: the loss the classic Keras autoencoder reports. Its floor is the data's
    own entropy, not 0, unless the data are binary.

    Parameters
    ----------
    a : array-like of shape (n_samples, ...)
        Originals, every value in [0, 1].
    b : array-like of shape (n_samples, ...)
        Reconstructions (probabilities), same number of values per sample.
    eps : float, default=1e-7

    Raises
    ------
    aekit.errors.InputError
        Shapes that do not match, or originals outside [0, 1].

    Examples
    --------
    >>> round(reconstruction_bce([[1.0, 0.0]], [[0.5, 0.5]]), 4)
    0.6931
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.ndim == 0 or len(x) != len(y) or x.size != y.size or x.size == 0:
        raise InputError(f"reconstruction_bce needs originals and reconstructions of the same samples, got shapes "
                         f"{x.shape} and {y.shape}.")
    if float(x.min()) < 0.0 or float(x.max()) > 1.0:
        raise InputError(f"reconstruction_bce needs originals in [0, 1], got values in [{x.min():.3g}, {x.max():.3g}]; "
                         "use reconstruction_mse for other data.")
    x, p = x.reshape(-1), np.clip(y.reshape(-1), eps, 1.0 - eps)
    return float(-np.mean(x * np.log(p) + (1.0 - x) * np.log1p(-p)))


def psnr(clean: Any, other: Any, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio of ``other`` against ``clean``, in decibels.

    ``10 · log10(data_range² / MSE)`` with the MSE of :func:`reconstruction_mse` over
    every value. Higher is better; a perfect copy gives ``inf``.

    Parameters
    ----------
    clean, other : array-like of shape (n_samples, ...)
        The reference samples and a noisy or reconstructed version of them, same units.
    data_range : float, optional
        The peak-to-peak range of the signal. Default: 1 when ``clean`` lies in [0, 1]
        (images), else ``clean.max() - clean.min()``.

    Returns
    -------
    float

    Raises
    ------
    aekit.errors.InputError
        As :func:`reconstruction_mse`, or a ``data_range`` that is not a positive number.

    Examples
    --------
    >>> round(psnr([[0.0, 1.0]], [[0.0, 0.9]]), 2)
    23.01
    """
    mse = reconstruction_mse(clean, other)
    if data_range is None:
        x = np.asarray(clean)
        lo, hi = float(x.min()), float(x.max())
        data_range = 1.0 if lo >= 0.0 and hi <= 1.0 else hi - lo
    if not (isinstance(data_range, (int, float, np.floating)) and np.isfinite(data_range) and data_range > 0):
        raise InputError(f"psnr: data_range must be a positive number, got {data_range!r} "
                         "(a constant signal has no range: pass data_range= explicitly).")
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(float(data_range) ** 2 / mse))


def reconstruction_metrics(estimator: Any, X: Any, prefix: str = "", *, chunk: int = 4096) -> dict[str, float]:
    """Reconstruction error of a fitted autoencoder on ``X``, ``chunk`` samples at a time.

    ``estimator`` is anything with ``predict`` (the reconstruction, in X's units) and
    ``score_samples`` (higher = more typical), as every aekit autoencoder has.

    Returns
    -------
    dict of str to float
        Keys, each with ``prefix``: ``mse``, the mean squared error per value of
        ``predict(X)`` against ``X``; ``bce``, the mean binary cross-entropy per value, only
        when X lies in [0, 1]; ``loss``, the training objective per sample (the estimator's
        own loss on its scaled data), i.e. ``-mean(score_samples(X))``, comparable with
        the training history. Lower is better for all three.
    """
    squared = bce = loss = 0.0
    values = 0
    in_unit = True
    for start in range(0, len(X), chunk):
        xb = np.asarray(X[start:start + chunk], dtype=np.float64)
        x_hat = np.asarray(estimator.predict(xb), dtype=np.float64).reshape(xb.shape)
        squared += reconstruction_mse(xb, x_hat) * xb.size
        in_unit = in_unit and float(xb.min()) >= 0.0 and float(xb.max()) <= 1.0
        if in_unit:
            bce += reconstruction_bce(xb, x_hat) * xb.size
        loss -= float(np.sum(estimator.score_samples(xb)))
        values += xb.size
    out = {f"{prefix}mse": squared / values}
    if in_unit:
        out[f"{prefix}bce"] = bce / values
    out[f"{prefix}loss"] = loss / len(X)
    return out
