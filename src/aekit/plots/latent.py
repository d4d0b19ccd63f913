"""Latent-space pictures: 2-D code maps and anomaly-score histograms."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps

from aekit.data.checks import as_numeric_array, check_finite, check_not_empty, check_same_length
from aekit.errors import InputError
from aekit.plots._images import NOT_FINITE_FIX, OWNER
from aekit.plots._save import _atomic_savefig, _new_figure

_MAX_CATEGORIES = 20


def _class_name(value: Any, class_names: Sequence[str] | Mapping[Any, str] | None) -> str:
    if class_names is None:
        return str(value)
    if isinstance(class_names, Mapping):
        return str(class_names.get(value, value))
    try:
        return str(class_names[int(value)])
    except (IndexError, TypeError, ValueError):
        return str(value)


def plot_latent_map(
    codes_2d: Any,
    path: str | os.PathLike[str],
    *,
    labels: Any = None,
    title: str = "Latent space",
    class_names: Sequence[str] | Mapping[Any, str] | None = None,
    axis_labels: tuple[str, str] = ("z₁", "z₂"),
) -> Path:
    """Scatter 2-D codes, coloured by label when labels are given, and save a PNG.

    Up to 20 distinct labels are drawn as classes (``tab10``, or ``tab20`` above 10) with a
    legend; numeric labels with more distinct values are drawn on a continuous colour scale
    with a colour bar. Point size and opacity shrink as the number of points grows.

    Parameters
    ----------
    codes_2d : array-like of shape (N, 2)
        A 2-D latent, or codes already reduced to 2-D (t-SNE, UMAP, PCA).
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    labels : array-like of shape (N,), optional
        Class (or value) per point.
    title : str, default="Latent space"
        Figure title.
    class_names : sequence of str or dict, optional
        Legend names: ``class_names[label]`` for integer labels, or a label -> name dict.
    axis_labels : tuple of str, default=("z₁", "z₂")
        Axis titles, e.g. ``("t-SNE 1", "t-SNE 2")``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If the codes are not ``(N, 2)``, are NaN/infinite, or ``labels`` has a different length.

    Examples
    --------
    >>> z = np.random.default_rng(0).normal(size=(500, 2))
    >>> plot_latent_map(z, tmp / "latent_map.png", labels=np.arange(500) % 10)  # doctest: +SKIP
    """
    z = as_numeric_array(codes_2d, what="codes_2d")
    if z.ndim != 2 or z.shape[1] != 2:
        raise InputError(
            f"codes_2d must have shape (N, 2), got {z.shape}; reduce higher-dimensional codes "
            "to 2-D first (t-SNE, UMAP or PCA)."
        )
    check_not_empty(z, what="codes_2d", owner=OWNER)
    check_finite(z, what="codes_2d", owner=OWNER, fix=NOT_FINITE_FIX)
    count = z.shape[0]
    size = float(np.clip(8000.0 / count, 3.0, 36.0))
    alpha = 0.9 if count <= 1000 else 0.6
    fig = _new_figure(7.5, 6.0)
    ax = fig.subplots()

    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=size, alpha=alpha, color="#4c72b0", linewidths=0)
    else:
        y = np.asarray(labels)
        if y.ndim != 1:
            raise InputError(f"labels must be 1-D (one per point), got shape {y.shape}.")
        check_same_length("labels", y, count, against="codes_2d")
        classes = np.unique(y)
        if len(classes) <= _MAX_CATEGORIES or not np.issubdtype(y.dtype, np.number):
            if len(classes) > _MAX_CATEGORIES:
                raise InputError(
                    f"labels has {len(classes)} distinct non-numeric values; a legend shows at "
                    f"most {_MAX_CATEGORIES} classes. Group rare classes or pass numeric labels."
                )
            palette = "tab10" if len(classes) <= 10 else "tab20"
            colours = _palette(palette, len(classes))
            for colour, value in zip(colours, classes):
                mask = y == value
                ax.scatter(z[mask, 0], z[mask, 1], s=size, alpha=alpha, color=colour,
                           linewidths=0, label=_class_name(value, class_names))
            ax.legend(title="label", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      fontsize=9, markerscale=max(1.0, 6.0 / np.sqrt(size)), frameon=False)
        else:
            points = ax.scatter(z[:, 0], z[:, 1], s=size, alpha=alpha, c=y.astype(float),
                                cmap="viridis", linewidths=0)
            fig.colorbar(points, ax=ax, label="label")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.grid(alpha=0.25)
    ax.set_title(title, fontsize=12)
    return _atomic_savefig(fig, path)


def _palette(name: str, count: int) -> list[tuple[float, ...]]:
    cmap = colormaps[name]
    return [cmap(i % cmap.N) for i in range(count)]


def plot_score_histogram(
    scores: Any,
    path: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    labels: Any = None,
    title: str = "Anomaly scores",
    xlabel: str = "anomaly score (higher = more anomalous)",
) -> Path:
    """Histogram of anomaly scores, split into normal and anomalous when labels are known.

    With ``labels`` both groups share bins and are drawn as densities, so a handful of
    anomalies stays visible next to thousands of normal samples. A ``threshold`` is drawn as
    a vertical line.

    Parameters
    ----------
    scores : array-like of shape (N,)
        One score per sample, higher = more anomalous.
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    threshold : float, optional
        Decision threshold to mark.
    labels : array-like of shape (N,), optional
        Ground truth: 0 / False = normal, 1 / True = anomalous.
    title : str, default="Anomaly scores"
        Figure title.
    xlabel : str, default="anomaly score (higher = more anomalous)"
        x-axis title.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If scores are not 1-D, empty or NaN/infinite, labels are not binary or of another
        length, or the threshold is not a finite number.

    Examples
    --------
    >>> s = np.random.default_rng(0).gamma(2.0, size=1000)
    >>> plot_score_histogram(s, tmp / "score_histogram.png", threshold=6.0)  # doctest: +SKIP
    """
    s = as_numeric_array(scores, what="scores")
    if s.ndim != 1:
        raise InputError(f"scores must be 1-D (one score per sample), got shape {s.shape}.")
    check_not_empty(s, what="scores", owner=OWNER)
    check_finite(s, what="scores", owner=OWNER, fix=NOT_FINITE_FIX)
    if threshold is not None:
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            threshold = float("nan")
        if not np.isfinite(threshold):
            raise InputError("threshold must be a finite number or None.")
    edges = np.histogram_bin_edges(s, bins="auto")
    if len(edges) > 81:
        edges = np.histogram_bin_edges(s, bins=80)

    fig = _new_figure(7.5, 4.5)
    ax = fig.subplots()
    if labels is None:
        ax.hist(s, bins=edges, color="#4c72b0", alpha=0.85, label=f"all samples (n={len(s)})")
        ax.set_ylabel("count")
    else:
        y = _binary_labels(labels, len(s))
        normal, anomalous = s[~y], s[y]
        for group, name, colour in ((normal, "normal", "#4c72b0"), (anomalous, "anomalous", "#c44e52")):
            if group.size:
                ax.hist(group, bins=edges, density=True, alpha=0.55, color=colour,
                        label=f"{name} (n={group.size})")
        ax.set_ylabel("density")
    if threshold is not None:
        ax.axvline(threshold, color="black", ls="--", lw=1.4, label=f"threshold = {threshold:.4g}")
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=9)
    ax.set_title(title, fontsize=12)
    return _atomic_savefig(fig, path)


def _binary_labels(labels: Any, count: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim != 1:
        raise InputError(f"labels must be 1-D (one per score), got shape {y.shape}.")
    check_same_length("labels", y, count, against="scores")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise InputError(
            f"labels must be binary (0/False = normal, 1/True = anomalous), got values "
            f"{sorted(values, key=str)[:5]}."
        )
    return y.astype(bool)
