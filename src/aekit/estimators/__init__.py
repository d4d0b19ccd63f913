"""scikit-learn estimators built on the models and the trainer."""

from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.persistence import ESTIMATORS, load

__all__ = ["ESTIMATORS", "Autoencoder", "load"]
