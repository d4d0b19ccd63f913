"""Rate–distortion figures of codecs: quality against bits per pixel, one panel per data set."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from aekit.errors import InputError
from aekit.plots._save import _atomic_savefig, _new_figure

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")

#: curves[panel][codec] = (bits per pixel, quality), equal-length sequences
Curves = Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float]]]]


def rate_distortion_figure(curves: Curves, *, ylabel: str = "PSNR (dB)", xlabel: str = "bits per pixel",
                           title: str | None = None, log_rate: bool = True, highlight: str | None = None) -> Figure:
    """Quality against rate for each codec, one panel per data set.

    Parameters
    ----------
    curves : dict of str to dict of str to (list of float, list of float)
        ``curves[panel][codec] = (rates, qualities)``: points of one codec on one data set,
        in any order (they are drawn sorted by rate).
    ylabel, xlabel : str
        Axis titles.
    title : str, optional
        Figure title.
    log_rate : bool, default=True
        Logarithmic rate axis (codecs span decades on small images).
    highlight : str, optional
        The codec drawn thicker, in black and on top (e.g. "aekit").

    Returns
    -------
    matplotlib.figure.Figure
        On its own Agg canvas; save it with :func:`save_figure` or ``fig.savefig``.

    Raises
    ------
    aekit.errors.InputError
        No panels, or a curve whose two sequences differ in length, are empty or not finite.

    Examples
    --------
    >>> fig = rate_distortion_figure({"MNIST": {"aekit": ([0.1, 0.3], [18.0, 24.0]),
    ...                                         "JPEG": ([0.5, 1.0], [17.0, 22.0])}})
    """
    if not isinstance(curves, Mapping) or not curves:
        raise InputError("curves must be a non-empty dict: panel name -> {codec name: (rates, qualities)}.")
    checked: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for panel, codecs in curves.items():
        checked[panel] = {}
        for codec, (rates, quality) in codecs.items():
            r, q = np.asarray(rates, dtype=float), np.asarray(quality, dtype=float)
            if r.ndim != 1 or r.shape != q.shape or r.size == 0 or not (np.all(np.isfinite(r)) and np.all(np.isfinite(q))):
                raise InputError(f"curve {codec!r} of {panel!r} needs two equal, non-empty 1-D lists of finite "
                                 f"numbers; got shapes {r.shape} and {q.shape}.")
            order = np.argsort(r, kind="stable")
            checked[panel][codec] = (r[order], q[order])
    codecs_all = list(dict.fromkeys(c for p in checked.values() for c in p))
    style = {c: _MARKERS[i % len(_MARKERS)] for i, c in enumerate(codecs_all)}
    fig = _new_figure(5.0 * len(checked) + 2.6, 4.6)
    axes = np.atleast_1d(fig.subplots(1, len(checked)))
    cmap = colormaps["tab10"]
    for ax, (panel, drawn) in zip(axes, checked.items()):
        for codec, (r, q) in drawn.items():
            i = codecs_all.index(codec)
            strong = codec == highlight
            color = "black" if strong else cmap(i % 10)
            ax.plot(r, q, marker=style[codec], ms=5 if not strong else 7, lw=2.6 if strong else 1.3,
                    label=codec, color=color, zorder=3 if strong else 2)
        if log_rate:
            ax.set_xscale("log")
            plain = FuncFormatter(lambda v, _: f"{v:g}")
            ax.xaxis.set_major_formatter(plain)
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(panel, fontsize=11)
        ax.grid(alpha=0.3, which="both")
    axes[-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically (parents created); return the path."""
    return _atomic_savefig(fig, path)
