"""Quality measures: arrays in, floats out."""

from aekit.metrics.neighbours import knn_accuracy
from aekit.metrics.reconstruction import reconstruction_mse

__all__ = ["knn_accuracy", "reconstruction_mse"]
