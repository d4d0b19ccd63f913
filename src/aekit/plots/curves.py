"""Training-history curves: losses, learning rate and accuracy against epoch."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from aekit.errors import InputError
from aekit.plots._save import _atomic_savefig, _new_figure

# Named loss terms written without a "_loss" suffix (e.g. "train_recon", "val_kl").
_LOSS_TERMS = ("recon", "kl", "elbo", "sparsity", "contractive", "penalty")
_SPLITS = ("train_", "val_", "valid_", "test_")


def _is_loss(column: str) -> bool:
    name = column.lower()
    return name.endswith("loss") or name.rsplit("_", 1)[-1] in _LOSS_TERMS


def _is_accuracy(column: str) -> bool:
    return column.lower().endswith("accuracy") or column.lower().endswith("acc")


def _term(column: str) -> str:
    """The quantity a column measures, without its split prefix ("val_recon" -> "recon")."""
    for prefix in _SPLITS:
        if column.lower().startswith(prefix):
            return column[len(prefix):]
    return column


def _spans_decades(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.min() > 0 and finite.max() / finite.min() > 10.0


def _history_frame(history: Mapping[str, Sequence[float]] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(history, pd.DataFrame):
        frame = history.copy()
    elif isinstance(history, Mapping):
        lengths = {str(k): len(v) for k, v in history.items()}
        if len(set(lengths.values())) > 1:
            raise InputError(
                f"history columns have different lengths {lengths}; every column needs one "
                "value per epoch (use NaN where a value is missing)."
            )
        frame = pd.DataFrame({str(k): list(v) for k, v in history.items()})
    else:
        raise InputError(
            f"history must be a dict of lists or a pandas DataFrame, got {type(history).__name__}."
        )
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise InputError("history has no epochs (0 rows); train for at least one epoch first.")
    for column in frame.columns:
        try:
            frame[column] = pd.to_numeric(frame[column]).astype(float)
        except (TypeError, ValueError):
            raise InputError(
                f"history column {column!r} is not numeric (first value {frame[column].iloc[0]!r}); "
                "history columns hold one number per epoch."
            ) from None
    return frame


def plot_loss_curves(
    history: Mapping[str, Sequence[float]] | pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    title: str = "Training history",
) -> Path:
    """Plot every loss column against epoch, plus learning rate and accuracy panels if present.

    Loss columns are those whose name ends in ``"loss"`` (``train_loss``, ``val_loss``,
    ``recon_loss`` ...) or in a named term (``recon``, ``kl``, ``elbo``, ``sparsity``,
    ``contractive``, ``penalty``). Train and validation versions of a term share a colour;
    validation is dashed, and the best validation loss is marked. The loss axis is
    logarithmic when the positive losses span more than one decade. An ``"lr"`` column gets
    its own panel, as do ``*accuracy`` columns. NaN values (e.g. epochs without validation)
    leave gaps.

    Parameters
    ----------
    history : dict of str to list of float, or pandas.DataFrame
        One value per epoch per column. An ``"epoch"`` column, if present, is the x axis;
        otherwise epochs are numbered from 1.
    path : str or path-like
        Where to write the PNG; parent folders are created; written atomically.
    title : str, default="Training history"
        Figure title.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        If the history is empty, has no loss column, columns of different lengths or
        non-numeric values.

    Examples
    --------
    >>> history = {"train_loss": [0.09, 0.05, 0.04], "val_loss": [0.08, 0.06, 0.05]}
    >>> plot_loss_curves(history, tmp / "loss_curves.png")  # doctest: +SKIP
    """
    frame = _history_frame(history)
    epochs = (
        frame.pop("epoch").to_numpy() if "epoch" in frame.columns
        else np.arange(1, len(frame) + 1, dtype=float)
    )
    losses = [c for c in frame.columns if _is_loss(c)]
    if not losses:
        raise InputError(
            f"history has no loss column (columns: {list(frame.columns)}); expected names "
            "ending in 'loss', such as 'train_loss' and 'val_loss'."
        )
    accuracies = [c for c in frame.columns if _is_accuracy(c)]
    has_lr = "lr" in frame.columns

    ratios = [3.0] + ([1.2] if has_lr else []) + ([2.0] if accuracies else [])
    fig = _new_figure(7.5, 1.6 * sum(ratios) + 0.9)
    axes = fig.subplots(len(ratios), 1, sharex=True, squeeze=False, height_ratios=ratios)[:, 0]
    marker = "o" if len(frame) <= 20 else None

    _draw_group(axes[0], epochs, frame, losses, marker, mark_best=True)
    axes[0].set_ylabel("loss")
    if _spans_decades(frame[losses].to_numpy()):
        axes[0].set_yscale("log")
    panel = 1
    if has_lr:
        lr = frame["lr"].to_numpy()
        axes[panel].plot(epochs, lr, color="0.3", marker=marker, ms=3)
        axes[panel].set_ylabel("learning rate")
        if _spans_decades(lr):
            axes[panel].set_yscale("log")
        panel += 1
    if accuracies:
        _draw_group(axes[panel], epochs, frame, accuracies, marker, mark_best=False)
        axes[panel].set_ylabel("accuracy")
        values = frame[accuracies].to_numpy()
        values = values[np.isfinite(values)]
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            axes[panel].set_ylim(max(0.0, values.min() - 0.05), 1.0)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("epoch")
    if len(frame) == 1:
        axes[-1].set_xticks(epochs)
    else:
        axes[-1].xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title, fontsize=12)
    return _atomic_savefig(fig, path)


def _draw_group(
    ax: Axes,
    epochs: np.ndarray,
    frame: pd.DataFrame,
    columns: list[str],
    marker: str | None,
    *,
    mark_best: bool,
) -> None:
    """Train/val pairs of a term in one colour, validation dashed."""
    terms = list(dict.fromkeys(_term(c) for c in columns))
    colours = {term: f"C{i % 10}" for i, term in enumerate(terms)}
    for column in columns:
        is_val = column.lower().startswith(("val_", "valid_"))
        ax.plot(
            epochs, frame[column].to_numpy(), label=column, color=colours[_term(column)],
            ls="--" if is_val else "-", marker=marker, ms=4, lw=1.6,
        )
        if mark_best and is_val and column.lower().endswith("loss"):
            values = frame[column].to_numpy()
            if np.isfinite(values).any() and len(values) > 1:
                best = int(np.nanargmin(values))
                ax.plot(epochs[best], values[best], marker="*", ms=12, color=colours[_term(column)],
                        ls="none", label=f"best {column} (epoch {epochs[best]:g})")
    ax.legend(fontsize=8, loc="best", ncols=2 if len(columns) > 4 else 1)
