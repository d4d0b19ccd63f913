"""``aekit.load``: a saved model back as the estimator that wrote it."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from aekit.errors import InputError, ModelFileError
from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.classifier import AutoencoderClassifier
from aekit.estimators.compressor import ImageCompressor
from aekit.estimators.detector import AnomalyDetector
from aekit.estimators.imputer import AutoencoderImputer
from aekit.estimators.sequence import SequenceAutoencoder
from aekit.estimators.vae import VariationalAutoencoder
from aekit.io.model_file import load_model
from aekit.train.device import resolve_device

ESTIMATORS: dict[str, type[Any]] = {"AnomalyDetector": AnomalyDetector, "Autoencoder": Autoencoder,
                                     "AutoencoderClassifier": AutoencoderClassifier,
                                     "AutoencoderImputer": AutoencoderImputer, "ImageCompressor": ImageCompressor,
                                     "SequenceAutoencoder": SequenceAutoencoder,
                                     "VariationalAutoencoder": VariationalAutoencoder}

#: Models other parts of aekit save in the same file format, which ``load`` does not rebuild: what to use instead.
OTHER_SAVES: dict[str, str] = {
    "Denoiser": "a residual denoiser (written by `aekit denoise` or Denoiser.save), not an estimator; read it with "
                "aekit.apps.denoise.load_denoiser(path), or reuse it with `aekit denoise <folder> --data ...`",
}


def load(path: str | Path, *, device: str | None = None) -> Any:
    """Load a model saved by ``estimator.save(folder)`` or ``aekit train``.

    Parameters
    ----------
    path : str or Path
        The run/model folder, its ``config.json`` or its ``model.safetensors``.
    device : str, optional
        Where the loaded model runs ("auto", "cpu", "cuda", "cuda:1", "mps"); it becomes the
        estimator's ``device``. By default the device it was trained with, or, when that one
        is not available here (a model trained on CUDA, loaded on a CPU machine), "auto"
        with a warning saying so.

    Returns
    -------
    estimator
        A fitted estimator of the saved class. No pickle is involved: the file holds JSON
        and raw tensors only; the weights are read onto the CPU and moved when used.

    Raises
    ------
    aekit.errors.ModelFileError
        Missing, corrupt or foreign files.
    aekit.errors.InputError
        ``device`` is not a device name or not available here.
    """
    config, tensors = load_model(path)
    name = config.get("estimator")
    if isinstance(name, str) and name in OTHER_SAVES:
        raise ModelFileError(f"{path} holds {OTHER_SAVES[name]}.")
    if not isinstance(name, str) or name not in ESTIMATORS:
        raise ModelFileError(f"{path} holds a {name!r}, which this aekit cannot load (it knows "
                             f"{', '.join(sorted(ESTIMATORS))}). Upgrade aekit.")
    cls = ESTIMATORS[name]
    # The autoencoders and the classifier rebuild through ``_from_state``; AnomalyDetector,
    # AutoencoderImputer and ImageCompressor through ``_from_saved`` (the older name).
    rebuild = getattr(cls, "_from_state", None) or cls._from_saved
    return place(rebuild(config, tensors), device)


def place(estimator: Any, device: str | None) -> Any:
    """Set where a loaded ``estimator`` (and the fitted estimators it holds) runs; see :func:`load`."""
    if device is not None:
        resolve_device(device)  # refuse a name that is wrong or not available here, with its fix
    parts = [estimator, *(v for k, v in vars(estimator).items() if k.endswith("_") and hasattr(v, "set_params"))]
    for part in parts:
        params = part.get_params(deep=False) if hasattr(part, "get_params") else {}
        if "device" not in params:
            continue
        saved = params["device"]
        if device is None:
            try:
                resolve_device(saved)
                continue
            except (InputError, TypeError, RuntimeError):  # not here, or not a device name (an edited file)
                warnings.warn(f"this model was trained on device {saved!r}, which is not available here; it runs "
                              f"on {resolve_device('auto').type} instead (choose with --device / device=).",
                              UserWarning, stacklevel=3)
                device = "auto"
        part.set_params(device=device)
    return estimator
