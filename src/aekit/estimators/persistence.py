"""``aekit.load``: a saved model back as the estimator that wrote it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aekit.errors import ModelFileError
from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.classifier import AutoencoderClassifier
from aekit.estimators.compressor import ImageCompressor
from aekit.estimators.detector import AnomalyDetector
from aekit.estimators.imputer import AutoencoderImputer
from aekit.estimators.sequence import SequenceAutoencoder
from aekit.estimators.vae import VariationalAutoencoder
from aekit.io.model_file import load_model

ESTIMATORS: dict[str, type[Any]] = {"AnomalyDetector": AnomalyDetector, "Autoencoder": Autoencoder,
                                     "AutoencoderClassifier": AutoencoderClassifier,
                                     "AutoencoderImputer": AutoencoderImputer, "ImageCompressor": ImageCompressor,
                                     "SequenceAutoencoder": SequenceAutoencoder,
                                     "VariationalAutoencoder": VariationalAutoencoder}


def load(path: str | Path) -> Any:
    """Load a model saved by ``estimator.save(folder)`` or ``aekit train``.

    Parameters
    ----------
    path : str or Path
        The run/model folder, its ``config.json`` or its ``model.safetensors``.

    Returns
    -------
    estimator
        A fitted estimator of the saved class. No pickle is involved: the file holds JSON
        and raw tensors only.
    """
    config, tensors = load_model(path)
    name = config.get("estimator")
    if name not in ESTIMATORS:
        raise ModelFileError(f"{path} holds a {name!r}, which this aekit cannot load (it knows "
                             f"{', '.join(sorted(ESTIMATORS))}). Upgrade aekit.")
    cls = ESTIMATORS[name]
    # The autoencoders and the classifier rebuild through ``_from_state``; AnomalyDetector,
    # AutoencoderImputer and ImageCompressor through ``_from_saved`` (the older name).
    rebuild = getattr(cls, "_from_state", None) or cls._from_saved
    return rebuild(config, tensors)
