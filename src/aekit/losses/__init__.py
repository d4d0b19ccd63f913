"""Losses: model outputs in, named scalar terms out. Torch only."""

from aekit.losses.objective import Objective, ReconstructionObjective
from aekit.losses.reconstruction import LOSSES, elementwise_error, per_sample_error, reconstruction_loss

__all__ = ["LOSSES", "Objective", "ReconstructionObjective", "elementwise_error", "per_sample_error",
           "reconstruction_loss"]
