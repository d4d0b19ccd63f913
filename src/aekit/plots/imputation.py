"""Imputation figures: per-column missing rates with before/after distributions, and
masked / filled / true image grids."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from aekit.errors import InputError
from aekit.plots._save import _atomic_savefig, _new_figure

_MISSING_RGB = (0.85, 0.1, 0.1)  # missing pixels are drawn red, outside any grey level


def _frame_like(table: Any, what: str) -> tuple[list[str], list[np.ndarray]]:
    """Column names and one 1-D array per column (a DataFrame's, or an array's)."""
    if hasattr(table, "columns"):
        return [str(c) for c in table.columns], [np.asarray(table[c]) for c in table.columns]
    arr = np.asarray(table)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{what} must be a non-empty 2-D table (rows, columns), got shape {arr.shape}.")
    return [str(i) for i in range(arr.shape[1])], [arr[:, j] for j in range(arr.shape[1])]


def _isna(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("nan", "<NA>", "NaT")
                         for v in values], dtype=bool)
    return np.zeros(values.shape, bool)


def plot_missingness(before: Any, after: Any, path: str | os.PathLike[str], *, max_columns: int = 8,
                     title: str | None = None) -> Path:
    """Missing share per column, then each most-affected column's values before and after filling.

    The first panel is a bar per column (share of missing entries in ``before``). Then one
    panel per numeric column with missing entries (the ``max_columns`` with the most), each a
    histogram of the observed values and, on top, of the values filled in: a fill that is
    plausible spreads like the observed values; a mean fill is one spike.

    Parameters
    ----------
    before : DataFrame or 2-D array
        The table with its missing entries (NaN or None).
    after : DataFrame or 2-D array
        The same table filled, same shape and columns.
    path : str or path-like
        Where to write the PNG (atomically; parent folders are created).
    max_columns : int, default=8
        At most this many distribution panels.
    title : str, optional

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    names, cols = _frame_like(before, "before")
    names_after, cols_after = _frame_like(after, "after")
    if len(cols_after) != len(cols) or len(cols_after[0]) != len(cols[0]):
        raise InputError(f"after has {len(cols_after)} columns and {len(cols_after[0])} rows but before has "
                         f"{len(cols)} and {len(cols[0])}; pass the filled version of the same table.")
    missing = [_isna(c) for c in cols]
    rates = np.array([m.mean() for m in missing])
    numeric = [j for j, c in enumerate(cols) if c.dtype.kind in "fiub" and missing[j].any()]
    shown = sorted(numeric, key=lambda j: -rates[j])[:max(0, int(max_columns))]
    n_panels = 1 + len(shown)
    ncols = min(4, n_panels)
    nrows = math.ceil(n_panels / ncols)
    fig = _new_figure(3.2 * ncols, 2.6 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    ax = axes[0]
    ax.bar(range(len(rates)), 100 * rates, color="#4c72b0")
    ax.set_ylabel("missing (%)")
    ax.set_title("missing per column", fontsize=9)
    if len(names) <= 20:
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    else:
        ax.set_xlabel(f"{len(names)} columns")
    for ax, j in zip(axes[1:], shown):
        obs = cols[j][~missing[j]].astype(float)
        filled = np.asarray(cols_after[j], dtype=float)[missing[j]]
        lo, hi = np.nanmin(np.r_[obs, filled]), np.nanmax(np.r_[obs, filled])
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 30)
        ax.hist(obs, bins=bins, density=True, alpha=0.55, color="#4c72b0", label="observed")
        ax.hist(filled, bins=bins, density=True, alpha=0.55, color="#dd8452", label="filled")
        ax.set_title(f"{names[j]} ({100 * rates[j]:.0f}% missing)", fontsize=9)
        ax.tick_params(labelsize=7)
    if shown:
        axes[1].legend(fontsize=7)
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    fig.suptitle(title or f"{int(sum(m.sum() for m in missing)):,} missing entries filled "
                 f"({100 * rates.mean():.1f}% of the table)", fontsize=10)
    return _atomic_savefig(fig, path)


def _gray_or_rgb(x: np.ndarray) -> np.ndarray:
    """(N, H, W) or (N, C, H, W) with C in {1, 3} -> (N, H, W) or (N, H, W, 3)."""
    if x.ndim == 4:
        if x.shape[1] == 1:
            return x[:, 0]
        if x.shape[1] == 3:
            return np.moveaxis(x, 1, -1)
        raise InputError(f"images must have 1 or 3 channels to be drawn, got shape {x.shape} (N, C, H, W).")
    if x.ndim == 3:
        return x
    raise InputError(f"images must be (N, H, W) or (N, C, H, W), got shape {x.shape}.")


def plot_inpainting(masked: Any, filled: Any, path: str | os.PathLike[str], *, truth: Any = None,
                    mask: Any = None, n: int = 8, title: str | None = None) -> Path:
    """Image grid: masked inputs (missing pixels red), the filled images, and the truth if given.

    Parameters
    ----------
    masked : array of shape (N, H, W) or (N, C, H, W)
        Images with NaN where pixels are missing (or pass ``mask``).
    filled : array of the same shape
        The imputer's output.
    path : str or path-like
        Where to write the PNG.
    truth : array of the same shape, optional
        The complete images: a third row.
    mask : bool array of the same shape, optional
        True = missing (else NaN in ``masked`` marks them).
    n : int, default=8
        How many images (columns).
    title : str, optional

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    x = np.asarray(masked, dtype=float)
    y = np.asarray(filled, dtype=float)
    if x.shape != y.shape:
        raise InputError(f"filled has shape {y.shape} but masked has {x.shape}; pass the imputer's output "
                         "for exactly these images.")
    miss = np.isnan(x) if mask is None else np.asarray(mask, dtype=bool).reshape(x.shape)
    rows = [("masked", x, miss), ("filled", y, None)]
    if truth is not None:
        t = np.asarray(truth, dtype=float)
        if t.shape != x.shape:
            raise InputError(f"truth has shape {t.shape} but masked has {x.shape}; pass the complete images.")
        rows.append(("true", t, None))
    k = max(1, min(int(n), x.shape[0]))
    # The grey scale comes from the observed and true pixels; a fill beyond them is clipped.
    finite = np.concatenate([np.ravel(r[1][:k][~np.isnan(r[1][:k])]) for r in rows if r[0] != "filled"])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    fig = _new_figure(1.3 * k + 0.6, 1.35 * len(rows) + 0.4)
    axes = fig.subplots(len(rows), k, squeeze=False)
    for r, (label, imgs, holes) in enumerate(rows):
        disp = _gray_or_rgb(np.clip((np.nan_to_num(imgs[:k], nan=lo) - lo) / (hi - lo), 0, 1))
        for i in range(k):
            img = disp[i]
            rgb = np.repeat(img[..., None], 3, axis=-1) if img.ndim == 2 else img.copy()
            if holes is not None:
                h = _gray_or_rgb(holes[:k].astype(float))[i]
                h = h.astype(bool) if h.ndim == 2 else h.any(axis=-1)
                rgb[h] = _MISSING_RGB
            ax = axes[r, i]
            ax.imshow(rgb, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.suptitle(title or f"inpainting: {100 * float(miss.mean()):.0f}% of the pixels missing (red)", fontsize=10)
    return _atomic_savefig(fig, path)
