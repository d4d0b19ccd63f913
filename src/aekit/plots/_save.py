"""Figure creation and atomic PNG writing shared by every plot."""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from aekit.data.files import atomic_path

DPI = 110


def _new_figure(width: float, height: float) -> Figure:
    """A Figure on its own Agg canvas, so no plot ever touches pyplot's global state."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _atomic_savefig(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Save ``fig`` as PNG to ``path`` atomically (:func:`aekit.data.files.atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fig.savefig(fh, format="png", dpi=DPI, facecolor="white")
    return Path(path)
