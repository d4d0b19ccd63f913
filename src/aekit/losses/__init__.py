"""Losses: model outputs in, named scalar terms out. Torch only."""

from aekit.losses.objective import Objective, ReconstructionObjective
from aekit.losses.reconstruction import LOSSES, elementwise_error, per_sample_error, reconstruction_loss
from aekit.losses.sequence import MaskedSequenceObjective, masked_mse, per_sequence_error, split_mask

__all__ = ["LOSSES", "MaskedSequenceObjective", "Objective", "ReconstructionObjective", "elementwise_error",
           "masked_mse", "per_sample_error", "per_sequence_error", "reconstruction_loss", "split_mask"]
