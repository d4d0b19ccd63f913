"""Which estimator each model name builds, and the extra measures and files each family adds.

A run folder always holds the model, history, metrics, loss curves and reconstructions
(see :mod:`aekit.apps.train`). On top of that each family shows what makes it different,
one entry of :data:`FAMILY_EXTRAS` each:

- VAE (``vae``, ``conv-vae``): ``samples.png``, 100 decoded prior draws (images only), and
  ``test_elbo`` / ``test_kl`` in nats per sample;
- denoising (``noise``): ``denoising.png``, noisy test inputs / reconstructions / clean
  (images only), and ``test_psnr_noisy`` / ``test_psnr_denoised`` in dB;
- sparse (``sparsity``): ``mean_code_activation``, the mean |code| over test samples and units;
- contractive (``contractive``): ``mean_jacobian_norm``, the mean ‖∂h/∂x‖_F over test samples;
- stacked (``pretrain_epochs``): ``pretrain_history.csv`` and ``pretrain_loss_curves.png``.

Families combine (a sparse denoising model gets both sets). A recurrent model's run differs
in its split and its reconstructions instead (:func:`sequence_files`): line plots per
channel with each window's error, and ``window_errors.csv``. A compressor (``compress``)
is measured in bits instead of reconstruction error: its run is
:func:`aekit.apps.train.train_run`'s own path (one model per rate, the rate–distortion
curve beside JPEG).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from aekit.data.corruption import add_noise, data_range
from aekit.data.dataset import Dataset
from aekit.estimators import Autoencoder, ImageCompressor, SequenceAutoencoder, VariationalAutoencoder
from aekit.io.run_dir import write_array, write_history_csv
from aekit.metrics import psnr
from aekit.plots import plot_image_grid, plot_reconstructions, plot_sequence_reconstructions
from aekit.plots.training import plot_denoising, plot_stage_history


class ModelEntry(NamedTuple):
    """What a model name builds: the estimator class and the keywords it fixes."""

    estimator: type[Any]
    fixed: dict[str, Any]


#: Model name (``aekit train --model``) -> estimator. The one place such a name turns into an
#: estimator; ``aekit.load`` needs no such table (config.json names the class).
MODELS: dict[str, ModelEntry] = {
    "dense": ModelEntry(Autoencoder, {"model": "dense"}),
    "conv": ModelEntry(Autoencoder, {"model": "conv"}),
    "vae": ModelEntry(VariationalAutoencoder, {"model": "dense"}),
    "conv-vae": ModelEntry(VariationalAutoencoder, {"model": "conv"}),
    "recurrent": ModelEntry(SequenceAutoencoder, {}),
    "compress": ModelEntry(ImageCompressor, {}),
}

N_SAMPLES = 100  # prior draws in samples.png: a 10 x 10 grid
N_SHOWN = 10  # test images in denoising.png and reconstructions.png
N_WINDOWS = 4  # test windows in a recurrent run's reconstructions.png
NOISE_SEED = 0  # the corruption of test data is the same on every run


def make_estimator(model: str, params: dict[str, Any]) -> Any:
    """The estimator model name ``model`` builds, with ``params`` (estimator keywords) on top."""
    cls, fixed = MODELS[model]
    return cls(**{**params, **fixed, "verbose": False})  # progress comes as a callback


def is_series(estimator: Any) -> bool:
    """Whether ``estimator`` reads windows of a time series (its run splits by time)."""
    return isinstance(estimator, SequenceAutoencoder)


def is_compressor(estimator: Any) -> bool:
    """Whether ``estimator`` is a learned image compressor (its run measures rates, not errors)."""
    return isinstance(estimator, ImageCompressor)


def _option(name: str) -> Callable[[Any], bool]:
    """True for an estimator whose parameter ``name`` is set (not None, 0 or False)."""
    return lambda estimator: bool(estimator.get_params().get(name))


def _noisy(estimator: Any, X: np.ndarray) -> np.ndarray:
    """X corrupted the way the model was trained, with a fixed seed."""
    return add_noise(np.asarray(X), estimator.noise, float(estimator.noise_level), value_range=data_range(X),
                     random_state=NOISE_SEED)


# Each measure: (estimator, X, prefix) -> metrics. The prefix goes on per-sample
# likelihoods and PSNRs (test_elbo); the code and Jacobian means keep their names.
def _elbo(estimator: Any, X: np.ndarray, prefix: str) -> dict[str, float]:
    elbo = estimator.elbo(X)
    return {f"{prefix}elbo": elbo["elbo"], f"{prefix}kl": elbo["kl"]}


def _psnr(estimator: Any, X: np.ndarray, prefix: str) -> dict[str, float]:
    noisy = _noisy(estimator, X)
    return {f"{prefix}psnr_noisy": psnr(X, noisy), f"{prefix}psnr_denoised": psnr(X, estimator.predict(noisy))}


def _code_activation(estimator: Any, X: np.ndarray, prefix: str) -> dict[str, float]:
    return {"mean_code_activation": float(np.mean(np.abs(estimator.transform(X))))}


def _jacobian_norm(estimator: Any, X: np.ndarray, prefix: str) -> dict[str, float]:
    return {"mean_jacobian_norm": float(np.mean(estimator.jacobian_norm(X)))}


# Each figure: (estimator, test data, run folder, run title) -> files written, by name.
def _prior_samples(estimator: Any, test: Dataset, run_dir: Path, title: str) -> dict[str, Path]:
    return {"samples": plot_image_grid(
        estimator.sample(N_SAMPLES, random_state=0), run_dir / "samples.png", ncols=10,
        title=f"{N_SAMPLES} samples from the prior, decoded (means), latent_dim={estimator.spec_.latent_dim}")}


def _denoising(estimator: Any, test: Dataset, run_dir: Path, title: str) -> dict[str, Path]:
    clean = np.asarray(test.X[:N_SHOWN])
    noisy = _noisy(estimator, clean)
    return {"denoising": plot_denoising(
        noisy, estimator.predict(noisy), clean, run_dir / "denoising.png",
        title=f"Test inputs with {estimator.noise} noise (level {estimator.noise_level}), "
              "their reconstructions, and the clean originals")}


def _pretraining(estimator: Any, test: Dataset, run_dir: Path, title: str) -> dict[str, Path]:
    history = getattr(estimator, "pretrain_history_", None)
    if not history:
        return {}
    return {"pretrain_history": write_history_csv(run_dir / "pretrain_history.csv", history),
            "pretrain_loss_curves": plot_stage_history(history, run_dir / "pretrain_loss_curves.png",
                                                       title=f"Greedy layer-wise pre-training, {title}")}


Measure = Callable[[Any, np.ndarray, str], dict[str, float]]
Figure = Callable[[Any, Dataset, Path, str], dict[str, Path]]


@dataclass(frozen=True)
class FamilyExtra:
    """What one family adds to a run: its measures, and its figures (images only, or any data)."""

    family: str
    applies: Callable[[Any], bool]
    metrics: Measure | None = None
    figures: Figure | None = None
    images_only: bool = False


#: One entry per family, keyed by estimator kind or by the option that makes the family.
FAMILY_EXTRAS: tuple[FamilyExtra, ...] = (
    FamilyExtra("vae", lambda estimator: isinstance(estimator, VariationalAutoencoder), metrics=_elbo,
                figures=_prior_samples, images_only=True),
    FamilyExtra("denoising", _option("noise"), metrics=_psnr, figures=_denoising, images_only=True),
    FamilyExtra("sparse", _option("sparsity"), metrics=_code_activation),
    FamilyExtra("contractive", _option("contractive"), metrics=_jacobian_norm),
    FamilyExtra("stacked", _option("pretrain_epochs"), figures=_pretraining),
)


def family_metrics(estimator: Any, X: np.ndarray, prefix: str = "") -> dict[str, float]:
    """The family-specific measures of ``estimator`` on ``X`` (empty for a plain autoencoder)."""
    out: dict[str, float] = {}
    for extra in FAMILY_EXTRAS:
        if extra.metrics is not None and extra.applies(estimator):
            out.update(extra.metrics(estimator, X, prefix))
    return out


def family_files(run_dir: Path, estimator: Any, test: Dataset, title: str) -> dict[str, Path]:
    """Write the family-specific pictures and tables of a training run; return them by name."""
    files: dict[str, Path] = {}
    for extra in FAMILY_EXTRAS:
        if extra.figures is not None and extra.applies(estimator) and (test.is_image or not extra.images_only):
            files.update(extra.figures(estimator, test, run_dir, title))
    return files


def write_reconstructions_png(path: Path, ds: Dataset, X: np.ndarray, X_hat: np.ndarray, title: str) -> Path:
    """Ten originals above their reconstructions (table rows as profiles, named by column)."""
    originals: Any = np.asarray(X[:N_SHOWN])
    if ds.columns is not None and originals.ndim == 2:
        originals = pd.DataFrame(originals, columns=list(ds.columns))
    return plot_reconstructions(originals, np.asarray(X_hat[:N_SHOWN]), path, n=N_SHOWN, title=title)


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
