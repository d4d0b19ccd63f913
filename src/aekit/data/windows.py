"""Time series in: sliding windows, padding of variable-length sequences, the step mask.

A multivariate series is ``(T, C)``: rows are time steps, columns are channels. Sequence
models train on a batch of samples ``(N, T, C)``, made either by cutting one long series
into windows, or by padding sequences of different lengths to the longest one.

Padded batches carry their validity as one extra **mask channel** (1 = a real step,
0 = padding), appended last: ``(N, T, C + 1)``. The training loop batches rows of one
array, so anything a sample needs must live inside that sample; a mask channel rides
along through shuffling, chunked streaming and data-parallel sharding with no change to
the loop. Padding is always at the end, so a sample's length is the sum of its mask.
:mod:`aekit.losses.sequence` reads the same layout.

Shape:
    - series: ``(T, C)`` (or ``(T,)``, one channel) -> windows: ``(N, window, C)``,
      ``N = 1 + (T - window) // stride``
    - sequences: list of ``(T_i, C)`` -> padded ``(N, T_max, C)``, lengths ``(N,)``,
      mask ``(N, T_max)``
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from aekit.data.checks import as_float_array, check_finite, check_int
from aekit.errors import InputError

SERIES_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".parquet", ".pq", ".npy", ".npz")


def as_series(series: ArrayLike, *, what: str = "series", owner: str = "aekit") -> np.ndarray:
    """A finite float32 ``(T, C)`` array from ``(T, C)`` or ``(T,)`` input (one channel)."""
    arr = np.asarray(series) if not hasattr(series, "columns") else series
    if getattr(arr, "ndim", 2) == 1:
        arr = np.asarray(arr).reshape(-1, 1)
    if getattr(arr, "ndim", 2) != 2:
        raise InputError(f"{what} must be one series of shape (T, C) (rows = time steps, columns = channels) "
                         f"or (T,), got shape {np.shape(arr)}.")
    if not hasattr(arr, "columns"):
        check_finite_steps(np.asarray(arr), what=what, owner=owner)
    return as_float_array(arr, what=what, owner=owner, min_ndim=2, max_ndim=2)


def check_finite_steps(x: np.ndarray, *, what: str = "X", owner: str = "aekit") -> None:
    """Refuse NaN/inf in a series ``(T, C)`` or a stack ``(N, T, C)``, naming the first by step and channel."""
    if x.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(x)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return
    first = [int(i) for i in np.argwhere(bad)[0]]
    where = f"step {first[-2]}, channel {first[-1]}" if x.ndim >= 2 else f"step {first[0]}"
    if x.ndim == 3:
        where = f"sample {first[0]}, {where}"
    raise InputError(
        f"{what} has {n_bad} NaN or infinite value{'s' if n_bad > 1 else ''} (first at {where}). {owner} cannot "
        "use missing values in a time series; fill the gaps (for example pandas.DataFrame.interpolate), or "
        "cut the series around them.")


def sliding_windows(series: ArrayLike, window: int, stride: int = 1) -> np.ndarray:
    """Cut a series into overlapping (or, with ``stride >= window``, disjoint) windows.

    Parameters
    ----------
    series : array-like of shape (T, C) or (T,)
        Rows are time steps, columns channels.
    window : int
        Steps per window.
    stride : int, default=1
        Steps between the starts of consecutive windows. Steps after the last full window
        are left out (at most ``stride - 1`` of them).

    Returns
    -------
    ndarray of shape (N, window, C), float32
        ``N = 1 + (T - window) // stride``; window ``i`` starts at step ``i * stride``.
        A copy, so writing to it never changes ``series``.

    Raises
    ------
    InputError
        A window longer than the series, non-positive ``window``/``stride``, NaN or
        infinite values, a series that is not 1-D or 2-D.

    Examples
    --------
    >>> sliding_windows(np.arange(10.0), window=4, stride=3)[:, :, 0]
    array([[0., 1., 2., 3.],
           [3., 4., 5., 6.],
           [6., 7., 8., 9.]], dtype=float32)
    """
    check_int("window", window, minimum=1)
    check_int("stride", stride, minimum=1)
    x = as_series(series)
    n_steps = x.shape[0]
    if window > n_steps:
        raise InputError(f"window={window} is longer than the series ({n_steps} time steps). "
                         f"Use window <= {n_steps}, or a longer series.")
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=0)  # (T - window + 1, C, window)
    return np.ascontiguousarray(view[::stride].transpose(0, 2, 1))  # (N, window, C)


def pad_sequences(sequences: Sequence[ArrayLike], *, value: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences of different lengths into one array, padded at the end.

    Parameters
    ----------
    sequences : sequence of array-like, each (T_i, C) or (T_i,)
        Every sequence needs the same channel count C and at least one step.
    value : float, default=0.0
        What the padded steps hold (models and losses that use the mask never read it).

    Returns
    -------
    padded : ndarray of shape (N, T_max, C), float32
    lengths : ndarray of shape (N,), int64

    Raises
    ------
    InputError
        No sequences, an empty sequence, different channel counts (the first mismatch is
        named), NaN or infinite values (sequence and step named).

    Examples
    --------
    >>> padded, lengths = pad_sequences([np.ones((3, 2)), np.ones((5, 2))])
    >>> padded.shape, lengths
    ((2, 5, 2), array([3, 5]))
    """
    if isinstance(sequences, np.ndarray) or not isinstance(sequences, Sequence) or isinstance(sequences, str):
        raise InputError("pad_sequences takes a list of sequences, each (T_i, C); got "
                         f"{type(sequences).__name__}. For one (N, T, C) array, no padding is needed.")
    if len(sequences) == 0:
        raise InputError("pad_sequences got an empty list; pass at least one sequence of shape (T_i, C).")
    arrays: list[np.ndarray] = []
    for i, seq in enumerate(sequences):
        arr = np.asarray(seq)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise InputError(f"sequence {i} has shape {arr.shape}; each sequence must be (T_i, C) "
                             "(rows = time steps, columns = channels) or (T_i,).")
        if arr.shape[0] == 0:
            raise InputError(f"sequence {i} is empty (shape {arr.shape}); every sequence needs at least one "
                             "time step. Drop it from the list.")
        if arrays and arr.shape[1] != arrays[0].shape[1]:
            raise InputError(f"sequence {i} has {arr.shape[1]} channels but sequence 0 has {arrays[0].shape[1]}; "
                             "every sequence needs the same channels, in the same order.")
        check_finite_steps(arr, what=f"sequence {i}")
        arrays.append(as_float_array(arr, what=f"sequence {i}", min_ndim=2, max_ndim=2))
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    padded = np.full((len(arrays), int(lengths.max()), arrays[0].shape[1]), value, dtype=np.float32)
    for i, arr in enumerate(arrays):
        padded[i, :len(arr)] = arr
    return padded, lengths


def length_mask(lengths: ArrayLike, steps: int) -> np.ndarray:
    """Boolean ``(N, steps)`` mask, True on the first ``lengths[i]`` steps of row i."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.arange(steps)[None, :] < lengths[:, None]


def with_mask_channel(padded: np.ndarray, lengths: ArrayLike | None = None) -> np.ndarray:
    """Append the mask as a last channel: ``(N, T, C)`` -> ``(N, T, C + 1)``, float32.

    ``lengths=None`` marks every step real (fixed-length windows). The layout is the one
    :func:`aekit.losses.sequence.split_mask` undoes.
    """
    n, steps = padded.shape[:2]
    mask = np.ones((n, steps), np.float32) if lengths is None else length_mask(lengths, steps).astype(np.float32)
    return np.concatenate([np.asarray(padded, np.float32), mask[:, :, None]], axis=2)


def read_series(path: str | os.PathLike[str], *, time_column: str | None = None) -> np.ndarray:
    """Read one multivariate time series from a CSV/TSV/Parquet table or a ``.npy``/``.npz`` file.

    Parameters
    ----------
    path : str or path-like
        A table with a header row: columns are channels, rows are time steps, in order. A
        column of date-times (NAB's ``timestamp``) is the time index, not a channel: it is
        left out (and must be strictly increasing). Or an array file holding ``(T, C)`` or
        ``(T,)``.
    time_column : str, optional
        Name the time column (for one of numbers, e.g. Unix seconds); see
        :func:`aekit.data.read_table`, which also returns the time stamps.

    Returns
    -------
    ndarray of shape (T, C), float32
        Cut it with :func:`sliding_windows`, or pass it with ``window=`` to
        :class:`aekit.SequenceAutoencoder`.

    Raises
    ------
    InputError
        Non-numeric columns, missing values, an array that is not one series, time stamps
        out of order or repeated.
    DataFileError
        Missing, corrupt or truncated file.

    Examples
    --------
    >>> series = read_series("sensors.csv")            # doctest: +SKIP
    >>> windows = sliding_windows(series, window=50)   # doctest: +SKIP
    """
    from aekit.data.tables import read_array, read_table

    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if any(s in (".npy", ".npz") for s in suffixes[-1:]):
        ds = read_array(p, mmap=False)
        if ds.X.ndim != 2:
            shape = ds.X.shape if ds.image_shape is None else (ds.X.shape[0], *ds.X.shape[2:])
            raise InputError(f"{p.name} holds an array of shape {shape}; read_series reads one series (T, C) or "
                             "(T,). Windows (N, T, C) need no reading: np.load them and pass them as they are.")
        X = ds.X
    elif any(s in SERIES_SUFFIXES for s in suffixes):
        X = read_table(p, time_column=time_column).X
    else:
        raise InputError(f"read_series reads {', '.join(SERIES_SUFFIXES)} files; got {p.name!r}.")
    check_finite(X, what=p.name)
    return np.ascontiguousarray(X, dtype=np.float32)
