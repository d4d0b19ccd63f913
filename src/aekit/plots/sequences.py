"""Time-series windows: originals against reconstructions, one line panel per channel."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aekit.data.checks import as_numeric_array, check_finite, check_int, check_not_empty, check_same_length
from aekit.errors import InputError
from aekit.plots._images import NOT_FINITE_FIX, OWNER
from aekit.plots._save import _atomic_savefig, _new_figure

_MAX_CHANNELS = 6


def plot_sequence_reconstructions(
    originals: Any,
    reconstructions: Any,
    path: str | os.PathLike[str],
    *,
    n: int = 4,
    errors: Sequence[float] | None = None,
    channel_names: Sequence[str] | None = None,
    title: str = "Windows and their reconstructions",
) -> Path:
    """Draw the first ``n`` windows (rows) channel by channel (columns) and save a PNG.

    Each panel shows one channel of one window against time step: the original as a
    solid line, the reconstruction dashed. At most six channels are drawn.

    Parameters
    ----------
    originals : array-like of shape (N, T, C) or (N, T)
    reconstructions : array-like
        Same shape as ``originals``.
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    n : int, default=4
        How many windows to show (fewer if there are fewer).
    errors : sequence of float, optional
        One error per window (e.g. its MSE), written beside the window's row.
    channel_names : sequence of str, optional
        One name per channel, for the column titles.
    title : str, default="Windows and their reconstructions"

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        Different shapes, not 2-D or 3-D, no windows, NaN/infinite values, or
        ``errors``/``channel_names`` of the wrong length.

    Examples
    --------
    >>> x = np.sin(np.linspace(0, 6, 40)).reshape(2, 20, 1)
    >>> plot_sequence_reconstructions(x, 0.9 * x, tmp / "windows.png")  # doctest: +SKIP
    """
    check_int("n", n)
    n = int(n)
    x, x_hat = as_numeric_array(originals, what="originals"), as_numeric_array(reconstructions, what="reconstructions")
    if x.shape != x_hat.shape:
        raise InputError(f"originals has shape {x.shape} but reconstructions has shape {x_hat.shape}; pass the "
                         "model's reconstruction of exactly these windows (same shape).")
    if x.ndim == 2:
        x, x_hat = x[:, :, None], x_hat[:, :, None]  # (N, T) -> (N, T, 1)
    if x.ndim != 3:
        raise InputError(f"originals must be windows (N, T, C) or (N, T), got shape {x.shape}.")
    check_not_empty(x, what="originals", owner=OWNER)
    if errors is not None:
        errors = list(as_numeric_array(errors, what="errors").reshape(-1))
        check_same_length("errors", errors, len(x), against="windows")
    if channel_names is not None:
        channel_names = [str(c) for c in channel_names]
        check_same_length("channel_names", channel_names, x.shape[2], against="channels")
    x, x_hat = x[:n, :, :_MAX_CHANNELS], x_hat[:n, :, :_MAX_CHANNELS]
    check_finite(x, what="originals", owner=OWNER, fix=NOT_FINITE_FIX)
    check_finite(x_hat, what="reconstructions", owner=OWNER, fix=NOT_FINITE_FIX)
    count, steps, channels = x.shape
    fig = _new_figure(max(3.2 * channels, 6.0), 1.7 * count + 1.0)
    axes = fig.subplots(count, channels, squeeze=False, sharex=True)
    t = np.arange(steps)
    for i in range(count):
        for c in range(channels):
            ax = axes[i, c]
            ax.plot(t, x[i, :, c], color="#4c72b0", lw=1.3, label="original")
            ax.plot(t, x_hat[i, :, c], color="#dd8452", lw=1.3, ls="--", label="reconstruction")
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            if i == 0:
                ax.set_title(channel_names[c] if channel_names is not None else f"channel {c}", fontsize=10)
        label = f"window {i}" + (f"\nMSE {errors[i]:.3g}" if errors is not None else "")
        axes[i, 0].set_ylabel(label, fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=12)
    return _atomic_savefig(fig, path)
