"""Impute: fill a table's (or images') missing values, write the result, and compare the
fill with scikit-learn's ``IterativeImputer(BayesianRidge)`` when the truth is known.

The command line's ``aekit impute`` is a thin shell over :func:`impute`.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from aekit.data.files import atomic_path
from aekit.errors import InputError
from aekit.estimators.imputer import AutoencoderImputer
from aekit.plots.imputation import plot_inpainting, plot_missingness

_SUFFIXES = (".csv", ".parquet", ".npy")
#: IterativeImputer on images: every pixel is a regression on all the others, so wide inputs
#: use the nearest pixels only and fewer rounds.
_WIDE = 100


@dataclass(frozen=True)
class ImputationResult:
    """What :func:`impute` did.

    Attributes
    ----------
    n_rows, n_columns : int
        Rows and values per row (pixels, for images).
    n_missing : int
        Entries that were missing and are now filled.
    missing_rate : dict of str to float
        Share missing per column (tables only; empty for images).
    output : Path or None
        The filled table's file, when ``out`` was given.
    figure : Path or None
        The PNG of missing rates and distributions (tables) or masked / filled / true grids (images).
    rmse, baseline_rmse : float or None
        With ``truth``: RMSE over the filled entries on min-max scaled values (each column
        scaled by the truth's range, GAIN's metric), of the autoencoder and of
        ``IterativeImputer(BayesianRidge)`` on the same data (numeric columns only).
    fit_seconds, baseline_seconds : float or None
        Fit + fill time of each (None when the imputer came fitted, or no baseline ran).
    filled : DataFrame or ndarray
        The filled data (not part of :meth:`to_dict`).
    imputer : AutoencoderImputer
        The fitted imputer (not part of :meth:`to_dict`).
    """

    n_rows: int
    n_columns: int
    n_missing: int
    missing_rate: dict[str, float]
    output: Path | None
    figure: Path | None
    rmse: float | None
    baseline_rmse: float | None
    fit_seconds: float | None
    baseline_seconds: float | None
    filled: Any = field(repr=False, compare=False)
    imputer: Any = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers and paths."""
        return {"n_rows": self.n_rows, "n_columns": self.n_columns, "n_missing": self.n_missing,
                "missing_rate": self.missing_rate, "output": None if self.output is None else str(self.output),
                "figure": None if self.figure is None else str(self.figure), "rmse": self.rmse,
                "baseline": "IterativeImputer(BayesianRidge)", "baseline_rmse": self.baseline_rmse,
                "fit_seconds": self.fit_seconds, "baseline_seconds": self.baseline_seconds}

    def summary(self) -> str:
        """One line: what was filled and, with a truth, both errors."""
        line = f"{self.n_missing:,} missing entries filled in {self.n_rows:,} rows"
        if self.rmse is not None:
            line += f"; RMSE (min-max scaled) {self.rmse:.4f}"
            if self.baseline_rmse is not None:
                line += f" vs IterativeImputer(BayesianRidge) {self.baseline_rmse:.4f}"
        return line


def read_data(path: str | os.PathLike[str]) -> pd.DataFrame | np.ndarray:
    """A table with holes from CSV / Parquet (a DataFrame) or ``.npy`` (an array, no pickle)."""
    p = Path(path)
    if p.suffix not in _SUFFIXES:
        raise InputError(f"{p} has suffix {p.suffix!r}; impute reads {', '.join(_SUFFIXES)}. Convert the file, "
                         "or read it yourself and pass the DataFrame or array.")
    if not p.is_file():
        raise InputError(f"{p} does not exist; pass the path of the table to fill.")
    if p.suffix == ".csv":
        return pd.read_csv(p)
    if p.suffix == ".parquet":
        return pd.read_parquet(p)
    return np.load(p, allow_pickle=False)


def check_out(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if impute can write a table there (by suffix), else an InputError."""
    p = Path(path)
    if p.suffix not in _SUFFIXES:
        raise InputError(f"out={p} has suffix {p.suffix!r}; impute writes {', '.join(_SUFFIXES)}. "
                         "Pick one of those suffixes.")
    if p.is_dir():
        raise InputError(f"out={p} is a folder; pass a file name such as {p / 'filled.csv'}.")
    return p


def check_figure(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it names a PNG file, else an InputError (figures are written as PNG)."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise InputError(f"figure={p} has suffix {p.suffix!r}; the figure is a PNG. Name it {p.with_suffix('.png')}.")
    if p.is_dir():
        raise InputError(f"figure={p} is a folder; pass a file name such as {p / 'missing.png'}.")
    return p


def write_data(data: pd.DataFrame | np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a filled table by suffix (CSV, Parquet or ``.npy``), atomically."""
    p = check_out(path)
    with atomic_path(p) as tmp:
        if p.suffix == ".npy":
            with open(tmp, "wb") as f:
                np.save(f, np.asarray(data, dtype=None if isinstance(data, np.ndarray) else np.float64),
                        allow_pickle=False)
        else:
            frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(np.asarray(data).reshape(len(data), -1))
            frame.columns = [str(c) for c in frame.columns]
            keep_index = not isinstance(frame.index, pd.RangeIndex)
            if p.suffix == ".csv":
                frame.to_csv(tmp, index=keep_index)
            else:
                frame.to_parquet(tmp, index=keep_index)
    return p


def _numeric_table(data: Any) -> tuple[np.ndarray, list[int]]:
    """(N, D) float view of the numeric columns and their positions (images flattened)."""
    if isinstance(data, pd.DataFrame):
        idx = [j for j, c in enumerate(data.columns) if pd.api.types.is_numeric_dtype(data[c])
               and not isinstance(data[c].dtype, pd.CategoricalDtype)]
        return data.iloc[:, idx].to_numpy(dtype=np.float64), idx
    arr = np.asarray(data, dtype=np.float64)
    flat = arr.reshape(len(arr), -1)
    return flat, list(range(flat.shape[1]))


def scaled_rmse(truth: np.ndarray, filled: np.ndarray, missing: np.ndarray) -> float:
    """RMSE over ``missing`` entries after min-max scaling each column by the truth's range."""
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    err = ((filled - truth) / span)[missing]
    return float(np.sqrt(np.mean(err ** 2))) if err.size else float("nan")


def _check_truth(data: Any, truth: Any) -> None:
    """Refuse a truth that is not the complete version of ``data`` (shape, numeric columns)."""
    shape_d, shape_t = np.shape(data), np.shape(truth)
    if tuple(shape_d) != tuple(shape_t):
        raise InputError(f"truth has shape {tuple(shape_t)} but the data has {tuple(shape_d)}; pass the complete "
                         "version of exactly this data (same rows and columns).")
    if isinstance(data, pd.DataFrame) and isinstance(truth, pd.DataFrame) and list(data.columns) != list(truth.columns):
        raise InputError(f"truth's columns {list(truth.columns)[:10]} differ from the data's "
                         f"{list(data.columns)[:10]}; pass the complete version of exactly this table.")


def _baseline(values: np.ndarray, random_state: int | None) -> np.ndarray:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.linear_model import BayesianRidge

    wide = values.shape[1] > _WIDE
    imp = IterativeImputer(estimator=BayesianRidge(), max_iter=3 if wide else 10,
                           n_nearest_features=30 if wide else None, random_state=random_state,
                           keep_empty_features=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings
        return imp.fit_transform(values)


def impute(data: ArrayLike | pd.DataFrame | str | os.PathLike[str], imputer: AutoencoderImputer | None = None, *,
           mask: ArrayLike | None = None, truth: ArrayLike | pd.DataFrame | None = None,
           out: str | os.PathLike[str] | None = None, figure: str | os.PathLike[str] | None = None,
           baseline: bool = True, random_state: int | None = None) -> ImputationResult:
    """Fill the missing values of a table or of images, and say how good the fill is.

    Parameters
    ----------
    data : DataFrame, array or path
        The table (rows × columns) or images ((N, H, W) or (N, C, H, W)) with missing values
        as NaN (or marked by ``mask``); a path is read by suffix (CSV, Parquet, ``.npy``).
    imputer : AutoencoderImputer, optional
        A fitted imputer (its columns must match), or an unfitted one to fit on ``data``;
        None fits ``AutoencoderImputer(random_state=random_state)`` with its defaults.
    mask : bool array shaped like data, optional
        True = missing, in addition to NaN.
    truth : DataFrame or array shaped like data, optional
        The complete data, to measure the fill: RMSE over the filled entries on min-max
        scaled values, for the imputer and for ``IterativeImputer(BayesianRidge)``.
    out : path, optional
        Write the filled data here (``.csv``, ``.parquet`` or ``.npy``), atomically.
    figure : path, optional
        Write a PNG: per-column missing rates and before/after distributions (tables), or
        masked / filled / true grids (images).
    baseline : bool, default=True
        Run the IterativeImputer baseline when ``truth`` is given (on wide inputs such as
        images with ``n_nearest_features=30`` and 3 rounds, to stay affordable).
    random_state : int, optional
        Seeds the default imputer and the baseline.

    Returns
    -------
    ImputationResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 3)) @ np.ones((3, 6))
    >>> holes = X.copy(); holes[::5, 1] = np.nan
    >>> result = impute(holes, truth=X, random_state=0)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    '40 missing entries filled in 200 rows; RMSE (min-max scaled) ...'
    """
    # Every cheap check first: a wrong suffix or truth must not cost a training run.
    if out is not None:
        check_out(out)
    if figure is not None:
        check_figure(figure)
    if imputer is not None and not isinstance(imputer, AutoencoderImputer):
        raise InputError(f"imputer must be an AutoencoderImputer (fitted or not), got {type(imputer).__name__}. "
                         "Load a saved one with aekit.load(folder).")
    if isinstance(data, (str, os.PathLike)):
        data = read_data(data)
    if truth is not None:
        _check_truth(data, truth)
    est = imputer if imputer is not None else AutoencoderImputer(random_state=random_state)
    t0 = time.perf_counter()
    fitting = not hasattr(est, "module_")
    if fitting:
        est.fit(data, mask=mask)
    filled = est.transform(data, mask=mask)
    fit_seconds = time.perf_counter() - t0 if fitting else None
    frame = data if isinstance(data, pd.DataFrame) else None
    values = frame.to_numpy(dtype=object) if frame is not None else np.asarray(data).reshape(np.shape(data)[0], -1)
    missing = np.asarray(pd.isna(values), dtype=bool)
    if mask is not None:
        missing |= np.asarray(mask, dtype=bool).reshape(missing.shape)
    is_images = frame is None and np.asarray(data).ndim >= 3
    rates = {} if is_images else {str(c): float(missing[:, j].mean())
                                  for j, c in enumerate(frame.columns if frame is not None else range(values.shape[1]))}

    rmse = base_rmse = base_seconds = None
    if truth is not None:
        true_num, idx = _numeric_table(truth)
        fill_num, _ = _numeric_table(filled)
        if true_num.shape != fill_num.shape:
            raise InputError(f"truth has {true_num.shape} numeric values per table but the filled data has "
                             f"{fill_num.shape}; pass the complete version of exactly this data.")
        miss_num = missing[:, idx]
        rmse = scaled_rmse(true_num, fill_num, miss_num)
        if baseline and miss_num.any():
            holes, _ = _numeric_table(data)
            holes = np.where(miss_num, np.nan, holes)
            t1 = time.perf_counter()
            base = _baseline(holes, random_state)
            base_seconds = time.perf_counter() - t1
            base_rmse = scaled_rmse(true_num, base, miss_num)

    figure_path = None
    if figure is not None:
        if is_images:
            shown = np.where(missing.reshape(np.shape(data)), np.nan, np.asarray(data, dtype=float))
            figure_path = plot_inpainting(shown, filled, figure, truth=None if truth is None else np.asarray(truth))
        else:
            before = frame if frame is not None else np.where(missing, np.nan, np.asarray(values, dtype=float))
            figure_path = plot_missingness(before, filled, figure)
    out_path = None if out is None else write_data(filled, out)
    return ImputationResult(n_rows=len(values), n_columns=values.shape[1], n_missing=int(missing.sum()),
                            missing_rate=rates, output=out_path, figure=figure_path, rmse=rmse,
                            baseline_rmse=base_rmse, fit_seconds=fit_seconds, baseline_seconds=base_seconds,
                            filled=filled, imputer=est)
