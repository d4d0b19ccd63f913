"""The train/test split of a run: which samples train a model and which measure it.

Named sets and folders of MNIST IDX files bring their own test split. Any other file or
folder has a fixed :data:`TEST_FRACTION` of its samples held out, the same ones on every
run whatever the model's seed; a time series has its last :data:`TEST_FRACTION` of steps
held out, as a forecaster would be judged.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np

from aekit.data.dataset import Dataset
from aekit.data.mnist import find_split_files
from aekit.data.sources import ALIASES, DATASET_NAMES, load_dataset
from aekit.data.windows import sliding_windows
from aekit.errors import InputError

#: Share of a single file or folder held out as test data, and the seed of that split.
TEST_FRACTION = 0.1
SPLIT_SEED = 0


def is_dataset_name(data: str) -> bool:
    """True for the names ``load_dataset`` knows ("default", "mnist", "fmnist", ...)."""
    key = data.strip().lower()
    return ALIASES.get(key, key) in DATASET_NAMES


def source_name(data: str) -> str:
    """A folder-name-safe short name for a data source: 'data/table.csv.gz' -> 'table'."""
    if is_dataset_name(data):
        key = data.strip().lower()
        name = ALIASES.get(key, key)
    else:
        name = Path(data).name
        while Path(name).suffix and Path(name).stem:
            name = Path(name).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "data"


def load_input(data: str, *, split: str = "test", label_column: str | None = None,
               time_column: str | None = None) -> Dataset:
    """The data a command works on: a named set's ``split``, or a whole file or folder
    (a table's time column, named or auto-detected, becomes ``time_index``)."""
    if is_dataset_name(data):
        return load_dataset(data, split=split)  # type: ignore[arg-type]
    return load_dataset(data, split=split, label_column=label_column,  # type: ignore[arg-type]
                        time_column=time_column)


def _subset(ds: Dataset, idx: np.ndarray | slice) -> Dataset:
    return dataclasses.replace(ds, X=ds.X[idx], y=None if ds.y is None else ds.y[idx],
                               time_index=None if ds.time_index is None else ds.time_index[idx])


def load_train_test(data: str, *, label_column: str | None = None) -> tuple[Dataset, Dataset, str]:
    """Train and test data, and a sentence saying where the test data came from.

    Named sets and folders of MNIST IDX files have their own test split; any other file
    or folder has a fixed :data:`TEST_FRACTION` of its samples held out (the same ones on
    every run, whatever the model's seed).
    """
    path = Path(data).expanduser()
    if is_dataset_name(data) or (path.is_dir() and find_split_files(path, "test") is not None):
        train = load_input(data, split="train", label_column=label_column)
        test = load_input(data, split="test", label_column=label_column)
        return train, test, "the data set's own test split"
    full = load_input(data, label_column=label_column)
    n = len(full)
    if n < 2:
        raise InputError(f"{full.name} has {n} sample; training needs at least 2, since "
                         f"{TEST_FRACTION:.0%} (at least one) are held out as test data.")
    n_test = max(1, int(round(n * TEST_FRACTION)))
    if isinstance(full.X, np.memmap):  # keep streaming from disk: contiguous slices stay memory-mapped
        train, test = _subset(full, slice(0, n - n_test)), _subset(full, slice(n - n_test, n))
        how = f"the last {n_test} of {n} samples ({TEST_FRACTION:.0%}) held out"
    else:
        order = np.random.default_rng(SPLIT_SEED).permutation(n)
        train, test = _subset(full, np.sort(order[n_test:])), _subset(full, np.sort(order[:n_test]))
        how = f"{n_test} of {n} samples ({TEST_FRACTION:.0%}, fixed seed {SPLIT_SEED}) held out"
    return train, test, how


def load_series_train_test(data: str, window: int | None, stride: int, *, label_column: str | None = None,
                           time_column: str | None = None) -> tuple[Dataset, Dataset, str, np.ndarray]:
    """Train and test windows of one time series, the sentence for the split, and the first
    step of every test window.

    The last :data:`TEST_FRACTION` of the steps (at least one window) is the test stretch:
    a later stretch of the series, never seen in training. Both stretches are cut into
    ``window``-step windows ``stride`` apart; a table's time column (NAB's ``timestamp``,
    auto-detected, or ``time_column``) is the time index, and each window's ``time_index``
    is the time of its first step.
    """
    if window is None:
        raise InputError("--model recurrent needs --window, the steps per window that the series is cut into "
                         "(e.g. --window 50; --stride sets the steps between window starts).")
    full = load_input(data, label_column=label_column, time_column=time_column)
    if full.is_image or full.X.ndim != 2:
        raise InputError(f"--model recurrent reads one time series (rows = time steps, columns = channels: a CSV, "
                         f"TSV or Parquet table, or a .npy of shape (T, C)); {full.name} holds "
                         f"{'images' if full.is_image else f'an array of shape {full.X.shape}'}.")
    steps = len(full)
    n_test = max(window, int(round(steps * TEST_FRACTION)))
    if steps - n_test < window:
        raise InputError(f"{full.name} has {steps} time steps: too few for --window {window}, which needs at least "
                         f"{window} steps to train on and {n_test} held out as test data. Use a smaller --window "
                         "or a longer series.")
    series = np.asarray(full.X, dtype=np.float32)
    train = dataclasses.replace(full, X=sliding_windows(series[:steps - n_test], window, stride), y=None)
    test = dataclasses.replace(full, X=sliding_windows(series[steps - n_test:], window, stride), y=None)
    first_steps = steps - n_test + stride * np.arange(len(test.X))
    if full.time_index is not None:  # each window stamped with the time of its first step
        train = dataclasses.replace(train, time_index=full.time_index[stride * np.arange(len(train.X))])
        test = dataclasses.replace(test, time_index=full.time_index[first_steps])
    how = (f"the last {n_test} of {steps} time steps held out ({len(test.X)} windows of {window} steps, "
           f"stride {stride})")
    return train, test, how, first_steps
