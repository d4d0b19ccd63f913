"""Bring every accepted image layout to one display form and draw it on an axis."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from aekit.data.checks import as_numeric_array, check_finite, check_image_shape, check_not_empty
from aekit.errors import InputError

LAYOUTS = "(N, H, W), (N, C, H, W) or (N, H, W, C) with C in {1, 3}, or flat (N, D) with image_shape"

#: Who refuses non-finite plot input, and the remedy: plotted values are usually model output.
OWNER = "Plotting"
NOT_FINITE_FIX = "check the model output, or drop those samples first"


def _to_display(images: Any, name: str, image_shape: Any = None, limit: int | None = None) -> np.ndarray:
    """The first ``limit`` images as float (N, H, W) for greyscale or (N, H, W, 3) for colour.

    Shapes are checked (and reported) on the whole input; only the shown images are converted.
    """
    x = np.asarray(images)
    check_not_empty(x, what=name, owner=OWNER)
    full_shape = x.shape
    x = as_numeric_array(x[:limit] if x.ndim >= 1 else x, what=name)
    if image_shape is not None:
        shape = check_image_shape(image_shape)
        per_sample = int(np.prod(x.shape[1:])) if x.ndim >= 2 else 0
        if x.ndim < 2 or per_sample != int(np.prod(shape)):
            raise InputError(
                f"image_shape={shape} holds {int(np.prod(shape))} values per image, but {name} "
                f"has shape {full_shape} ({per_sample} values per sample); pass the shape the "
                "samples were flattened from."
            )
        x = x.reshape((x.shape[0], *shape))  # (N, D) -> (N, C, H, W) or (N, H, W)
    if x.ndim == 2:
        raise InputError(
            f"{name} has shape {full_shape}: flat (N, D) samples need image_shape=(C, H, W) "
            f"to be drawn as images. Accepted layouts: {LAYOUTS}."
        )
    if x.ndim == 4:
        if x.shape[1] in (1, 3):  # channels first wins ties: PyTorch's own layout
            x = x.transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
        elif x.shape[3] not in (1, 3):
            raise InputError(
                f"{name} has shape {full_shape}: neither axis 1 nor axis 3 is a channel axis of "
                f"size 1 or 3. Accepted layouts: {LAYOUTS}."
            )
        if x.shape[3] == 1:
            x = x[..., 0]  # (N, H, W, 1) -> (N, H, W)
    elif x.ndim != 3:
        raise InputError(f"{name} has shape {full_shape} ({x.ndim}-D). Accepted layouts: {LAYOUTS}.")
    check_finite(x, what=name, owner=OWNER, fix=NOT_FINITE_FIX)
    return x


def _display_range(reference: np.ndarray) -> tuple[float, float]:
    """Grey-level range shared by every image in a figure, so brightness is comparable."""
    lo, hi = float(reference.min()), float(reference.max())
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    if lo >= 0.0 and hi <= 255.0:
        return 0.0, 255.0
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _draw(ax: Axes, image: np.ndarray, lo: float, hi: float) -> None:
    if image.ndim == 3:
        ax.imshow(np.clip((image - lo) / (hi - lo), 0.0, 1.0))
    else:
        ax.imshow(image, cmap="gray", vmin=lo, vmax=hi)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
