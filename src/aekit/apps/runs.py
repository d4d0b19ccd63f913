"""Use a trained run folder on data: its codes, its reconstructions, its errors.

The work behind ``aekit encode``, ``aekit reconstruct`` and ``aekit evaluate``. Each takes
a run folder (or its config.json) and a data source, and returns a frozen result saying
what it measured and where it wrote.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aekit.apps._families import family_metrics, is_series, write_reconstructions_png
from aekit.apps.baselines import Baseline, pca_reconstruction, reconstruction_fix
from aekit.data.checks import check_feature_names
from aekit.data.dataset import Dataset
from aekit.data.splits import is_dataset_name, load_input, load_train_test, source_name
from aekit.data.windows import sliding_windows
from aekit.errors import InputError
from aekit.estimators import load
from aekit.io.model_file import resolve_model_path
from aekit.io.run_dir import ARRAY_SUFFIXES, write_array, write_json
from aekit.metrics.reconstruction import reconstruction_metrics


@dataclass(frozen=True)
class OpenedRun:
    """A trained model, its run folder, the folder's run.json (empty if absent), and the data to use it on."""

    estimator: Any
    run_dir: Path
    info: dict[str, Any]
    data: Dataset


def load_run(run: str | Path, *, device: str | None = None) -> tuple[Any, Path, dict[str, Any]]:
    """A trained model, its run folder, and the folder's ``run.json`` (empty if absent).

    ``device`` is where the model runs (:func:`aekit.load`): by default where it was
    trained, or "auto" when that device is not here."""
    estimator = load(run, device=device)
    run_dir = resolve_model_path(run).parent
    try:
        info = json.loads((run_dir / "run.json").read_text())
    except (OSError, ValueError, RecursionError):  # unreadable, not JSON, nested past Python's limit
        info = {}
    return estimator, run_dir, info if isinstance(info, dict) else {}


def input_for_run(info: dict[str, Any], data: str, *, split: str, label_column: str | None) -> Dataset:
    """Load ``data`` for a trained run; a table's label column defaults to the one it was trained with.

    A table whose columns differ in names or order from the training table's (recorded in
    ``run.json``) is refused: its codes would be silently wrong.
    """
    if label_column is not None or not info.get("label_column"):
        ds = load_input(data, split=split, label_column=label_column)
    else:
        try:
            ds = load_input(data, split=split, label_column=info["label_column"])
        except InputError:  # new data without the training label column: read it whole
            ds = load_input(data, split=split, label_column=None)
    fitted = info.get("columns")
    if isinstance(fitted, list) and ds.columns is not None and not ds.is_image:
        check_feature_names(fitted, list(ds.columns), what=ds.name, owner="this run's model")
    return ds


def open_run(run: str | Path, data: str, *, split: str = "test", label_column: str | None = None,
             device: str | None = None) -> OpenedRun:
    """Load the model of ``run`` (on ``device``, see :func:`load_run`) and the data ``data``
    (a named set's ``split``, or a whole file)."""
    estimator, run_dir, info = load_run(run, device=device)
    return OpenedRun(estimator, run_dir, info, input_for_run(info, data, split=split, label_column=label_column))


def model_input(estimator: Any, ds: Dataset) -> Dataset:
    """What ``estimator`` measures samples on: a recurrent model's series cut into its windows
    (``window``, ``stride``), anything else as it is."""
    if is_series(estimator) and ds.X.ndim == 2 and not ds.is_image and estimator.window is not None:
        return dataclasses.replace(ds, X=sliding_windows(np.asarray(ds.X), estimator.window, estimator.stride),
                                   y=None)
    return ds


def check_array_path(out: str | Path) -> Path:
    """``out`` if it names a .npy or .csv file, else an InputError saying so."""
    out = Path(out)
    if out.suffix.lower() not in ARRAY_SUFFIXES:
        raise InputError(f"--out {out} must end in {' or '.join(ARRAY_SUFFIXES)} (a NumPy array or a CSV table).")
    return out


@dataclass(frozen=True)
class Written:
    """An array a run computed for some data, and where it went."""

    data_name: str
    array: np.ndarray
    path: Path
    picture: Path | None = None


def encode_run(run: str | Path, data: str, out: str | Path, *, split: str = "test",
               label_column: str | None = None, device: str | None = None) -> Written:
    """Write the codes of ``data`` under the model of ``run`` to ``out`` (.npy, or .csv with columns z0, z1, ...),
    computed on ``device`` (:func:`load_run`)."""
    out = check_array_path(out)
    opened = open_run(run, data, split=split, label_column=label_column, device=device)
    codes = opened.estimator.transform(opened.data.X)
    write_array(out, codes, columns=[f"z{i}" for i in range(codes.shape[1])])
    return Written(opened.data.name, codes, out)


def reconstruct_run(run: str | Path, data: str, out: str | Path, *, split: str = "test",
                    label_column: str | None = None, device: str | None = None) -> Written:
    """Write the reconstructions of ``data`` to ``out`` (.npy in the input's shape, or .csv one flat row
    per sample); for images also a picture of the first ten beside it (same name, .png). Computed on
    ``device`` (:func:`load_run`)."""
    out = check_array_path(out)
    ds = open_run(run, data, split=split, label_column=label_column, device=device)
    x_hat = ds.estimator.predict(ds.data.X)
    columns = list(ds.data.columns) if ds.data.columns is not None and x_hat.ndim == 2 else None
    write_array(out, x_hat, columns=columns)
    picture = None
    if ds.data.is_image:
        picture = write_reconstructions_png(out.with_suffix(".png"), ds.data, ds.data.X[:10], x_hat[:10],
                                            title=f"{ds.data.name} (top) and reconstructions (bottom)")
    return Written(ds.data.name, x_hat, out, picture)


def pca_for_run(opened: OpenedRun, data: str, X: np.ndarray, ours: float, *, key: str = "mse",
                label_column: str | None = None) -> Baseline:
    """PCA with the run's ``latent_dim`` components beside ``ours``, its MSE on ``X`` (the
    run's model input for ``data``).

    For a named data set PCA is fitted on that set's training split (at most 10,000 rows);
    for a file, or a recurrent model's windows, on ``X`` itself, which gives PCA the best
    linear code of ``X`` (in-sample: a bound aekit must beat out of sample), said in the line.
    """
    estimator = opened.estimator
    latent = int(estimator.spec_.latent_dim)
    fix = reconstruction_fix(list(getattr(estimator, "history_", []) or []), int(estimator.epochs), latent)
    fix = "retrain with " + fix.replace("; the loss was still falling", " (its loss was still falling)")
    if is_dataset_name(data) and not is_series(estimator):
        column = label_column if label_column is not None else opened.info.get("label_column")
        train, _, _ = load_train_test(data, label_column=column)
        return pca_reconstruction(train.X, X, latent, ours=ours, fix=fix, key=key)
    return pca_reconstruction(X, X, latent, ours=ours, fix=fix, key=key, note="in-sample, the data itself")


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_run` measured (the JSON it wrote) and where; ``baseline`` is
    PCA's error beside the model's (None with ``baseline=False``)."""

    data_name: str
    n_samples: int
    metrics: dict[str, Any]
    path: Path
    baseline: Baseline | None = None


def evaluate_run(run: str | Path, data: str, *, split: str = "test", label_column: str | None = None,
                 out: str | Path | None = None, baseline: bool = True, device: str | None = None) -> Evaluation:
    """Measure the reconstruction error of the model of ``run`` on ``data`` and write it as JSON.

    Keys: ``mse``, ``bce`` (data in [0, 1] only), ``loss`` and ``mean_score`` (= -loss) of
    :func:`aekit.metrics.reconstruction.reconstruction_metrics`, then the family's own
    measures (``elbo``, ``kl``, ``psnr_noisy``, ...). A recurrent model is measured per
    window of the series. ``out`` defaults to ``<run>/evaluation-<data>[-<split>].json``.
    With ``baseline`` the JSON also holds "baseline": PCA with the run's ``latent_dim``
    components (:func:`pca_for_run`). The model runs on ``device`` (:func:`load_run`).
    """
    opened = open_run(run, data, split=split, label_column=label_column, device=device)
    estimator = opened.estimator
    ds = model_input(estimator, opened.data)
    named = is_dataset_name(data)
    metrics: dict[str, Any] = {"data": ds.name, "split": split if named else None, "n_samples": len(ds)}
    metrics.update(reconstruction_metrics(estimator, ds.X))
    metrics["mean_score"] = -metrics["loss"]
    metrics.update(family_metrics(estimator, ds.X))
    pca = None
    if baseline:
        pca = pca_for_run(opened, data, np.asarray(ds.X), metrics["mse"], label_column=label_column)
        metrics["baseline"] = pca.to_dict()
    name = source_name(data) + (f"-{split}" if named else "")
    target = write_json(out if out is not None else opened.run_dir / f"evaluation-{name}.json", metrics)
    return Evaluation(ds.name, len(ds), metrics, target, pca)
