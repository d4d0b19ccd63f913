"""aekit: every classic autoencoder family, trained in one line, put to work."""

from aekit._version import __version__
from aekit.estimators import Autoencoder, AutoencoderClassifier, SequenceAutoencoder, VariationalAutoencoder, load

__all__ = ["Autoencoder", "AutoencoderClassifier", "SequenceAutoencoder", "VariationalAutoencoder", "__version__",
           "load"]
