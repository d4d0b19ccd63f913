"""Glue the sub-commands share: load data, train into a run folder, measure reconstructions.

There is no ``apps`` function for training yet, so :func:`train_run` lives here. It only
strings library calls together (data -> ``estimator.fit`` -> ``save`` -> files -> report);
the error measures in :func:`reconstruction_metrics` are the one piece of arithmetic and
belong in ``aekit.metrics`` once that package exists.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aekit.cli._families import family_files, family_metrics, is_recurrent, make_estimator, sequence_files
from aekit.data import DATASET_NAMES, Dataset, load_dataset, sliding_windows
from aekit.data.mnist import find_split_files
from aekit.data.sources import ALIASES
from aekit.errors import InputError
from aekit.io.model_file import resolve_model_path
from aekit.metrics import reconstruction_bce, reconstruction_mse
from aekit.io.run_dir import check_run_dir, create_run_dir, write_history_csv, write_json
from aekit.plots import plot_loss_curves, plot_reconstructions
from aekit.train.callbacks import ProgressBar

try:  # the report package is optional at this layer: a run folder is complete without it
    from aekit.report import write_report
except ImportError:  # pragma: no cover - only while report/ is being built
    write_report = None

#: Share of a single file or folder held out as test data, and the seed of that split.
TEST_FRACTION = 0.1
SPLIT_SEED = 0
_CHUNK = 4096


def is_dataset_name(data: str) -> bool:
    """True for the names ``load_dataset`` knows ("default", "mnist", "fmnist", ...)."""
    key = data.strip().lower()
    return ALIASES.get(key, key) in DATASET_NAMES


def slug(data: str) -> str:
    """A folder-name-safe short name for a data source: 'data/table.csv.gz' -> 'table'."""
    if is_dataset_name(data):
        key = data.strip().lower()
        name = ALIASES.get(key, key)
    else:
        name = Path(data).name
        while Path(name).suffix and Path(name).stem:
            name = Path(name).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "data"


def load_input(data: str, *, split: str = "test", label_column: str | None = None) -> Dataset:
    """The data a command works on: a named set's ``split``, or a whole file or folder."""
    if is_dataset_name(data):
        return load_dataset(data, split=split)  # type: ignore[arg-type]
    return load_dataset(data, split=split, label_column=label_column)  # type: ignore[arg-type]


def _subset(ds: Dataset, idx: np.ndarray | slice) -> Dataset:
    return dataclasses.replace(ds, X=ds.X[idx], y=None if ds.y is None else ds.y[idx])


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


def load_series_train_test(data: str, window: int | None, stride: int, *,
                           label_column: str | None = None) -> tuple[Dataset, Dataset, str, np.ndarray]:
    """Train and test windows of one time series, the sentence for the split, and the first
    step of every test window.

    The last :data:`TEST_FRACTION` of the steps (at least one window) is the test stretch:
    a later stretch of the series, never seen in training, as a forecaster would be judged.
    Both stretches are cut into ``window``-step windows ``stride`` apart.
    """
    if window is None:
        raise InputError("--model recurrent needs --window, the steps per window that the series is cut into "
                         "(e.g. --window 50; --stride sets the steps between window starts).")
    full = load_input(data, label_column=label_column)
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
    how = (f"the last {n_test} of {steps} time steps held out ({len(test.X)} windows of {window} steps, "
           f"stride {stride})")
    return train, test, how, first_steps


def reconstruction_metrics(estimator: Any, X: np.ndarray, prefix: str = "") -> dict[str, float]:
    """Reconstruction error of ``estimator`` on ``X``, batch by batch.

    Keys (each with ``prefix``):

    - ``mse``: mean squared error per value, ``predict(X)`` vs ``X``, in X's own units;
    - ``bce``: mean binary cross-entropy per value, only when X lies in [0, 1];
    - ``loss``: the training objective (the estimator's ``loss`` on its scaled data),
      i.e. ``-score(X)``, comparable with the training history.
    """
    squared = bce = loss = 0.0
    values = 0
    in_unit = True
    for start in range(0, len(X), _CHUNK):
        xb = np.asarray(X[start:start + _CHUNK], dtype=np.float64)
        x_hat = np.asarray(estimator.predict(xb), dtype=np.float64).reshape(xb.shape)
        squared += reconstruction_mse(xb, x_hat) * xb.size
        in_unit = in_unit and float(xb.min()) >= 0.0 and float(xb.max()) <= 1.0
        if in_unit:
            bce += reconstruction_bce(xb, x_hat) * xb.size
        loss -= float(np.sum(estimator.score_samples(xb)))
        values += xb.size
    out = {f"{prefix}mse": squared / values}
    if in_unit:
        out[f"{prefix}bce"] = bce / values
    out[f"{prefix}loss"] = loss / len(X)
    return out


class _EpochCounter:
    """Remembers where a (possibly resumed) fit started and how many epochs it ran."""

    def __init__(self) -> None:
        self.start_epoch = 0
        self.epochs = 0

    def on_train_begin(self, *, epochs: int, start_epoch: int, batches: int) -> None:
        self.start_epoch = start_epoch

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        self.epochs += 1


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_run` wrote and measured."""

    run_dir: Path
    metrics: dict[str, Any]
    files: dict[str, Path]
    report: Path | None
    start_epoch: int
    epochs_this_run: int
    seconds_this_run: float
    test_source: str


def _images_or_table(ds: Dataset, X: np.ndarray) -> Any:
    """Tables keep their column names for the reconstruction plot."""
    if ds.columns is not None and X.ndim == 2:
        return pd.DataFrame(X, columns=list(ds.columns))
    return X


def write_reconstructions_png(path: Path, ds: Dataset, X: np.ndarray, X_hat: np.ndarray, title: str) -> Path:
    """Ten originals above their reconstructions (table rows as profiles)."""
    return plot_reconstructions(_images_or_table(ds, np.asarray(X[:10])), np.asarray(X_hat[:10]), path,
                                n=10, title=title)


def train_run(data: str, out: str | Path, params: dict[str, Any], *, model: str | None = None,
              label_column: str | None = None, resume: bool = False, overwrite: bool = False,
              progress: bool = True, validate_on_test: bool = False, command: str = "train") -> TrainResult:
    """Train the estimator of ``--model model`` on ``data`` and fill the run folder ``out``.

    Writes ``config.json`` + ``model.safetensors`` (the model), ``checkpoint.safetensors``
    (every epoch), ``history.csv``, ``metrics.json``, ``run.json`` (data and split),
    ``loss_curves.png``, ``reconstructions.png``, each family's own files (see
    :mod:`aekit.cli._families`) and ``report.html``.

    ``params`` are the estimator's keyword arguments, under the constructor's names; the
    ones left out keep the estimator's defaults. ``model`` is a key of
    :data:`aekit.cli._families.MODELS`; None means ``params["model"]`` (dense or conv).
    With ``resume``, a finished run is not trained again: its checkpoint is loaded and
    the files are rewritten. A folder created here is removed again if the run fails
    before writing anything into it.
    """
    out = Path(out)
    model = model if model is not None else params.get("model", "dense")
    estimator = make_estimator(model, params)
    check_run_dir(out, overwrite=overwrite, resume=resume)  # refuse before any slow loading
    first_steps = None
    if is_recurrent(estimator):
        train, test, test_source, first_steps = load_series_train_test(
            data, estimator.window, estimator.stride, label_column=label_column)
    else:
        train, test, test_source = load_train_test(data, label_column=label_column)
    created = not out.exists()
    run_dir = create_run_dir(out, overwrite=overwrite, resume=resume)
    # run.json first: a run killed in its first epochs still says what it was.
    record = {"command": command, "data": data, "model": model, "label_column": label_column,
              "test_data": test_source, "validation_data": "test split" if validate_on_test else None,
              "params": estimator.get_params()}
    write_json(run_dir / "run.json", record)
    try:
        return _train_into(run_dir, estimator, model, train, test, test_source, first_steps, resume=resume,
                           progress=progress, validate_on_test=validate_on_test)
    except BaseException:
        if created and {p.name for p in run_dir.iterdir()} <= {"run.json"}:  # nothing trained: leave no trace
            (run_dir / "run.json").unlink(missing_ok=True)
            run_dir.rmdir()
        raise


def _train_into(run_dir: Path, estimator: Any, model: str, train: Dataset, test: Dataset, test_source: str,
                first_steps: np.ndarray | None, *, resume: bool, progress: bool,
                validate_on_test: bool) -> TrainResult:
    counter = _EpochCounter()
    callbacks: list[Any] = [counter, *([ProgressBar()] if progress else [])]
    t0 = time.perf_counter()
    estimator.fit(train.X, validation_data=test.X if validate_on_test else None, checkpoint_dir=run_dir,
                  resume=resume, callbacks=callbacks)
    seconds = time.perf_counter() - t0

    files = {"config": estimator.save(run_dir), "weights": run_dir / "model.safetensors",
             "checkpoint": run_dir / "checkpoint.safetensors"}
    history = list(estimator.history_)
    files["history"] = write_history_csv(run_dir / "history.csv", history)

    loss = getattr(estimator, "loss", None)  # a VAE's loss is the ELBO, a recurrent one's MSE
    metrics: dict[str, Any] = {"data": train.name, "model": model, **({"loss": loss} if loss else {})}
    metrics.update(reconstruction_metrics(estimator, test.X, "test_"))
    metrics.update(reconstruction_metrics(estimator, train.X, "train_"))
    metrics.update(family_metrics(estimator, test.X, "test_"))
    last = history[-1] if history else {}
    metrics["train_loss_final"] = last.get("loss")
    if "val_loss" in last:
        metrics["val_loss_final"] = last["val_loss"]
    metrics.update({
        "epochs_run": len(history),
        "seconds": float(sum(r.get("seconds", 0.0) for r in history)),  # every epoch, across resumes
        "n_train": len(train),
        "n_test": len(test),
        "latent_dim": int(estimator.spec_.latent_dim),
        "n_parameters": int(sum(p.numel() for p in estimator.module_.parameters())),
    })
    files["metrics"] = write_json(run_dir / "metrics.json", metrics)
    files["run"] = run_dir / "run.json"

    title = f"{model} autoencoder on {train.name}" + (f", {loss.upper()} loss" if loss else "")
    if history:
        keys = dict.fromkeys(k for r in history for k in r if k != "seconds")
        columns = {k: [r.get(k, np.nan) for r in history] for k in keys}
        if len(set(columns.get("lr", []))) <= 1:
            columns.pop("lr", None)  # a constant learning rate needs no panel of its own
        files["loss_curves"] = plot_loss_curves(columns, run_dir / "loss_curves.png", title=title)
    if first_steps is not None:
        files.update(sequence_files(
            run_dir, estimator, test, first_steps,
            title=f"Test windows (solid) and their reconstructions (dashed), latent_dim={estimator.spec_.latent_dim}"))
    else:
        sample = test.X[:10]
        files["reconstructions"] = write_reconstructions_png(
            run_dir / "reconstructions.png", test, sample, estimator.predict(sample),
            title=f"Test samples (top) and their reconstructions (bottom), latent_dim={estimator.spec_.latent_dim}")
    files.update(family_files(run_dir, estimator, test, title))
    report = write_report(run_dir) if write_report is not None else None
    return TrainResult(run_dir=run_dir, metrics=metrics, files=files, report=report,
                       start_epoch=counter.start_epoch, epochs_this_run=counter.epochs,
                       seconds_this_run=seconds, test_source=test_source)


def load_run(run: str | Path) -> tuple[Any, Path, dict[str, Any]]:
    """A trained model, its run folder, and the folder's ``run.json`` (empty if absent)."""
    import aekit

    estimator = aekit.load(run)
    run_dir = resolve_model_path(run).parent
    try:
        info = json.loads((run_dir / "run.json").read_text())
    except (OSError, ValueError):
        info = {}
    return estimator, run_dir, info if isinstance(info, dict) else {}


def model_input(estimator: Any, ds: Dataset) -> Dataset:
    """What ``estimator`` measures samples on: a recurrent model's series cut into its windows
    (``window``, ``stride``), anything else as it is."""
    if is_recurrent(estimator) and ds.X.ndim == 2 and not ds.is_image and estimator.window is not None:
        return dataclasses.replace(ds, X=sliding_windows(np.asarray(ds.X), estimator.window, estimator.stride),
                                   y=None)
    return ds


def input_for_run(info: dict[str, Any], data: str, *, split: str, label_column: str | None) -> Dataset:
    """Load ``data`` for a trained run; a table's label column defaults to the one it was trained with."""
    if label_column is not None or not info.get("label_column"):
        return load_input(data, split=split, label_column=label_column)
    try:
        return load_input(data, split=split, label_column=info["label_column"])
    except InputError:  # new data without the training label column: read it whole
        return load_input(data, split=split, label_column=None)
