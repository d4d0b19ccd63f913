"""Which estimator each ``--model`` builds, and the extra files each autoencoder family leaves.

A run folder always holds the model, history, metrics, loss curves and reconstructions
(see :mod:`aekit.cli._runs`). On top of that each family shows what makes it different:

- VAE (``vae``, ``conv-vae``): ``samples.png``, 100 decoded prior draws (images only), and
  ``test_elbo`` / ``test_kl`` in nats per sample;
- denoising (``noise``): ``denoising.png``, noisy test inputs / reconstructions / clean
  (images only), and ``test_psnr_noisy`` / ``test_psnr_denoised`` in dB;
- sparse (``sparsity``): ``mean_code_activation``, the mean |code| over test samples and units;
- contractive (``contractive``): ``mean_jacobian_norm``, the mean ‖∂h/∂x‖_F over test samples;
- stacked (``pretrain_epochs``): ``pretrain_history.csv`` and ``pretrain_loss_curves.png``;
- recurrent: ``reconstructions.png`` drawn as line plots per channel, with each window's
  error, and ``window_errors.csv`` (every test window's MSE).

Families combine (a sparse denoising model gets both sets).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from aekit import Autoencoder, SequenceAutoencoder, VariationalAutoencoder
from aekit.data import Dataset
from aekit.data.corruption import add_noise, data_range
from aekit.io.run_dir import write_array, write_history_csv
from aekit.metrics import psnr
from aekit.plots import plot_image_grid, plot_loss_curves, plot_sequence_reconstructions

#: ``--model`` -> (estimator class, fixed keyword arguments). The one place a CLI model name
#: turns into an estimator; ``load`` needs no such table (config.json names the class).
MODELS: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "dense": (Autoencoder, {"model": "dense"}),
    "conv": (Autoencoder, {"model": "conv"}),
    "vae": (VariationalAutoencoder, {"model": "dense"}),
    "conv-vae": (VariationalAutoencoder, {"model": "conv"}),
    "recurrent": (SequenceAutoencoder, {}),
}

N_SAMPLES = 100  # prior draws in samples.png: a 10 x 10 grid
N_SHOWN = 10  # test images in denoising.png
N_WINDOWS = 4  # test windows in a recurrent run's reconstructions.png
NOISE_SEED = 0  # the corruption of test data is the same on every run


def make_estimator(model: str, params: dict[str, Any]) -> Any:
    """The estimator ``--model model`` trains, with ``params`` (estimator keywords) on top."""
    cls, fixed = MODELS[model]
    return cls(**{**params, **fixed, "verbose": False})  # progress comes as a callback


def default_of(model: str, name: str) -> Any:
    """The estimator's own default for keyword ``name`` under ``--model model``."""
    return inspect.signature(MODELS[model][0]).parameters[name].default


def is_recurrent(estimator: Any) -> bool:
    return isinstance(estimator, SequenceAutoencoder)


def family_metrics(estimator: Any, X: np.ndarray, prefix: str = "") -> dict[str, float]:
    """The family-specific measures of ``estimator`` on ``X`` (empty for a plain autoencoder).

    ``prefix`` goes on the per-sample likelihoods and PSNRs (``test_elbo``); the code and
    Jacobian means keep their names.
    """
    out: dict[str, float] = {}
    if isinstance(estimator, VariationalAutoencoder):
        elbo = estimator.elbo(X)
        out[f"{prefix}elbo"], out[f"{prefix}kl"] = elbo["elbo"], elbo["kl"]
    if getattr(estimator, "noise", None) is not None:
        noisy = _noisy(estimator, X)
        out[f"{prefix}psnr_noisy"] = psnr(X, noisy)
        out[f"{prefix}psnr_denoised"] = psnr(X, estimator.predict(noisy))
    if getattr(estimator, "sparsity", None) is not None:
        out["mean_code_activation"] = float(np.mean(np.abs(estimator.transform(X))))
    if getattr(estimator, "contractive", 0.0):
        out["mean_jacobian_norm"] = float(np.mean(estimator.jacobian_norm(X)))
    return out


def _noisy(estimator: Any, X: np.ndarray) -> np.ndarray:
    """X corrupted the way the model was trained, with a fixed seed."""
    return add_noise(np.asarray(X), estimator.noise, float(estimator.noise_level), value_range=data_range(X),
                     random_state=NOISE_SEED)


def family_files(run_dir: Path, estimator: Any, test: Dataset, title: str) -> dict[str, Path]:
    """Write the family-specific pictures and tables of a training run; return them by name."""
    files: dict[str, Path] = {}
    if isinstance(estimator, VariationalAutoencoder) and test.is_image:
        files["samples"] = plot_image_grid(
            estimator.sample(N_SAMPLES, random_state=0), run_dir / "samples.png", ncols=10,
            title=f"{N_SAMPLES} samples from the prior, decoded (means), latent_dim={estimator.spec_.latent_dim}")
    if getattr(estimator, "noise", None) is not None and test.is_image:
        clean = np.asarray(test.X[:N_SHOWN])
        noisy = _noisy(estimator, clean)
        rows = np.concatenate([noisy, estimator.predict(noisy), clean])  # three rows of n images
        n = len(clean)
        captions = [caption for caption in ("noisy", "denoised", "clean") for _ in range(n)]
        files["denoising"] = plot_image_grid(
            rows, run_dir / "denoising.png", ncols=n, labels=[c if i % n == 0 else "" for i, c in enumerate(captions)],
            title=f"Test inputs with {estimator.noise} noise (level {estimator.noise_level}), "
                  "their reconstructions, and the clean originals")
    history = getattr(estimator, "pretrain_history_", None)
    if history:
        files["pretrain_history"] = write_history_csv(run_dir / "pretrain_history.csv", history)
        files["pretrain_loss_curves"] = plot_loss_curves(
            _by_stage(history), run_dir / "pretrain_loss_curves.png",
            title=f"Greedy layer-wise pre-training, {title}")
    return files


def _by_stage(history: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Pre-training records (one per stage and epoch) as one loss column per stage."""
    stages = sorted({int(r["stage"]) for r in history})
    keys = [k for k in ("loss", "val_loss") if any(k in r for r in history)]
    length = max(sum(1 for r in history if r["stage"] == s) for s in stages)
    columns: dict[str, list[float]] = {"epoch": list(range(1, length + 1))}
    for s in stages:
        records = [r for r in history if r["stage"] == s]
        for k in keys:
            values = [float(r.get(k, np.nan)) for r in records]
            columns[f"stage{s}_{k}"] = values + [np.nan] * (length - len(values))
    return columns


def sequence_files(run_dir: Path, estimator: Any, test: Dataset, first_steps: np.ndarray,
                   title: str) -> dict[str, Path]:
    """A recurrent run's reconstructions.png (line plots) and window_errors.csv."""
    windows = np.asarray(test.X)
    errors = np.mean((estimator.predict(windows) - windows) ** 2, axis=(1, 2))  # (N,) MSE per window
    shown = windows[:N_WINDOWS]
    return {
        "reconstructions": plot_sequence_reconstructions(
            shown, estimator.predict(shown), run_dir / "reconstructions.png", n=N_WINDOWS, errors=errors[:N_WINDOWS],
            channel_names=None if test.columns is None else list(test.columns), title=title),
        "window_errors": write_array(run_dir / "window_errors.csv", np.column_stack([first_steps, errors]),
                                     columns=["first_step", "mse"]),
    }
