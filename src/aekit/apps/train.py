"""Train an autoencoder into a run folder: the work behind ``aekit train`` and ``aekit demo``.

:func:`train_run` strings the library together: split the data (:mod:`aekit.data.splits`)
-> build the estimator (:data:`aekit.apps._families.MODELS`) -> ``fit`` -> ``save`` ->
history, metrics (:mod:`aekit.metrics`), figures (:mod:`aekit.plots`) and each family's
extras (:data:`aekit.apps._families.FAMILY_EXTRAS`) -> the report, if a writer is given.
A compressor (``model="compress"``) takes its own path after the split: one model per
rate, each measured in bits per pixel, PSNR and SSIM beside JPEG
(:func:`aekit.apps.compress.rate_distortion`).

Example
-------
>>> from aekit.apps.train import train_run                      # doctest: +SKIP
>>> from aekit.report import write_report
>>> result = train_run("table.csv", "runs/t", model="dense", params={"latent_dim": 4, "epochs": 30},
...                    label_column="label", write_report=write_report)
>>> result.metrics["test_mse"], result.report
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

import numpy as np

from aekit.apps._families import (MODELS, family_files, family_metrics, is_compressor, is_series, make_estimator,
                                  sequence_files, write_reconstructions_png)
from aekit.apps.baselines import Baseline, pca_reconstruction, reconstruction_fix
from aekit.apps.compress import N_EVAL, RatePoint, rate_distortion
from aekit.data.dataset import Dataset
from aekit.data.splits import load_series_train_test, load_train_test, source_name
from aekit.errors import InputError
from aekit.estimators import load
from aekit.estimators._params import defaults
from aekit.io.run_dir import (LOCK_NAME, RUN_FILES, check_run_dir, locked_run_dir, write_history_csv,
                              write_json)
from aekit.metrics.reconstruction import reconstruction_metrics
from aekit.plots.training import plot_history
from aekit.train.callbacks import ProgressBar

ModelName = Literal["dense", "conv", "vae", "conv-vae", "recurrent", "compress"]


class EstimatorParams(TypedDict, total=False):
    """The estimator keywords a run may set, under the constructors' names (see
    :data:`aekit.apps._families.MODELS` for which estimator takes which); the ones left
    out keep that estimator's own default."""

    latent_dim: int
    model: str
    hidden: tuple[int, ...]
    channels: tuple[int, ...]
    activation: str
    code_activation: str | None
    output: str
    loss: str
    noise: str | None
    noise_level: float
    sparsity: str | None
    sparsity_weight: float | None
    sparsity_target: float
    sparsity_decay: float
    contractive: float
    center_inputs: bool
    pretrain_epochs: int
    beta: float
    likelihood: str
    kl_warmup: int
    binarize: bool
    cell: str
    hidden_size: int
    num_layers: int
    window: int | None
    stride: int
    rate_lambda: float | tuple[float, ...]
    prior: str
    latent_channels: int
    epochs: int
    batch_size: int
    lr: float
    lr_schedule: str
    clip_grad_norm: float | None
    early_stopping: int | None
    validation_fraction: float
    device: str
    random_state: int | None
    compile: bool


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_run` trained, measured and wrote.

    Attributes
    ----------
    estimator : Autoencoder, VariationalAutoencoder, SequenceAutoencoder or ImageCompressor
        The fitted model (also saved in ``run_dir``; a compressor run's first rate).
    run_dir : Path
    metrics : dict
        The contents of ``metrics.json``: test and train reconstruction errors, the
        family's measures, epochs, seconds, sizes.
    files : dict of str to Path
        Every file written, by name ("config", "history", "loss_curves", ...).
    report : Path or None
        ``report.html``, when a report writer was given.
    start_epoch : int
        Epochs already done before this call (a resumed run), else 0.
    epochs_this_run : int
    seconds_this_run : float
    test_source : str
        A sentence saying where the test data came from.
    baseline : Baseline or None
        PCA with as many components as the code, fitted on the same training split and
        measured on the same test split (also under "baseline" in ``metrics``); None with
        ``baseline=False`` and for a compressor.
    rates : tuple of RatePoint
        A compressor's rates on the test images, most bits first, each beside JPEG at the
        closest rate (empty for the other models).
    """

    estimator: Any
    run_dir: Path
    metrics: dict[str, Any]
    files: dict[str, Path]
    report: Path | None
    start_epoch: int
    epochs_this_run: int
    seconds_this_run: float
    test_source: str
    baseline: Baseline | None = None
    rates: tuple[RatePoint, ...] = ()


def run_folder(data: str, model: str, latent_dim: int | None = None) -> Path:
    """The default run folder ``runs/<data>-<model>-<latent_dim>`` (the model's own latent_dim if None;
    a compressor's size is its ``latent_channels``)."""
    if latent_dim is None:
        size = "latent_channels" if model == "compress" else "latent_dim"
        latent_dim = defaults(MODELS[model].estimator.__name__)[size]
    return Path("runs") / f"{source_name(data)}-{model}-{latent_dim}"


def check_rate_lambdas(value: float | Sequence[float]) -> tuple[float, ...]:
    """A compressor run's ``rate_lambda``: one number or several, each positive and finite, none twice."""
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    fix = "give one or more positive numbers, e.g. --rate-lambda 0.003,0.01,0.03 (larger = smaller files)"
    if not values:
        raise InputError(f"rate_lambda is empty; {fix}.")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise InputError(f"rate_lambda must be positive and finite, got {v!r}; {fix}.")
    if len(set(values)) < len(values):
        raise InputError(f"rate_lambda {', '.join(f'{v:g}' for v in values)} names a rate twice; {fix}, each once.")
    return tuple(float(v) for v in values)


class _EpochCounter:
    """Remembers where a (possibly resumed) fit started and how many epochs it ran."""

    def __init__(self) -> None:
        self.start_epoch = 0
        self.epochs = 0

    def on_train_begin(self, *, epochs: int, start_epoch: int, batches: int) -> None:
        self.start_epoch = start_epoch

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        self.epochs += 1


def train_run(data: str, out: str | Path, *, model: ModelName = "dense",
              params: EstimatorParams | Mapping[str, Any] | None = None, label_column: str | None = None,
              resume: bool = False, overwrite: bool = False, progress: bool = True, validate_on_test: bool = False,
              command: str = "train", baseline: bool = True,
              write_report: Callable[[Path], Path] | None = None) -> TrainResult:
    """Train model ``model`` on ``data`` and fill the run folder ``out``.

    Writes ``config.json`` + ``model.safetensors`` (the model), ``checkpoint.safetensors``
    (every epoch), ``history.csv``, ``metrics.json``, ``run.json`` (data and split),
    ``loss_curves.png``, ``reconstructions.png``, each family's own files (see
    :mod:`aekit.apps._families`) and, with ``write_report``, ``report.html``. A compressor
    run writes its rates instead of reconstructions (:func:`train_compressor_into`).

    Parameters
    ----------
    data : str
        A data-set name ("default", "mnist", ...) or a path (table, array, image folder;
        one time series for ``model="recurrent"``). The split is
        :func:`aekit.data.splits.load_train_test` (or ``load_series_train_test``).
    out : str or Path
        The run folder; refused if it holds a run, unless ``resume`` or ``overwrite``.
        A folder created here is removed again if the run fails before training.
    model : {"dense", "conv", "vae", "conv-vae", "recurrent", "compress"}, default="dense"
        A key of :data:`aekit.apps._families.MODELS`. ``"compress"`` takes images only; see
        :func:`train_compressor_into` for what its run holds.
    params : EstimatorParams, optional
        Estimator keywords; those left out keep the estimator's own defaults. A
        compressor's ``rate_lambda`` may be several numbers: one model per rate.
    label_column : str, optional
        A table's label column, left out of the features.
    resume : bool, default=False
        Continue from the checkpoint in ``out``; a finished run is not trained again
        (its files are rewritten).
    overwrite : bool, default=False
        Replace the run in ``out``.
    progress : bool, default=True
        Show a progress bar.
    validate_on_test : bool, default=False
        Use the test split as validation data (its loss in the history).
    command : str, default="train"
        Recorded in ``run.json``.
    baseline : bool, default=True
        Also fit PCA with ``latent_dim`` components on the training split (at most
        10,000 rows; a recurrent model's windows flattened) and measure its test MSE
        (:func:`aekit.apps.baselines.pca_reconstruction`).
    write_report : callable, optional
        Called with the finished run folder, returning the page it wrote, e.g.
        :func:`aekit.report.write_report` (apps and report are sibling layers, so the
        caller hands it in).

    Returns
    -------
    TrainResult
    """
    out = Path(out)
    params = dict(params or {})
    lambdas: tuple[float, ...] = ()
    if model == "compress":
        lambdas = check_rate_lambdas(params.get("rate_lambda", defaults("ImageCompressor")["rate_lambda"]))
        params["rate_lambda"] = lambdas[0]
    estimator = make_estimator(model, params)
    check_run_dir(out, overwrite=overwrite, resume=resume)  # refuse before any slow loading
    first_steps = None
    if is_series(estimator):
        train, test, test_source, first_steps = load_series_train_test(
            data, estimator.window, estimator.stride, label_column=label_column)
    else:
        train, test, test_source = load_train_test(data, label_column=label_column)
    if is_compressor(estimator) and not train.is_image:
        what = f"a table of {train.X.shape[1]} columns" if train.X.ndim == 2 else f"an array of shape {train.X.shape}"
        raise InputError(f"--model compress compresses images, but {train.name} holds {what}. Give images (a folder "
                         "of images, mnist, or an .npy of shape (N, H, W) or (N, C, H, W)), or train another model "
                         "(--model dense) on tables.")
    created = not out.exists()
    # One writer at a time: a second run into this folder is refused while this one holds it.
    with locked_run_dir(out, overwrite=overwrite, resume=resume) as run_dir:
        # run.json first: a run killed in its first epochs still says what it was.
        record = {"command": command, "data": data, "model": model, "label_column": label_column,
                  "test_data": test_source, "validation_data": "test split" if validate_on_test else None,
                  "params": estimator.get_params(), **({"rate_lambdas": list(lambdas)} if lambdas else {}),
                  "columns": None if train.columns is None or train.is_image else list(train.columns)}
        write_json(run_dir / "run.json", record)
        try:
            if is_compressor(estimator):
                return train_compressor_into(run_dir, estimator, lambdas, train, test, test_source, resume=resume,
                                             overwrite=overwrite, progress=progress, validate_on_test=validate_on_test,
                                             baseline=baseline, write_report=write_report)
            return _train_into(run_dir, estimator, model, train, test, test_source, first_steps, resume=resume,
                               progress=progress, validate_on_test=validate_on_test, baseline=baseline,
                               write_report=write_report)
        except BaseException:
            if created and {p.name for p in run_dir.iterdir()} <= {"run.json", LOCK_NAME}:  # nothing trained:
                (run_dir / "run.json").unlink(missing_ok=True)  # leave no trace (the folder goes with the lock)
            raise


def _train_into(run_dir: Path, estimator: Any, model: str, train: Dataset, test: Dataset, test_source: str,
                first_steps: np.ndarray | None, *, resume: bool, progress: bool, validate_on_test: bool,
                baseline: bool, write_report: Callable[[Path], Path] | None) -> TrainResult:
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
    metrics = _metrics(estimator, model, train, test, history)
    pca = None
    if baseline:
        latent = int(estimator.spec_.latent_dim)
        pca = pca_reconstruction(train.X, test.X, latent, ours=metrics["test_mse"],
                                 fix=reconstruction_fix(history, int(estimator.epochs), latent))
        metrics["baseline"] = pca.to_dict()
    files["metrics"] = write_json(run_dir / "metrics.json", metrics)
    files["run"] = run_dir / "run.json"

    loss = metrics.get("loss")
    latent = estimator.spec_.latent_dim
    title = f"{model} autoencoder on {train.name}" + (f", {loss.upper()} loss" if loss else "")
    if history:
        files["loss_curves"] = plot_history(history, run_dir / "loss_curves.png", title=title)
    if first_steps is not None:
        files.update(sequence_files(
            run_dir, estimator, test, first_steps,
            title=f"Test windows (solid) and their reconstructions (dashed), latent_dim={latent}"))
    else:
        sample = test.X[:10]
        files["reconstructions"] = write_reconstructions_png(
            run_dir / "reconstructions.png", test, sample, estimator.predict(sample),
            title=f"Test samples (top) and their reconstructions (bottom), latent_dim={latent}")
    files.update(family_files(run_dir, estimator, test, title))
    report = write_report(run_dir) if write_report is not None else None
    return TrainResult(estimator=estimator, run_dir=run_dir, metrics=metrics, files=files, report=report,
                       start_epoch=counter.start_epoch, epochs_this_run=counter.epochs,
                       seconds_this_run=seconds, test_source=test_source, baseline=pca)


def _metrics(estimator: Any, model: str, train: Dataset, test: Dataset,
             history: list[dict[str, Any]]) -> dict[str, Any]:
    """metrics.json: reconstruction errors on test and train, the family's measures, the run's size."""
    loss = estimator.get_params().get("loss")  # a VAE's loss is the ELBO, a recurrent one's MSE
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
    return metrics


def rate_folder(run_dir: Path, rate_lambda: float, lambdas: Sequence[float]) -> Path:
    """Where a compressor run keeps the model of ``rate_lambda``: the run folder itself for a
    run of one rate, else its sub-folder ``lambda-<rate_lambda>``."""
    return run_dir if len(lambdas) == 1 else run_dir / f"lambda-{rate_lambda:g}"


def train_compressor_into(run_dir: Path, estimator: Any, lambdas: Sequence[float], train: Dataset, test: Dataset,
                          test_source: str, *, resume: bool = False, overwrite: bool = False, progress: bool = True,
                          validate_on_test: bool = False, baseline: bool = True,
                          write_report: Callable[[Path], Path] | None = None) -> TrainResult:
    """Train an :class:`~aekit.estimators.ImageCompressor` per rate into ``run_dir`` and measure each.

    The rates are trained from the smallest ``rate_lambda`` (most bits) up: the first for
    the estimator's ``epochs``, each next one continuing the previous model
    (``warm_start``) for a quarter of them (at least 1), the schedule
    ``benchmarks/bench_compress.py`` uses (8 epochs, then 2 per rate). One rate's model
    is the run folder itself; with several, each is in ``lambda-<rate_lambda>/`` and the
    run folder holds the first one given, so ``aekit compress RUN``, ``aekit decompress
    --model RUN`` and :func:`aekit.load` take the folder or any sub-folder. A rate's
    checkpoint is in its folder: ``resume`` continues the rate a run was killed in and
    skips the finished ones.

    Then each model codes the first :data:`~aekit.apps.compress.N_EVAL` test images
    (:func:`aekit.apps.compress.rate_distortion`): bits per pixel, PSNR and SSIM, beside
    JPEG at the quality closest in rate unless not ``baseline``, in ``metrics.json``
    under ``rates``; ``rate_distortion.png`` and ``decoded_lambda-<rate_lambda>.png``
    show them. ``history.csv`` and ``loss_curves.png`` follow the one network through
    all rates (a ``rate_lambda`` column says which).
    """
    lambdas = tuple(lambdas)
    if overwrite:
        _remove_compressor_files(run_dir)
    first_epochs = int(estimator.epochs)
    counter = _EpochCounter()
    callbacks: list[Any] = [counter, *([ProgressBar()] if progress else [])]
    history: list[dict[str, Any]] = []
    models: dict[str, Any] = {}
    t0 = time.perf_counter()
    for i, lam in enumerate(sorted(lambdas)):
        folder = rate_folder(run_dir, lam, lambdas)
        estimator.set_params(rate_lambda=lam, warm_start=len(lambdas) > 1,
                             epochs=first_epochs if i == 0 else max(1, first_epochs // 4))
        estimator.fit(train.X, validation_data=test.X if validate_on_test else None, checkpoint_dir=folder,
                      resume=resume, callbacks=callbacks)
        estimator.save(folder)
        done = len(history)  # epochs of the earlier rates: the one network's history runs on
        history += [{**record, "epoch": done + j + 1, "rate_lambda": lam}
                    for j, record in enumerate(estimator.history_)]
        models[folder.relative_to(run_dir).as_posix()] = load(folder)  # as aekit compress will read it
    seconds = time.perf_counter() - t0
    first = models[rate_folder(run_dir, lambdas[0], lambdas).relative_to(run_dir).as_posix()]
    files = {"config": run_dir / "config.json" if len(lambdas) == 1 else first.save(run_dir),
             "weights": run_dir / "model.safetensors"}
    files["history"] = write_history_csv(run_dir / "history.csv", history)

    for stale in run_dir.glob("decoded_lambda-*.png"):  # an earlier run's rates
        stale.unlink()
    rd = rate_distortion(models, test.X[:N_EVAL], run_dir, baseline=baseline,
                         name=f"test images of {test.name}")
    files.update(rd.figures)
    n_eval = rd.n_images
    metrics: dict[str, Any] = {
        "data": train.name, "model": "compress", "rate_lambdas": list(lambdas),
        "eval_data": f"the first {n_eval:,} of {len(test):,} test images ({test_source})",
        "rates": {f"lambda-{p.rate_lambda:g}": p.to_dict() for p in rd.points},
        "baseline": "JPEG (Pillow), 10x10 mosaics, the quality closest in rate" if rd.jpeg else None,
        "train_loss_final": history[-1]["loss"] if history else None,
        "epochs_run": len(history), "seconds": float(sum(r.get("seconds", 0.0) for r in history)),
        "n_train": len(train), "n_test": len(test), "n_eval": n_eval,
        "latent_channels": int(estimator.latent_channels),
        "n_parameters": int(sum(p.numel() for p in estimator.module_.parameters())),
    }
    files["metrics"] = write_json(run_dir / "metrics.json", metrics)
    files["run"] = run_dir / "run.json"
    if history:
        rates = ", ".join(f"{lam:g}" for lam in sorted(lambdas))
        files["loss_curves"] = plot_history(history, run_dir / "loss_curves.png", skip=("seconds", "rate_lambda"),
                                            title=f"Compressor on {train.name}, rate_lambda {rates} in turn "
                                                  "(MSE + rate_lambda bits per pixel)")
    report = write_report(run_dir) if write_report is not None else None
    return TrainResult(estimator=first, run_dir=run_dir, metrics=metrics,
                       files=files, report=report, start_epoch=len(history) - counter.epochs,
                       epochs_this_run=counter.epochs, seconds_this_run=seconds, test_source=test_source,
                       rates=rd.points)


def _remove_compressor_files(run_dir: Path) -> None:
    """What an earlier compressor run wrote beside :data:`~aekit.io.run_dir.RUN_FILES`, before ``overwrite``."""
    (run_dir / "rate_distortion.png").unlink(missing_ok=True)
    for folder in run_dir.glob("lambda-*"):
        if folder.is_dir():
            for name in RUN_FILES:
                (folder / name).unlink(missing_ok=True)
