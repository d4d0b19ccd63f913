"""Variational autoencoders (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114), dense and convolutional.

The modules only map tensors: ``encode`` gives the parameters of the Gaussian posterior
q(z|x) = N(mu, diag(exp(logvar))), ``decode_logits`` the decoder's raw output, ``decode``
the mean of p(x|z), and ``forward`` the reconstruction from ``mu`` (deterministic).
Sampling, the ELBO and importance-sampled likelihoods live in :mod:`aekit.losses.elbo`.

Log-variance guard: the encoder's log-variance is clamped to ``[LOGVAR_MIN, LOGVAR_MAX]``
= [-30, 20]. ``exp(logvar)`` appears in both the reparameterised sample and the KL term;
an unbounded head on an unusual input (or early in training) overflows float32 at
logvar > 88 and the loss turns NaN. Within the bounds the posterior std lies in
[3e-7, 2.2e4], which no trained model of ours reaches, so the clamp never binds in
ordinary training (and its zero gradient outside the range costs nothing there). The
Gaussian decoder's learned log-variance is clamped likewise to [-14, 14] (a std of at
least about 1e-3 of the scaled data range), which keeps the likelihood of constant
features (MNIST's border pixels) from growing without bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from aekit.models.blocks import OutputMixin, centered, centered_forward, init_weights, mlp
from aekit.models.conv import ConvAE, ConvSpec, as_feature_map

LOGVAR_MIN, LOGVAR_MAX = -30.0, 20.0
OBS_LOGVAR_MIN, OBS_LOGVAR_MAX = -14.0, 14.0
LIKELIHOODS: tuple[str, ...] = ("bernoulli", "gaussian")


@dataclass(frozen=True)
class VAESpec:
    """Architecture of a :class:`VAE`.

    ``hidden`` are the encoder's hidden widths, outermost first; the decoder mirrors them
    unless ``decoder_hidden`` is given. ``likelihood`` is the decoder distribution:
    "bernoulli" (logits; data in [0, 1]) or "gaussian" (the decoder gives the mean; the
    variance is ``obs_var`` when given, else learned, one per feature).
    """

    n_features: int
    latent_dim: int = 32
    hidden: tuple[int, ...] = (512,)
    activation: str = "relu"
    likelihood: Literal["bernoulli", "gaussian"] = "bernoulli"
    obs_var: float | None = None
    decoder_hidden: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ConvVAESpec:
    """Architecture of a :class:`ConvVAE`: the stages of :class:`~aekit.models.conv.ConvSpec`
    with Gaussian posterior heads on the last feature map, and a ``likelihood`` as in
    :class:`VAESpec`."""

    in_channels: int
    height: int
    width: int
    latent_dim: int = 32
    channels: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    upsample: Literal["nearest", "transpose"] = "nearest"
    activation: str = "relu"
    likelihood: Literal["bernoulli", "gaussian"] = "bernoulli"
    obs_var: float | None = None


class _VAEBase(OutputMixin, nn.Module):
    """Shared heads, decoder likelihood and ``forward`` of the VAE modules."""

    likelihood: str
    mu: nn.Linear
    logvar: nn.Linear

    def _init_likelihood(self, likelihood: str, obs_var: float | None, sample_shape: tuple[int, ...]) -> None:
        self.likelihood = likelihood
        self.output = "sigmoid" if likelihood == "bernoulli" else "linear"
        if likelihood != "gaussian":
            return
        if obs_var is None:
            self.obs_log_var = nn.Parameter(torch.zeros(sample_shape))  # learned, starts at variance 1
        else:
            self.register_buffer("obs_log_var", torch.full(sample_shape, math.log(obs_var)), persistent=False)

    def _heads(self, h: Tensor) -> tuple[Tensor, Tensor]:
        return self.mu(h), self.logvar(h).clamp(LOGVAR_MIN, LOGVAR_MAX)

    def decoder_logvar(self) -> Tensor | None:
        """Log-variance of the Gaussian p(x|z), shaped like one sample; None for Bernoulli."""
        if self.likelihood != "gaussian":
            return None
        return self.obs_log_var.clamp(OBS_LOGVAR_MIN, OBS_LOGVAR_MAX)

    def forward(self, x: Tensor) -> Tensor:
        mu, _ = self.encode(x)  # type: ignore[misc]
        return self.decode(mu)


class VAE(_VAEBase):
    """MLP variational autoencoder.

    Args:
        spec: the architecture (:class:`VAESpec`).

    Shape:
        - x: ``(B, n_features)`` -> mu, logvar: ``(B, latent_dim)`` -> x_hat: ``(B, n_features)``

    Attributes:
        encoder: ``nn.Sequential`` from input to the last hidden layer (identity when
            ``hidden`` is empty).
        mu, logvar: ``nn.Linear`` heads of the posterior.
        decoder: ``nn.Sequential`` from code to logits (Bernoulli) or mean (Gaussian).
        obs_log_var: Gaussian decoder's log-variance per feature (parameter if learned).

    Example:
        >>> vae = VAE(VAESpec(n_features=784, latent_dim=32))
        >>> mu, logvar = vae.encode(torch.rand(4, 784))
        >>> vae(torch.rand(4, 784)).shape
        torch.Size([4, 784])
    """

    def __init__(self, spec: VAESpec) -> None:
        super().__init__()
        self.spec = spec
        dec_hidden = tuple(reversed(spec.hidden)) if spec.decoder_hidden is None else spec.decoder_hidden
        self.encoder = centered(mlp((spec.n_features, *spec.hidden), spec.activation, spec.activation), spec.n_features)
        width = spec.hidden[-1] if spec.hidden else spec.n_features
        self.mu = nn.Linear(width, spec.latent_dim)
        self.logvar = nn.Linear(width, spec.latent_dim)
        self.decoder = mlp((spec.latent_dim, *dec_hidden, spec.n_features), spec.activation, "linear")
        self._init_likelihood(spec.likelihood, spec.obs_var, (spec.n_features,))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self, self.spec.activation)

    def output_layer(self) -> nn.Module:
        return self.decoder[-1]

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        return self._heads(centered_forward(self.encoder, x))

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def extra_repr(self) -> str:
        s = self.spec
        return (f"{s.n_features}-{'-'.join(map(str, (*s.hidden, s.latent_dim)))}, "
                f"likelihood={s.likelihood}")


class ConvVAE(_VAEBase):
    """Convolutional variational autoencoder: the :class:`~aekit.models.conv.ConvAE` stages,
    with the dense code layer replaced by two posterior heads.

    Args:
        spec: the architecture (:class:`ConvVAESpec`).

    Shape:
        - x: ``(B, C, H, W)`` -> mu, logvar: ``(B, latent_dim)`` -> x_hat: ``(B, C, H, W)``

    Example:
        >>> vae = ConvVAE(ConvVAESpec(in_channels=1, height=28, width=28, latent_dim=16))
        >>> vae(torch.rand(2, 1, 28, 28)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, spec: ConvVAESpec) -> None:
        super().__init__()
        self.spec = spec
        base = ConvAE(ConvSpec(in_channels=spec.in_channels, height=spec.height, width=spec.width,
                               latent_dim=spec.latent_dim, channels=spec.channels, kernel_size=spec.kernel_size,
                               upsample=spec.upsample, activation=spec.activation, output="sigmoid"))
        self.features = base.features  # conv + pool stages
        self.from_code = base.from_code  # code -> last feature map, flattened
        self.deconv = base.deconv  # upsampling stages -> logits
        with torch.no_grad():
            self._bottom = tuple(self.features(torch.zeros(1, spec.in_channels, spec.height, spec.width)).shape[1:])
        flat = math.prod(self._bottom)
        self.mu = nn.Linear(flat, spec.latent_dim)
        self.logvar = nn.Linear(flat, spec.latent_dim)
        self._init_likelihood(spec.likelihood, spec.obs_var, (spec.in_channels, spec.height, spec.width))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self, self.spec.activation)

    def output_layer(self) -> nn.Module:
        return self.deconv[-1]

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        return self._heads(self.features(x).flatten(1))  # (B, C_last * h * w)

    def decode_logits(self, z: Tensor) -> Tensor:
        h = as_feature_map(self.from_code(z), self._bottom, self.deconv)  # (B, C_last, h, w)
        return self.deconv(h)

    def extra_repr(self) -> str:
        s = self.spec
        return (f"{s.in_channels}x{s.height}x{s.width} -> {s.channels} -> {s.latent_dim}, "
                f"likelihood={s.likelihood}")


class PosteriorMean(nn.Module):
    """A VAE's deterministic encoder: ``x -> mu(x)``, the posterior mean.

    Args:
        vae: a :class:`VAE` or :class:`ConvVAE` (shared, not copied).

    Shape:
        - x: the VAE's input ``(B, ...)`` -> z: ``(B, latent_dim)``
    """

    def __init__(self, vae: nn.Module) -> None:
        super().__init__()
        self.vae = vae

    def encode(self, x: Tensor) -> Tensor:
        mu, _ = self.vae.encode(x)  # type: ignore[operator]
        return mu  # type: ignore[no-any-return]

    def forward(self, x: Tensor) -> Tensor:
        return self.encode(x)
