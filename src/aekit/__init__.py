"""aekit: every classic autoencoder family, trained in one line, put to work.

The estimators are imported on first use (PEP 562), so ``import aekit`` and the command
line's ``--help`` do not pay for torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aekit._version import __version__

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from aekit.estimators import (AnomalyDetector, Autoencoder, AutoencoderClassifier, AutoencoderImputer,
                                  ImageCompressor, SequenceAutoencoder, VariationalAutoencoder, load)

__all__ = ["AnomalyDetector", "Autoencoder", "AutoencoderClassifier", "AutoencoderImputer", "ImageCompressor",
           "SequenceAutoencoder", "VariationalAutoencoder", "__version__", "load"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import aekit.estimators as estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'aekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
