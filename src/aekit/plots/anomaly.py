"""Anomaly-detection pictures: score histogram with its threshold, a series with its
per-step score and flagged events, and the most anomalous images.

Scores are anomaly scores: higher = more anomalous.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aekit.data.checks import as_numeric_array, check_finite, check_not_empty, check_same_length
from aekit.errors import InputError
from aekit.plots._save import _atomic_savefig, _new_figure
from aekit.plots.grids import plot_image_grid
from aekit.plots.latent import plot_score_histogram

_OWNER = "the anomaly plot"


def _scores(scores: Any, what: str = "scores") -> np.ndarray:
    s = as_numeric_array(scores, what=what)
    if s.ndim != 1:
        raise InputError(f"{what} must be 1-D (one score per sample or time step), got shape {s.shape}.")
    check_not_empty(s, what=what, owner=_OWNER)
    check_finite(s, what=what, owner=_OWNER, fix="check the detector's input for NaN, or drop those rows first")
    return s


def plot_series_scores(
    series: Any,
    scores: Any,
    path: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    events: Sequence[Any] = (),
    time: Any = None,
    channel_names: Sequence[str] | None = None,
    title: str = "Series and anomaly score",
) -> Path:
    """A series (top) over its per-time-step anomaly score (bottom), flagged events shaded.

    Parameters
    ----------
    series : array-like of shape (T,) or (T, C)
    scores : array-like of shape (T,)
        Per-time-step anomaly scores, higher = more anomalous.
    path : str or path-like
        Where to write the PNG (atomically; parent folders are created).
    threshold : float, optional
        Drawn as a dashed line on the score panel.
    events : sequence, default=()
        Flagged runs: objects with ``start`` and ``end`` (inclusive steps, e.g.
        :class:`aekit.metrics.anomaly.Event`) or ``(start, end)`` pairs; shaded on both panels.
    time : array-like of shape (T,), optional
        x values (e.g. timestamps); default the step index.
    channel_names : sequence of str, optional
    title : str, default="Series and anomaly score"

    Returns
    -------
    pathlib.Path
    """
    x = as_numeric_array(series, what="series")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise InputError(f"series must be (T,) or (T, C), got shape {x.shape}.")
    s = _scores(scores)
    check_same_length("scores", s, len(x), against="series")
    t = np.arange(len(x)) if time is None else np.asarray(time)
    check_same_length("time", t, len(x), against="series")
    spans = [(int(e.start), int(e.end)) if hasattr(e, "start") else (int(e[0]), int(e[1])) for e in events]

    fig = _new_figure(10, 5)
    ax_x, ax_s = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    for c in range(x.shape[1]):
        name = channel_names[c] if channel_names is not None and c < len(channel_names) else f"channel {c}"
        ax_x.plot(t, x[:, c], lw=0.8, label=name if x.shape[1] > 1 or channel_names is not None else None)
    ax_s.plot(t, s, lw=0.9, color="#c44e52", label="anomaly score")
    if threshold is not None:
        ax_s.axhline(float(threshold), color="black", ls="--", lw=1.0, label=f"threshold = {float(threshold):.4g}")
    for i, (a, b) in enumerate(spans):
        for ax in (ax_x, ax_s):
            ax.axvspan(t[a], t[min(b, len(t) - 1)], color="#f0a030", alpha=0.3, lw=0,
                       label="flagged event" if i == 0 and ax is ax_s else None)
    if ax_x.get_legend_handles_labels()[0]:
        ax_x.legend(fontsize=8, loc="upper right")
    ax_s.legend(fontsize=8, loc="upper right")
    ax_x.set_ylabel("value")
    ax_s.set_ylabel("score")
    ax_s.set_xlabel("time step" if time is None else "time")
    for ax in (ax_x, ax_s):
        ax.grid(alpha=0.25)
    ax_x.set_title(f"{title} ({len(spans)} event{'s' if len(spans) != 1 else ''} flagged)", fontsize=12)
    return _atomic_savefig(fig, path)


def plot_top_anomalies(
    images: Any,
    scores: Any,
    path: str | os.PathLike[str],
    *,
    k: int = 16,
    ncols: int = 8,
    image_shape: Sequence[int] | None = None,
    title: str | None = None,
) -> Path:
    """The ``k`` highest-scoring images in a grid, most anomalous first, each with its score.

    Parameters
    ----------
    images : array-like of shape (N, H, W), (N, C, H, W) or flat (N, D) with ``image_shape``
    scores : array-like of shape (N,)
        Anomaly scores, higher = more anomalous.
    path : str or path-like
    k : int, default=16
    ncols : int, default=8
    image_shape : sequence of int, optional
        ``(C, H, W)`` or ``(H, W)`` for flat images.
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    s = _scores(scores)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be an int >= 1, got {k!r}.")
    imgs = np.asarray(images)
    check_same_length("scores", s, len(imgs), against="images")
    top = np.argsort(-s, kind="stable")[: int(k)]
    labels = [f"#{i} {s[i]:.3g}" for i in top]
    return plot_image_grid(imgs[top], path, ncols=min(int(ncols), len(top)), labels=labels, image_shape=image_shape,
                           title=title or f"Top {len(top)} anomalies of {len(s)} (index, score)")


__all__ = ["plot_score_histogram", "plot_series_scores", "plot_top_anomalies"]
