"""Method comparisons: error against latent size, and rate-distortion curves."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from aekit.data.checks import as_numeric_array, check_finite
from aekit.errors import InputError
from aekit.plots._images import NOT_FINITE_FIX, OWNER
from aekit.plots._save import _atomic_savefig, _new_figure

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _check_methods(mapping: Mapping, name: str) -> None:
    if not isinstance(mapping, Mapping) or len(mapping) == 0:
        raise InputError(
            f"{name} must be a non-empty dict of method name -> values, got {mapping!r:.80}."
        )


def _curve(values: Sequence[float], name: str, length: int | None = None) -> np.ndarray:
    array = as_numeric_array(values, what=name)
    if array.ndim != 1 or array.size == 0:
        raise InputError(f"{name} must be a non-empty 1-D list of numbers, got shape {array.shape}.")
    if length is not None and array.size != length:
        raise InputError(f"{name} has {array.size} values but dims has {length}; pass one per dim.")
    check_finite(array, what=name, owner=OWNER, fix=NOT_FINITE_FIX)
    return array


def plot_error_vs_dim(
    dims: Sequence[int],
    errors_by_method: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    ylabel: str = "reconstruction MSE",
    title: str = "Reconstruction error vs latent size",
    xlabel: str = "latent dimension",
) -> Path:
    """Plot each method's error against latent dimension (e.g. autoencoder vs PCA).

    The x axis is logarithmic (base 2, ticks at the given dims) when the dims span a factor
    of 8 or more; the y axis is logarithmic when the positive errors span more than a decade.

    Parameters
    ----------
    dims : sequence of int
        Latent sizes, one per point.
    errors_by_method : dict of str to list of float
        Method name -> error at each dim (same order as ``dims``).
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    ylabel : str, default="reconstruction MSE"
        y-axis title.
    title : str, default="Reconstruction error vs latent size"
        Figure title.
    xlabel : str, default="latent dimension"
        x-axis title (e.g. "labelled examples" for accuracy vs number of labels).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If a method has a different number of values than ``dims``, or values are not finite.

    Examples
    --------
    >>> errors = {"autoencoder": [0.04, 0.02, 0.01], "PCA": [0.05, 0.03, 0.02]}
    >>> plot_error_vs_dim([8, 16, 32], errors, tmp / "pca_comparison.png")  # doctest: +SKIP
    """
    x = _curve(dims, "dims")
    _check_methods(errors_by_method, "errors_by_method")
    curves = {str(m): _curve(v, f"errors_by_method[{m!r}]", x.size) for m, v in errors_by_method.items()}
    order = np.argsort(x, kind="stable")

    fig = _new_figure(7.0, 4.5)
    ax = fig.subplots()
    for i, (method, errors) in enumerate(curves.items()):
        ax.plot(x[order], errors[order], marker=_MARKERS[i % len(_MARKERS)], lw=1.8, ms=6,
                label=method)
    if x.min() > 0 and x.max() / x.min() >= 8:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(np.unique(x)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{d:g}" for d in np.unique(x)])
    else:
        ax.set_xticks(np.unique(x), [f"{d:g}" for d in np.unique(x)])
    all_errors = np.concatenate(list(curves.values()))
    if all_errors.min() > 0 and all_errors.max() / all_errors.min() > 10:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    ax.set_title(title, fontsize=12)
    return _atomic_savefig(fig, path)


def plot_rate_distortion(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    path: str | os.PathLike[str],
    *,
    title: str = "Rate–distortion",
    xlabel: str = "rate (bits per pixel)",
    ylabel: str = "PSNR (dB)",
) -> Path:
    """Plot quality against rate for each codec (e.g. autoencoder vs JPEG vs WebP).

    Parameters
    ----------
    curves : dict of str to (list of float, list of float)
        Method name -> ``(bpp, psnr)``, two equally long lists; points are joined in order
        of increasing rate.
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    title : str, default="Rate–distortion"
        Figure title.
    xlabel : str, default="rate (bits per pixel)"
        x-axis title.
    ylabel : str, default="PSNR (dB)"
        y-axis title.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If a curve is not a pair of equally long lists of finite numbers.

    Examples
    --------
    >>> curves = {"aekit": ([0.25, 0.5, 1.0], [26.1, 29.4, 32.0]),
    ...           "JPEG": ([0.3, 0.6, 1.1], [24.0, 28.2, 31.5])}
    >>> plot_rate_distortion(curves, tmp / "rate_distortion.png")  # doctest: +SKIP
    """
    _check_methods(curves, "curves")
    points = {}
    for method, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InputError(
                f"curves[{method!r}] must be a pair (bpp, psnr) of equally long lists, got {pair!r:.80}."
            )
        bpp = _curve(pair[0], f"curves[{method!r}] bpp")
        psnr = _curve(pair[1], f"curves[{method!r}] psnr")
        if bpp.size != psnr.size:
            raise InputError(
                f"curves[{method!r}] has {bpp.size} bpp values but {psnr.size} PSNR values; "
                "pass one PSNR per rate."
            )
        order = np.argsort(bpp, kind="stable")
        points[str(method)] = (bpp[order], psnr[order])

    fig = _new_figure(7.0, 4.5)
    ax = fig.subplots()
    for i, (method, (bpp, psnr)) in enumerate(points.items()):
        ax.plot(bpp, psnr, marker=_MARKERS[i % len(_MARKERS)], lw=1.8, ms=6, label=method)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="lower right")
    ax.set_title(title, fontsize=12)
    return _atomic_savefig(fig, path)
