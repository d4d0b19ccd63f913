"""Quality measures: arrays in, floats out."""

from aekit.metrics.image import ssim
from aekit.metrics.neighbours import knn_accuracy
from aekit.metrics.reconstruction import psnr, reconstruction_bce, reconstruction_mse

__all__ = ["knn_accuracy", "psnr", "reconstruction_bce", "reconstruction_mse", "ssim"]
