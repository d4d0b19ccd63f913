"""Figures of a training run drawn from its records: the history curves, the greedy
pre-training curves per stage, and a denoising model's noisy / denoised / clean rows."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aekit.plots.curves import plot_loss_curves
from aekit.plots.grids import plot_image_grid


def plot_history(history: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], *, title: str,
                 skip: Sequence[str] = ("seconds",)) -> Path:
    """Loss curves of per-epoch records (``estimator.history_``), one column per key.

    Keys in ``skip`` are left out; a learning rate that never changed gets no panel.
    """
    keys = dict.fromkeys(k for record in history for k in record if k not in skip)
    columns = {k: [record.get(k, np.nan) for record in history] for k in keys}
    if len(set(columns.get("lr", []))) <= 1:
        columns.pop("lr", None)  # a constant learning rate needs no panel of its own
    return plot_loss_curves(columns, path, title=title)


def plot_stage_history(history: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], *, title: str) -> Path:
    """Greedy layer-wise pre-training records (one per stage and epoch) as one loss curve per stage."""
    stages = sorted({int(r["stage"]) for r in history})
    keys = [k for k in ("loss", "val_loss") if any(k in r for r in history)]
    length = max(sum(1 for r in history if r["stage"] == s) for s in stages)
    columns: dict[str, list[float]] = {"epoch": list(range(1, length + 1))}
    for s in stages:
        records = [r for r in history if r["stage"] == s]
        for k in keys:
            values = [float(r.get(k, np.nan)) for r in records]
            columns[f"stage{s}_{k}"] = values + [np.nan] * (length - len(values))
    return plot_loss_curves(columns, path, title=title)


def plot_denoising(noisy: Any, denoised: Any, clean: Any, path: str | os.PathLike[str], *, title: str) -> Path:
    """Three rows of ``n`` images: noisy inputs, their reconstructions, the clean originals."""
    n = len(clean)
    rows = np.concatenate([np.asarray(noisy), np.asarray(denoised), np.asarray(clean)])
    captions = [caption for caption in ("noisy", "denoised", "clean") for _ in range(n)]
    return plot_image_grid(rows, path, ncols=n, labels=[c if i % n == 0 else "" for i, c in enumerate(captions)],
                           title=title)
