"""Image grids: originals above reconstructions, and generic grids of samples."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from aekit.data.checks import as_numeric_array, check_finite, check_int, check_not_empty, check_same_length
from aekit.errors import InputError
from aekit.plots._images import NOT_FINITE_FIX, OWNER, _display_range, _draw, _to_display
from aekit.plots._save import _atomic_savefig, _new_figure

_MAX_TABLE_ROWS = 5


def plot_reconstructions(
    originals: Any,
    reconstructions: Any,
    path: str | os.PathLike[str],
    *,
    n: int = 10,
    title: str = "Originals and reconstructions",
    image_shape: Sequence[int] | None = None,
) -> Path:
    """Draw the first ``n`` originals above their reconstructions and save a PNG.

    Images are shown in grey (or colour for 3 channels) on one grey-level range taken from
    the originals, so a washed-out reconstruction looks washed out. Flat ``(N, D)`` data
    without ``image_shape`` is treated as a table: the first few rows' feature vectors are
    drawn as original-versus-reconstruction profiles instead.

    Parameters
    ----------
    originals : array-like
        ``(N, H, W)``, ``(N, C, H, W)`` or ``(N, H, W, C)`` with ``C`` in {1, 3}, or flat
        ``(N, D)`` (images when ``image_shape`` is given, table rows otherwise). A pandas
        DataFrame is accepted for tables; its column names label the features.
    reconstructions : array-like
        Same shape as ``originals``.
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    n : int, default=10
        How many samples to show (fewer if there are fewer; at most 5 for tables).
    title : str, default="Originals and reconstructions"
        Figure title.
    image_shape : tuple of int, optional
        ``(C, H, W)`` (or ``(H, W)``) that each flat sample is reshaped to.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If the two arrays differ in shape, a layout is not recognised, ``image_shape`` does
        not match the number of values per sample, or values are NaN/infinite.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((10, 28, 28))
    >>> plot_reconstructions(x, x * 0.9, tmp / "reconstructions.png")  # doctest: +SKIP
    """
    check_int("n", n)
    n = int(n)
    feature_names = list(map(str, originals.columns)) if hasattr(originals, "columns") else None
    x, x_hat = np.asarray(originals), np.asarray(reconstructions)
    if x.shape != x_hat.shape:
        raise InputError(
            f"originals has shape {x.shape} but reconstructions has shape {x_hat.shape}; "
            "pass the model's reconstruction of exactly these samples (same shape)."
        )
    if x.ndim == 2 and image_shape is None:
        check_not_empty(x, what="originals", owner=OWNER)
        rows = as_numeric_array(x[:_MAX_TABLE_ROWS], what="originals")
        rows_hat = as_numeric_array(x_hat[:_MAX_TABLE_ROWS], what="reconstructions")
        check_finite(rows, what="originals", owner=OWNER, fix=NOT_FINITE_FIX)
        check_finite(rows_hat, what="reconstructions", owner=OWNER, fix=NOT_FINITE_FIX)
        fig = _table_profiles(rows[:n], rows_hat[:n], title, feature_names)
        return _atomic_savefig(fig, path)

    x = _to_display(x, "originals", image_shape, limit=n)
    x_hat = _to_display(x_hat, "reconstructions", image_shape, limit=n)
    lo, hi = _display_range(x)
    count, height, width = x.shape[0], x.shape[1], x.shape[2]
    # Inches per image: ten images fill ~9 in, the width a report column shows unscaled.
    cell = min(1.3, 8.3 / count)
    aspect = min(max(width / height, 0.5), 3.0)
    fig = _new_figure(max(count * cell * aspect + 0.5, 4.0), 2 * cell + 0.7)
    axes = fig.subplots(2, count, squeeze=False)
    for j in range(count):
        _draw(axes[0, j], x[j], lo, hi)
        _draw(axes[1, j], x_hat[j], lo, hi)
    axes[0, 0].set_ylabel("original", fontsize=10)
    axes[1, 0].set_ylabel("reconstruction", fontsize=10)
    fig.suptitle(title, fontsize=12)
    return _atomic_savefig(fig, path)


def _table_profiles(
    rows: np.ndarray, rows_hat: np.ndarray, title: str, names: list[str] | None
) -> Figure:
    """One panel per row: original vs reconstructed feature values."""
    count, n_features = rows.shape
    fig = _new_figure(min(max(6.0, 0.25 * n_features + 2.0), 12.0), 1.7 * count + 1.0)
    axes = fig.subplots(count, 1, squeeze=False, sharex=True)[:, 0]
    index = np.arange(n_features)
    for i, ax in enumerate(axes):
        if n_features <= 40:
            ax.bar(index - 0.2, rows[i], width=0.4, color="#4c72b0", label="original")
            ax.bar(index + 0.2, rows_hat[i], width=0.4, color="#dd8452", label="reconstruction")
        else:
            ax.plot(index, rows[i], color="#4c72b0", lw=1.2, label="original")
            ax.plot(index, rows_hat[i], color="#dd8452", lw=1.2, ls="--", label="reconstruction")
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_ylabel(f"row {i}", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    handles, names_ = axes[0].get_legend_handles_labels()
    fig.legend(handles, names_, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    if names is not None and n_features <= 30:
        axes[-1].set_xticks(index, names, rotation=45, ha="right", fontsize=8)
    elif n_features <= 40:
        axes[-1].set_xticks(index)
    axes[-1].set_xlabel("feature")
    fig.suptitle(title, fontsize=12)
    return fig


def plot_image_grid(
    images: Any,
    path: str | os.PathLike[str],
    *,
    ncols: int = 10,
    title: str | None = None,
    labels: Sequence[str] | None = None,
    image_shape: Sequence[int] | None = None,
) -> Path:
    """Draw images in a grid, row by row, and save a PNG.

    Used for samples from a VAE prior, interpolations and latent traversals.

    Parameters
    ----------
    images : array-like
        ``(N, H, W)``, ``(N, C, H, W)`` or ``(N, H, W, C)`` with ``C`` in {1, 3}, or flat
        ``(N, D)`` together with ``image_shape``.
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    ncols : int, default=10
        Images per row (fewer if there are fewer images).
    title : str, optional
        Figure title.
    labels : sequence of str, optional
        One small caption per image, drawn above it.
    image_shape : tuple of int, optional
        ``(C, H, W)`` (or ``(H, W)``) that each flat sample is reshaped to.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If the layout is not recognised, ``labels`` does not have one entry per image, or
        values are NaN/infinite.

    Examples
    --------
    >>> samples = np.random.default_rng(0).random((32, 1, 28, 28))
    >>> plot_image_grid(samples, tmp / "samples.png", ncols=8)  # doctest: +SKIP
    """
    check_int("ncols", ncols)
    ncols = int(ncols)
    x = _to_display(images, "images", image_shape)
    count, height, width = x.shape[0], x.shape[1], x.shape[2]
    if labels is not None:
        labels = [str(label) for label in labels]
        check_same_length("labels", labels, count, against="images")
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    cell = min(max(8.5 / ncols, 0.45), 1.4)
    aspect = min(max(width / height, 0.5), 3.0)
    label_room = 0.25 if labels is not None else 0.0
    fig = _new_figure(
        max(ncols * cell * aspect + 0.3, 3.0),
        nrows * (cell + label_room) + (0.5 if title else 0.2),
    )
    axes = fig.subplots(nrows, ncols, squeeze=False)
    lo, hi = _display_range(x)
    for k, ax in enumerate(axes.flat):
        if k >= count:
            ax.set_axis_off()
            continue
        _draw(ax, x[k], lo, hi)
        if labels is not None:
            ax.set_title(labels[k], fontsize=8, pad=2)
    if title:
        fig.suptitle(title, fontsize=12)
    return _atomic_savefig(fig, path)
