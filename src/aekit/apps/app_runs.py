"""From a data source and a run folder to a written run: the work behind ``aekit detect``,
``aekit denoise``, ``aekit generate`` and ``aekit compress``.

The application modules (:mod:`~aekit.apps.detect`, :mod:`~aekit.apps.denoise`,
:mod:`~aekit.apps.generate`, :mod:`~aekit.apps.compress`) take arrays and fitted models. Each
function here takes what a command line has instead (a data-set name or path, a run folder),
reads them, calls that module's function once, and, where it writes a run folder, adds
``metrics.json`` (the numbers, aekit's and the classical baseline's side by side) and the HTML
report (``write_report`` is passed in, as :func:`aekit.apps.train.train_run` takes it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aekit.apps.compress import CompressResult, compress_images
from aekit.apps.denoise import DenoiseResult, denoise, load_denoiser, train_denoiser
from aekit.apps.detect import DetectResult, detect
from aekit.apps.generate import GenerateResult, generate
from aekit.apps.runs import input_for_run, load_run
from aekit.data.corruption import add_noise
from aekit.data.splits import load_input, load_train_test, source_name
from aekit.errors import InputError
from aekit.estimators import load
from aekit.estimators.compressor import ImageCompressor
from aekit.estimators.detector import AnomalyDetector
from aekit.io.run_dir import create_run_dir, write_json

PathLike = str | Path
ReportWriter = Callable[[Path], Path]

#: The σ range a blind Gaussian denoiser trains over (as in ``benchmarks/bench_denoise.py``).
BLIND_RANGE: tuple[float, float] = (0.0, 0.55)


def _report(folder: Path, metrics: dict[str, Any], write_report: ReportWriter | None) -> Path | None:
    write_json(folder / "metrics.json", metrics)
    return write_report(folder) if write_report is not None else None


def _data(data: str, *, split: str, label_column: str | None = None, info: dict[str, Any] | None = None,
          time_column: str | None = None) -> Any:
    if time_column is not None:  # a named time column: read here, as input_for_run reads the rest
        from aekit.data.splits import load_input

        info = info or {}
        try:
            ds = load_input(data, split=split, label_column=label_column or info.get("label_column"),
                            time_column=time_column)
        except InputError:
            if label_column is not None or not info.get("label_column"):
                raise
            ds = load_input(data, split=split, time_column=time_column)  # new data without the label column
        fitted = info.get("columns")
        if isinstance(fitted, list) and ds.columns is not None:
            from aekit.data.checks import check_feature_names

            check_feature_names(fitted, list(ds.columns), what=ds.name, owner="this run's model")
        return ds
    return input_for_run(info or {}, data, split=split, label_column=label_column)


# ---------------------------------------------------------------------------- detect
@dataclass(frozen=True)
class DetectRun:
    """What :func:`detect_run` did: the app's result, the data's name, the folder and its report."""

    result: DetectResult
    data_name: str
    run_dir: Path
    has_labels: bool
    report: Path | None = None


def detect_run(data: str, out: PathLike | None = None, *, run: PathLike | None = None, contamination: float = 0.05,
               alpha: float | None = None, fdr: bool = False, calibration: str | None = None,
               label_column: str | None = None, split: str = "test", window: int | None = None, stride: int = 1,
               time_column: str | None = None, baseline: bool = True,
               n_estimators: int | None = None, epochs: int | None = None, overwrite: bool = False,
               random_state: int | None = 0,
               write_report: ReportWriter | None = None) -> DetectRun:
    """Flag the anomalies in ``data`` with :func:`aekit.apps.detect.detect` and write a run folder.

    Parameters
    ----------
    data : str
        A data-set name or a path (CSV, Parquet, .npy/.npz, image folder).
    out : path, optional
        The run folder; default ``runs/<data>-detect``. It gets the app's files
        (``scores.csv``, ``score_histogram.png``, ``detect.json``, ...), the fitted detector
        (``config.json`` + ``model.safetensors``: ``aekit detect OUT --data new.csv`` reuses
        it; ``run.json`` keeps the label column and the columns, so renamed or reordered ones
        are refused), ``metrics.json`` and ``report.html``.
    run : path, optional
        A run folder with a fitted autoencoder (wrapped) or detector (reused as it is);
        default: the default detector is fitted on ``data``.
    contamination, alpha, fdr, window, stride, baseline, random_state
        As :func:`aekit.apps.detect.detect`.
    time_column : str, optional
        The time column of a table (default: the one that parses as date-times, if any; a
        run's recorded one): ``data`` is then one series, scored over windows (``window``,
        default :func:`aekit.apps.detect.default_window`), with events in time stamps.
    n_estimators, epochs : int, optional
        Of the detector fitted here without ``run`` (default: the
        :class:`~aekit.estimators.detector.AnomalyDetector` defaults).
    calibration : str, optional
        Clean samples for conformal p-values (a name or a path, read like ``data``).
    label_column : str, optional
        A table's column with the truth (1 = anomaly), left out of the features and used only
        to report ROC-AUC beside Isolation Forest's. Labels an ``.npz`` brings along are used
        the same way when they are 0/1.
    split : {"test", "train"}, default="test"
        Which split of a named data set.
    overwrite : bool, default=False
    write_report : callable, optional
        ``aekit.report.write_report``.
    """
    model: Any = None
    info: dict[str, Any] = {}
    if run is not None:
        model, _, info = load_run(run)
    elif n_estimators is not None or epochs is not None:
        sizes: dict[str, Any] = {"epochs": epochs}
        if n_estimators is not None:
            sizes["n_estimators"] = n_estimators
        model = AnomalyDetector(contamination=contamination, window=window, stride=stride, random_state=random_state,
                                **sizes)
    time_column = time_column or info.get("time_column")
    ds = _data(data, split=split, label_column=label_column, info=info, time_column=time_column)
    label_column = label_column or info.get("label_column")
    y = ds.y
    if y is not None and not np.isin(np.asarray(y), (0, 1)).all():
        if label_column is not None:
            raise InputError(f"the label column {label_column!r} of {ds.name} must hold 0 (normal) and 1 (anomaly), "
                             f"got values such as {sorted(set(np.asarray(y).ravel().tolist()))[:5]}.")
        y = None  # class labels (a named data set, an .npz): not anomaly labels
    cal_ds = None if calibration is None else _data(calibration, split=split, label_column=label_column,
                                                    time_column=time_column)
    cal = None if cal_ds is None else cal_ds.X
    folder = Path(out) if out is not None else Path("runs") / f"{source_name(data)}-detect"
    result = detect(ds.X, model=model, y=y, contamination=contamination, alpha=alpha, fdr=fdr, calibration=cal,
                    window=window, stride=stride, time_index=ds.time_index, baseline=baseline, out=folder,
                    overwrite=overwrite, random_state=random_state)
    result.detector.save(folder)
    write_json(folder / "run.json", {"command": "detect", "data": data, "label_column": label_column,
                                     "time_column": time_column,
                                     "columns": None if ds.columns is None else list(ds.columns)})
    metrics = {"data": ds.name, "n_samples": result.n_samples, "n_flagged": result.n_flagged,
               "threshold": result.threshold, "alpha": alpha, "fdr": fdr,
               "contamination": None if alpha is not None else result.detector.contamination,
               "roc_auc": result.roc_auc, "pr_auc": result.pr_auc,
               "isolation_forest_roc_auc": result.baseline_roc_auc, "isolation_forest_pr_auc": result.baseline_pr_auc,
               "fit_seconds": result.fit_seconds, "isolation_forest_fit_seconds": result.baseline_fit_seconds,
               "model": str(run) if run is not None else "AnomalyDetector (defaults)"}
    return DetectRun(result, ds.name, folder, y is not None, _report(folder, metrics, write_report))


# ---------------------------------------------------------------------------- denoise
@dataclass(frozen=True)
class DenoiseRun:
    """What :func:`denoise_run` did: the app's result, the noise it added (if any), the folder, the report."""

    result: DenoiseResult
    data_name: str
    run_dir: Path
    noise: str | None
    level: float | None
    trained: str | None
    report: Path | None = None


def denoise_run(data: str, out: PathLike | None = None, *, run: PathLike | None = None, noise: str | None = None,
                noise_level: float = 0.3, blind: bool = False, clean: str | None = None, model: str = "residual",
                depth: int = 8, width: int = 48, latent_dim: int = 32, epochs: int = 10, batch_size: int = 128,
                n_show: int = 10, write_images: bool = False, baseline: bool = True, device: str = "auto",
                overwrite: bool = False, random_state: int | None = 0, verbose: bool = False,
                write_report: ReportWriter | None = None) -> DenoiseRun:
    """Clean images with :func:`aekit.apps.denoise.denoise` and write a run folder.

    Two ways in:

    - ``noise`` (or ``blind``) given: ``data`` holds **clean** images. Their test part (a named
      set's test split, else the fixed 10% of ``aekit train``) gets that noise (seeded) and is
      cleaned, so PSNR/SSIM are always measured. Without ``run`` a denoiser is first trained on
      the training part (:func:`~aekit.apps.denoise.train_denoiser`; ``blind``: over
      σ ~ U[0, 0.55], then tested at ``noise_level``).
    - no ``noise``: ``data`` holds **noisy** images, cleaned by the model of ``run`` (an
      autoencoder trained with noise); ``clean`` (their clean versions) adds PSNR/SSIM.

    ``run`` is a folder of ``aekit train`` (an autoencoder) or of an earlier ``aekit denoise``
    that trained a denoiser (:func:`~aekit.apps.denoise.load_denoiser`). The folder holds
    ``denoised.npy``, ``denoise_grid.png``, optionally ``images/``, ``metrics.json`` (PSNR/SSIM
    of noisy, denoised and, unless ``baseline=False``, the 3×3 median filter), ``report.html``
    and, when a denoiser was trained here, that denoiser (``config.json`` +
    ``model.safetensors``: pass the folder as ``run`` to reuse it).
    """
    if blind and noise is None:
        noise = "gaussian"
    if noise is None and run is None:
        raise InputError("denoise needs a model or a noise to train one for: pass a run folder (RUN, an autoencoder "
                         "trained with --noise), or --noise/--blind to train a denoiser on the clean images in --data.")
    if noise is not None and clean is not None:
        raise InputError("--clean gives the clean versions of noisy --data, but with --noise (or --blind) --data "
                         "already holds the clean images; drop one of them.")
    if blind and run is None and model != "residual":
        raise InputError(f"--blind trains one denoiser over σ ~ U[0, 0.55], which needs --model residual (the "
                         f"autoencoders train for one fixed level), got --model {model}. Drop --blind, or use "
                         "--model residual.")
    folder = create_run_dir(Path(out) if out is not None else Path("runs") / f"{source_name(data)}-denoise",
                            overwrite=overwrite)
    trained = None
    if noise is None:
        den = load_denoiser(run)  # type: ignore[arg-type]  # run is set when noise is None
        noisy = _data(data, split="test").X
        truth = None if clean is None else _data(clean, split="test").X
        name = source_name(data)
    else:
        if run is not None:
            den = load_denoiser(run)
            test = _data(data, split="test")
        else:
            train, test, _ = load_train_test(data)
            level: Any = BLIND_RANGE if blind else noise_level
            den = train_denoiser(train.X, noise=noise, level=level, model=model, depth=depth, width=width,
                                 latent_dim=latent_dim, epochs=epochs, batch_size=batch_size, device=device,
                                 random_state=random_state, verbose=verbose)
            trained = f"{model}, {'blind σ ~ U[0, 0.55]' if blind else f'{noise} {noise_level}'}, {epochs} epochs"
        truth = np.asarray(test.X, dtype=np.float32)
        noisy = add_noise(truth, noise, noise_level, value_range=(0.0, 1.0), random_state=random_state)
        name = test.name
    result = denoise(den, noisy, clean=truth, out=folder, n_show=n_show, write_images=write_images,
                     baseline=baseline)
    if trained is not None:
        den.save(folder)  # the denoiser trained here: the folder is a run to reuse (aekit denoise FOLDER ...)
    metrics: dict[str, Any] = {"data": name, "n_images": len(result.denoised), "noise": noise,
                               "noise_level": noise_level if noise is not None else None, "model": trained or str(run),
                               "images_per_second": result.images_per_second,
                               **{f"psnr_{k}": v for k, v in result.psnr.items()},
                               **{f"ssim_{k}": v for k, v in result.ssim.items()}}
    return DenoiseRun(result, name, folder, noise, noise_level if noise is not None else None, trained,
                      _report(folder, metrics, write_report))


# ---------------------------------------------------------------------------- generate
@dataclass(frozen=True)
class GenerateRun:
    """What :func:`generate_run` did: the app's result, the training data's name, the folder, the report."""

    result: GenerateResult
    data_name: str
    run_dir: Path
    latent_dim: int
    report: Path | None = None


def generate_run(run: PathLike, out: PathLike | None = None, *, data: str | None = None, n: int = 64,
                 sampler: str = "gmm", n_components: int | str = "auto",
                 interpolate_pair: tuple[int, int] | None = None, steps: int = 8, traverse_dims: bool = False, baseline: bool = True, overwrite: bool = False,
                 random_state: int | None = 0, write_report: ReportWriter | None = None) -> GenerateRun:
    """Samples, interpolations and traversals of the model in ``run`` (:func:`aekit.apps.generate.generate`).

    ``data`` (default: the data the run was trained on, its training split) is what the
    mixture, the PCA-Gaussian baseline and the traversals are fitted on and what
    ``interpolate_pair`` indexes. The folder (default ``<run>/generate``) holds the PNG grids
    and ``.npy`` arrays of the app, ``metrics.json`` and ``report.html``.
    """
    model, run_dir, info = load_run(run)
    source = data if data is not None else info.get("data")
    if not source:
        raise InputError(f"{run} does not say which data it was trained on (no run.json); pass --data with the "
                         "training samples the mixture and the baseline are fitted on.")
    ds = _data(str(source), split="train", info=info)
    folder = create_run_dir(Path(out) if out is not None else run_dir / "generate", overwrite=overwrite)
    result = generate(model, ds.X, n=n, sampler=sampler, n_components=n_components,
                      interpolate_pair=interpolate_pair, steps=steps, traverse_dims=traverse_dims, baseline=baseline,
                      out=folder, random_state=random_state)
    latent_dim = int(np.asarray(model.transform(np.asarray(ds.X[:1]))).shape[1])
    metrics = {"run": str(run), "data": ds.name, "n": n, "sampler": sampler, "n_components": result.n_components,
               "latent_dim": latent_dim,
               "baseline": f"PCA-Gaussian ({min(latent_dim, len(ds))} components)" if baseline else None,
               "interpolate": list(interpolate_pair) if interpolate_pair is not None else None,
               "traverse": traverse_dims}
    return GenerateRun(result, ds.name, folder, latent_dim, _report(folder, metrics, write_report))


# ---------------------------------------------------------------------------- compress
def open_compressor(run: PathLike) -> ImageCompressor:
    """The :class:`ImageCompressor` saved in ``run``, or an InputError saying what is there instead."""
    model = load(run)
    if not isinstance(model, ImageCompressor):
        raise InputError(f"{run} holds a {type(model).__name__}, not an ImageCompressor; compress with a folder "
                         "where ImageCompressor(...).fit(images).save(folder) wrote one.")
    return model


@dataclass(frozen=True)
class CompressRun:
    """What :func:`compress_run` did: the app's result and the data's name."""

    result: CompressResult
    data_name: str


def compress_run(run: PathLike, data: str, out: PathLike, *, split: str = "test", n_show: int = 10,
                 baseline: bool = True) -> CompressRun:
    """Write the images of ``data`` to the ``.aek`` file ``out`` with the compressor saved in ``run``
    (:func:`aekit.apps.compress.compress_images`: rate, PSNR, JPEG at the same rate unless not ``baseline``,
    figures beside ``out``)."""
    out = Path(out)
    if out.suffix != ".aek":
        raise InputError(f"--out {out} must end in .aek (the compressed file to write).")
    compressor = open_compressor(run)
    ds = _data(data, split=split)
    X = np.asarray(ds.X)
    if X.ndim == 4 and X.shape[1] == 1 and compressor.input_ndim_ == 3:
        X = X[:, 0]  # the readers give (N, 1, H, W); images of a compressor fitted on (N, H, W) are stored so
    return CompressRun(compress_images(compressor, X, out, n_show=n_show, baseline=baseline), ds.name)


__all__ = ["BLIND_RANGE", "CompressRun", "DenoiseRun", "DetectRun", "GenerateRun", "compress_run", "denoise_run",
           "detect_run", "generate_run", "open_compressor"]
