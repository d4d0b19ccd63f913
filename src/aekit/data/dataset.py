"""The one container every reader returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Samples, optional labels and, for images, their (C, H, W) shape.

    Attributes
    ----------
    X : np.ndarray
        Samples along axis 0. Images are ``(N, C, H, W)`` float32 in [0, 1]; tables are
        ``(N, n_features)`` float32; a memory-mapped array may be returned unconverted so
        that data larger than memory streams.
    y : np.ndarray or None
        Integer labels ``(N,)`` when the source has them.
    name : str
        Where the data came from ("mnist", a file name, ...), for reports.
    image_shape : tuple of int or None
        ``(C, H, W)`` when the samples are images.
    columns : tuple of str or None
        Column names for tables.
    time_index : np.ndarray or None
        One time stamp per sample when a table has a time column (``datetime64[ns]``, or
        numbers for a numeric column named as the time column): strictly increasing. For
        windows cut from a series, the time stamp of each window's first step.
    """

    X: np.ndarray
    y: np.ndarray | None = None
    name: str = "data"
    image_shape: tuple[int, int, int] | None = None
    columns: tuple[str, ...] | None = None
    time_index: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def is_image(self) -> bool:
        return self.image_shape is not None
