"""Plain ``torch.nn.Module`` autoencoders: they map tensors and nothing else."""

from aekit.models.conv import ConvAE, ConvSpec
from aekit.models.dense import DenseAE, DenseSpec
from aekit.models.recurrent import RecurrentAE, RecurrentSpec
from aekit.models.vae import VAE, ConvVAE, ConvVAESpec, PosteriorMean, VAESpec
from aekit.models.registry import REGISTRY, build, canonical_kind, spec_from_dict, spec_to_dict

__all__ = ["REGISTRY", "ConvAE", "ConvSpec", "DenseAE", "DenseSpec", "RecurrentAE", "RecurrentSpec", "build",
           "canonical_kind", "spec_from_dict", "spec_to_dict", "VAE", "VAESpec", "ConvVAE", "ConvVAESpec",
           "PosteriorMean"]
