"""Input checks shared by every estimator and reader.

One place decides what counts as valid data, so every entry point refuses the same
mistakes with the same words: the problem, where it is, and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from aekit.errors import InputError, InputTypeError, NotFittedError


def _where(index: tuple[int, ...], columns: Sequence[str] | None) -> str:
    row = index[0]
    if len(index) == 1:
        return f"row {row}"
    if len(index) > 2 and columns is None:  # images, windows: no table to speak of
        return f"sample {row}, position {tuple(int(i) for i in index[1:])}"
    col = index[1]
    name = f"'{columns[col]}'" if columns is not None and col < len(columns) else str(col)
    rest = f", position {tuple(int(i) for i in index[2:])}" if len(index) > 2 else ""
    return f"row {row}, column {name}{rest}"


def check_finite(X: np.ndarray, *, what: str = "X", owner: str = "aekit",
                 columns: Sequence[str] | None = None, fix: str | None = None) -> None:
    """Refuse NaN and infinite values, naming how many and where the first one is.

    ``fix`` replaces the suggested remedy (by default: impute, or drop those rows).
    """
    if X.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(X)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    n_nan = int(np.isnan(X).sum())
    kind = "NaN" if n_nan == n_bad else ("infinite" if n_nan == 0 else "NaN or infinite")
    raise InputError(
        f"{what} has {n_bad} {kind} value{'s' if n_bad > 1 else ''} (first at {_where(first, columns)}). "
        f"{owner} cannot use missing or infinite values; "
        f"{fix or 'fill them in (for example with sklearn.impute.SimpleImputer), or drop those rows'}."
    )


def check_float32_range(X32: np.ndarray, source: Any, *, what: str = "X",
                        columns: Sequence[str] | None = None) -> None:
    """Refuse values that are finite in ``source`` but overflowed when cast to float32 (``X32``).

    Such values are not "infinite in the data": they are beyond float32's range (about
    3.4e38), in which aekit computes, and scaling them down is the fix. ``source`` (an array
    or a DataFrame) is read again only when ``X32`` holds an infinity.
    """
    inf = np.isinf(X32)
    if not inf.any():
        return
    src = source.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(source, "to_numpy") else np.asarray(source)
    with np.errstate(invalid="ignore"):
        over = inf & np.isfinite(src.astype(np.float64, copy=False)).reshape(inf.shape)
    n_over = int(over.sum())
    if n_over == 0:
        return
    first = tuple(int(i) for i in np.argwhere(over)[0])
    raise InputError(
        f"{what} has {n_over} value{'s' if n_over > 1 else ''} beyond float32's range of +-3.4e38 (first "
        f"{float(src.reshape(inf.shape)[first]):.4g} at {_where(first, columns)}), and aekit computes in float32. "
        "Scale those columns down first, e.g. divide them by a power of ten or use "
        "sklearn.preprocessing.StandardScaler.")


def as_numeric_array(values: Any, *, what: str = "values") -> np.ndarray:
    """``values`` as a float64 array of any shape, refusing anything that is not numbers.

    Only the conversion: no rules on shape, emptiness or finiteness (:func:`as_float_array`
    adds those for model input). Plots and metrics take their arrays through here.
    """
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{what} must be numeric (an array or a list of numbers); could not convert it: {exc}."
        ) from None


def check_not_empty(X: np.ndarray, *, what: str = "X", owner: str = "aekit") -> None:
    """Refuse an array that holds no values."""
    if X.size == 0:
        raise InputError(f"{what} is empty (shape {X.shape}); {owner} needs at least one sample.")


def check_same_length(what: str, values: Sized, expected: int, *, against: str) -> None:
    """Refuse per-sample extras (labels, names, errors) that do not pair one to one with the samples."""
    if len(values) != expected:
        raise InputError(f"{what} has {len(values)} entries but {against} has {expected}; "
                         "pass one entry per sample.")


def check_image_shape(image_shape: Any, *, what: str = "image_shape") -> tuple[int, ...]:
    """``image_shape`` as a tuple of positive ints, ``(C, H, W)`` or ``(H, W)``; refuse anything else."""
    try:
        shape = tuple(int(s) for s in image_shape)
        ok = len(shape) in (2, 3) and all(s >= 1 for s in shape) and shape == tuple(image_shape)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(
            f"{what} must be (C, H, W) or (H, W) with positive ints, got {image_shape!r}; "
            f"for 28x28 greyscale images pass {what}=(1, 28, 28)."
        )
    return shape


def as_float_array(X: ArrayLike, *, what: str = "X", owner: str = "aekit",
                   min_ndim: int = 2, max_ndim: int = 4) -> np.ndarray:
    """Turn array-like input into a finite, non-empty float32 array of an allowed rank."""
    columns = [str(c) for c in X.columns] if hasattr(X, "columns") else None
    if columns is not None and hasattr(X, "dtypes"):  # a DataFrame: name the bad columns
        bad = [str(c) for c in X.columns if not _is_numeric_series(X[c])]
        if bad:
            raise InputError(
                f"{what} has non-numeric column{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}. "
                "Autoencoders need numbers: drop those columns or encode them (for example one-hot "
                "with sklearn.preprocessing.OneHotEncoder)."
            )
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise InputError(f"{what} is a sparse matrix; sparse input is not supported by {owner}. "
                         f"Convert it with {what}.toarray() if it fits in memory.")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{what} could not be read as an array: {exc}. Pass a NumPy array, "
                         "a pandas DataFrame or a list of equal-length rows.") from exc
    if arr.dtype.kind in "OUSV":
        try:
            arr = arr.astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise InputTypeError(
                f"{what} has dtype {arr.dtype} with values that are not numbers ({exc}). "
                "Pass numeric data: drop or encode text columns first."
            ) from exc
    if arr.dtype.kind == "c":
        raise InputError(f"{what} is complex ({arr.dtype}): Complex data not supported; pass real numbers, e.g. np.abs(X) or X.real.")
    if arr.dtype.kind not in "fiub":
        raise InputError(f"{what} has dtype {arr.dtype}; pass numeric data.")
    if arr.ndim < min_ndim or arr.ndim > max_ndim:
        expected = f"{min_ndim}-D" if min_ndim == max_ndim else f"{min_ndim}-D to {max_ndim}-D"
        hint = " Reshape your data: a single sample with X.reshape(1, -1), a single feature with X.reshape(-1, 1)." \
            if arr.ndim < 2 else ""
        raise InputError(f"{what} must be {expected} with samples along the first axis, "
                         f"got shape {arr.shape}.{hint}")
    if arr.shape[0] == 0:
        raise InputError(f"{what} is empty (shape {arr.shape}); {owner} needs at least one sample.")
    if arr.ndim >= 2 and int(np.prod(arr.shape[1:])) == 0:
        raise InputError(f"{what} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    with np.errstate(over="ignore"):
        arr32 = np.ascontiguousarray(arr, dtype=np.float32)
    check_float32_range(arr32, arr, what=what, columns=columns)
    check_finite(arr32, what=what, owner=owner, columns=columns)
    return arr32


def _is_numeric_series(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def check_features(X: ArrayLike, *, estimator: Any, reset: bool, min_ndim: int = 2,
                   max_ndim: int = 4) -> np.ndarray:
    """Validate X for an estimator and record (``reset=True``) or check its feature shape.

    On ``reset`` sets ``n_features_in_`` (number of values per sample), ``input_shape_``
    (the per-sample shape) and ``feature_names_in_`` when X is a DataFrame with string
    column names. Otherwise refuses data whose per-sample shape differs from the fit's.
    """
    owner = type(estimator).__name__
    arr = as_float_array(X, what="X", owner=owner, min_ndim=min_ndim, max_ndim=max_ndim)
    shape = tuple(int(s) for s in arr.shape[1:])
    n_features = int(np.prod(shape))
    if reset:
        estimator.n_features_in_ = n_features
        estimator.input_shape_ = shape
        cols = getattr(X, "columns", None)
        if cols is not None and all(isinstance(c, str) for c in cols):
            estimator.feature_names_in_ = np.asarray(list(cols), dtype=object)
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return arr
    expected = getattr(estimator, "input_shape_", None)
    if expected is None:
        raise NotFittedError(f"This {owner} is not fitted yet. Call 'fit' with training data first.")
    check_feature_names(getattr(estimator, "feature_names_in_", None), getattr(X, "columns", None), owner=owner)
    if shape != tuple(expected):
        if n_features == estimator.n_features_in_ and len(expected) > 1:
            return arr.reshape((arr.shape[0], *expected))
        if n_features == estimator.n_features_in_ and len(expected) == 1:
            return arr.reshape(arr.shape[0], -1)
        raise InputError(
            f"X has {n_features} features, but {owner} is expecting {estimator.n_features_in_} features "
            f"as input (X's sample shape {shape}, fitted on {tuple(expected)}). Pass data with the same "
            "columns, in the same order, as at fit time."
        )
    return arr


def check_feature_names(fitted: Sequence[Any] | None, given: Sequence[Any] | None, *, what: str = "X",
                        owner: str = "aekit") -> None:
    """Refuse columns named differently, or ordered differently, from those seen in fit.

    scikit-learn's ``feature_names_in_`` rule: checked only when both the fit and ``given``
    had column names; plain arrays carry no names and pass on their shape alone.
    """
    if fitted is None or given is None:
        return
    fitted = [str(c) for c in fitted]
    given = [str(c) for c in given]
    if given == fitted:
        return
    lacking = [c for c in fitted if c not in given]
    extra = [c for c in given if c not in fitted]
    if lacking or extra:
        parts = ([f"missing {_names(lacking)}"] if lacking else []) + ([f"unexpected {_names(extra)}"] if extra else [])
        if len(given) != len(fitted):
            parts.insert(0, f"{len(given)} columns instead of {len(fitted)}")
        problem = "; ".join(parts)
    else:
        problem = "same names in another order"
    raise InputError(
        f"{what}'s columns differ from those {owner} was fitted on ({problem}). Pass the fit's columns "
        f"in the fit's order, e.g. X[{_names(fitted)}]."
    )


def _names(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


def check_is_fitted(estimator: Any, attribute: str = "module_") -> None:
    """Raise NotFittedError unless ``fit`` has run."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"This {type(estimator).__name__} is not fitted yet. Call 'fit' with training data first, "
            "or load a trained model with aekit.load(path)."
        )


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    """Refuse a parameter value outside an allowed set, listing the set."""
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}.")


def check_int(name: str, value: Any, *, minimum: int = 1, allow_none: bool = False) -> None:
    """Refuse anything that is not an int >= ``minimum``."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an int >= {minimum}, got {value!r}.")


def check_float(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_inclusive: bool = True, high_inclusive: bool = True, allow_none: bool = False) -> None:
    """Refuse anything that is not a real number in the given range."""
    if value is None and allow_none:
        return
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and np.isfinite(value)
    if ok and low is not None:
        ok = value >= low if low_inclusive else value > low
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        lo = "" if low is None else ("[" if low_inclusive else "(") + f"{low}"
        hi = "" if high is None else f"{high}" + ("]" if high_inclusive else ")")
        rng = f" in {lo or '(-inf'}, {hi or 'inf)'}" if (low is not None or high is not None) else ""
        raise InputError(f"{name} must be a finite number{rng}, got {value!r}.")
