"""Figure creation and atomic PNG writing shared by every plot."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 110


def _new_figure(width: float, height: float) -> Figure:
    """A Figure on its own Agg canvas, so no plot ever touches pyplot's global state."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _atomic_savefig(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Save ``fig`` as PNG to a temp file beside ``path``, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide permissions, like a plain open() would.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=DPI, facecolor="white")
        os.replace(tmp, path)
    except BaseException:
        # A crash leaves the old file or the new one, never half of either.
        tmp.unlink(missing_ok=True)
        raise
    return path
