"""scikit-learn estimators built on the models and the trainer.

The classes load on first use (PEP 562, as in ``aekit/__init__.py``), so the torch-free
``aekit.estimators._params`` table can be read (by the command line's ``--help``)
without importing torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aekit.estimators.autoencoder import Autoencoder
    from aekit.estimators.classifier import AutoencoderClassifier
    from aekit.estimators.compressor import ImageCompressor
    from aekit.estimators.detector import AnomalyDetector
    from aekit.estimators.imputer import AutoencoderImputer
    from aekit.estimators.persistence import ESTIMATORS, load
    from aekit.estimators.sequence import SequenceAutoencoder
    from aekit.estimators.vae import VariationalAutoencoder

#: Public name -> the module that defines it.
_HOME = {
    "AnomalyDetector": "detector",
    "Autoencoder": "autoencoder",
    "AutoencoderClassifier": "classifier",
    "AutoencoderImputer": "imputer",
    "ESTIMATORS": "persistence",
    "ImageCompressor": "compressor",
    "SequenceAutoencoder": "sequence",
    "VariationalAutoencoder": "vae",
    "load": "persistence",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"aekit.estimators.{_HOME[name]}"), name)
    raise AttributeError(f"module 'aekit.estimators' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(_HOME)
