"""scikit-learn estimators built on the models and the trainer."""

from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.classifier import AutoencoderClassifier
from aekit.estimators.persistence import ESTIMATORS, load
from aekit.estimators.sequence import SequenceAutoencoder
from aekit.estimators.vae import VariationalAutoencoder

__all__ = ["ESTIMATORS", "Autoencoder", "AutoencoderClassifier", "SequenceAutoencoder", "VariationalAutoencoder",
           "load"]
