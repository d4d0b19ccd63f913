"""Input checks shared by the plot functions: problem, value received, then the fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aekit.errors import InputError


def _as_float_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a float array, refusing non-numeric data with a clear message."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be numeric (an array or a list of numbers); could not convert it: {exc}."
        ) from None
    return array


def _check_finite(array: np.ndarray, name: str) -> None:
    """Refuse NaN/inf, naming how many and where the first one is."""
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"index {first[0]}" if len(first) == 1 else f"index {first}"
        raise InputError(
            f"{name} has {int(bad.sum())} NaN or infinite values (first at {where}); "
            "a plot needs finite numbers. Check the model output, or drop those rows first."
        )


def _check_not_empty(array: np.ndarray, name: str) -> None:
    if array.size == 0 or (array.ndim >= 1 and array.shape[0] == 0):
        raise InputError(f"{name} is empty (shape {array.shape}); pass at least one sample to plot.")


def _check_length(values: Sequence[Any] | np.ndarray, expected: int, name: str, against: str) -> None:
    if len(values) != expected:
        raise InputError(
            f"{name} has {len(values)} entries but {against} has {expected}; "
            "pass one entry per sample."
        )


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be an int >= 1, got {value!r}.")
    return int(value)
