"""A rate–distortion autoencoder for lossy image compression (factorized prior or hyperprior).

Ballé, Laparra, Simoncelli, "End-to-end optimized image compression", ICLR 2017
(https://arxiv.org/abs/1611.01704), with the non-parametric factorized density of Ballé,
Minnen, Singh, Hwang, Johnston, "Variational image compression with a scale hyperprior",
ICLR 2018, appendix 6.1 (https://arxiv.org/abs/1802.01436). With ``prior="hyperprior"``
the latents are coded under a Gaussian whose mean and scale a small second autoencoder
predicts from side information ``z`` (the mean-scale hyperprior of Minnen, Ballé, Toderici,
"Joint autoregressive and hierarchical priors for learned image compression", NeurIPS
2018, without the autoregressive part); ``z`` itself has the factorized density.

The module only computes: :meth:`RateDistortionAE.analysis` maps images to continuous
latents ``y``, :meth:`RateDistortionAE.rate_forward` gives the reconstruction and the
probability of every quantised latent (noisy in training, rounded in evaluation),
:meth:`RateDistortionAE.synthesis` maps latents back to images and
:meth:`RateDistortionAE.hyper_params` the hyperprior's means and scales. The loss lives in
:mod:`aekit.losses.rate`, the bits on disk in :mod:`aekit.io.entropy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class CompressionSpec:
    """Architecture of a :class:`RateDistortionAE`.

    ``stages`` stride-2 convolutions (``kernel_size``, ``hidden`` channels, ReLU) take a
    ``(C, H, W)`` image, zero-padded to a multiple of ``2**stages``, to a
    ``(latent_channels, H / 2**stages, W / 2**stages)`` latent; transposed convolutions
    mirror them. ``density_filters`` are the hidden widths of the per-channel monotone
    network that models each latent channel's cumulative distribution (of ``y`` under
    the factorized prior, of ``z`` under the hyperprior).

    ``prior="hyperprior"`` adds the hyper-analysis (a 3x3 convolution and two stride-2 5x5
    convolutions, ``hyper_hidden`` channels, to ``hyper_channels`` channels of ``z``) and its
    mirror, the hyper-synthesis, which outputs a mean and a scale for every latent.
    """

    in_channels: int = 1
    latent_channels: int = 16
    hidden: int = 48
    stages: int = 3
    kernel_size: int = 5
    density_filters: tuple[int, ...] = (3, 3, 3)
    density_init_scale: float = 10.0
    density_lr_scale: float = 10.0
    prior: str = "factorized"
    hyper_hidden: int = 32
    hyper_channels: int = 16


#: Scales below this are raised to it: a narrower Gaussian than a quarter of a bin buys no bits.
SCALE_MIN = 0.11
PRIORS = ("factorized", "hyperprior")


class FactorizedDensity(nn.Module):
    """A learned, per-channel, non-parametric distribution of the latents (Ballé 2018, 6.1).

    Each channel has its own cumulative ``c(y) = sigmoid(f_K(...f_1(y)))`` built from
    matrices with softplus-positive entries and ``tanh`` gates whose factors are bounded
    below by -1, so ``c`` is monotone. The probability of the quantisation bin around
    ``y`` is ``c(y + 1/2) - c(y - 1/2)``: exactly the entropy model the coder uses.

    The parameters are stored divided by ``lr_scale`` and multiplied back in use, so one
    Adam step moves the density ``lr_scale`` times further than the transforms' weights:
    the density must follow the latents' changing scale within the few thousand steps a
    CPU run affords (Ballé et al. train 10^6 steps).

    Shape:
        - y: ``(B, M, *)`` -> likelihoods of the same shape.
    """

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0,
                 lr_scale: float = 10.0) -> None:
        super().__init__()
        self.channels = channels
        self.lr_scale = lr_scale
        widths = (1, *filters, 1)
        scale = init_scale ** (1.0 / (len(widths) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(widths) - 1):
            init = math.log(math.expm1(1.0 / scale / widths[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, widths[i + 1], widths[i]), init / lr_scale)))
            self.biases.append(nn.Parameter(torch.empty(channels, widths[i + 1], 1).uniform_(-0.5, 0.5) / lr_scale))
            if i < len(widths) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, widths[i + 1], 1)))

    def logits_cdf(self, v: Tensor) -> Tensor:
        """The pre-sigmoid cumulative at ``v``, shape ``(M, 1, N)`` in and out."""
        k = self.lr_scale
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases)):
            v = torch.matmul(F.softplus(k * matrix), v) + k * bias  # (M, width, N)
            if i < len(self.factors):
                v = v + torch.tanh(k * self.factors[i]) * torch.tanh(v)
        return v

    def likelihoods(self, y: Tensor) -> Tensor:
        """Probability of each value's unit-width bin, floored at 1e-9 (a bound on its bits)."""
        shape = y.shape
        v = y.transpose(0, 1).reshape(self.channels, 1, -1)  # (M, 1, B*H*W)
        lower = self.logits_cdf(v - 0.5)
        upper = self.logits_cdf(v + 0.5)
        # Subtract on the side of the median where the sigmoids are far from 1, for precision.
        sign = -torch.sign(lower + upper).detach()
        p = torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))
        p = p.reshape(shape[1], shape[0], *shape[2:]).transpose(0, 1)
        return _LowerBound.apply(p, 1e-9)

    @torch.no_grad()
    def pmf(self, low: int, high: int) -> np.ndarray:
        """Probabilities of the integers ``low..high`` for every channel: float64, ``(M, high - low + 1)``.

        The mass beyond either end is added to the end bins, so each row sums to one.
        """
        values = torch.arange(low, high + 1, dtype=torch.float64)
        edges = torch.cat([values - 0.5, values[-1:] + 0.5]).float()
        v = edges.reshape(1, 1, -1).expand(self.channels, 1, -1)
        cdf = torch.sigmoid(self.logits_cdf(v)).double().reshape(self.channels, -1).numpy()
        cdf[:, 0], cdf[:, -1] = 0.0, 1.0
        return np.clip(np.diff(cdf, axis=1), 0.0, None)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, filters={tuple(m.shape[1] for m in self.matrices[:-1])}"


class _LowerBound(torch.autograd.Function):
    """``max(x, bound)`` that still passes gradients that push ``x`` up from below the bound."""

    @staticmethod
    def forward(ctx, x: Tensor, bound: float) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.bound = bound
        return x.clamp_min(bound)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * ((x >= ctx.bound) | (grad < 0)).to(grad.dtype), None


class RateDistortionAE(nn.Module):
    """Convolutional analysis/synthesis transforms with a factorized entropy model.

    Args:
        spec: the architecture (:class:`CompressionSpec`).

    Shape:
        - x: ``(B, C, H, W)`` in [0, 1], any ``H`` and ``W``
        - y = analysis(x): ``(B, M, ceil(H / s), ceil(W / s))`` with ``s = 2**stages``
        - synthesis(y_hat, (H, W)): ``(B, C, H, W)``, the image on the [0, 1] scale, unclipped

    Example:
        >>> ae = RateDistortionAE(CompressionSpec(in_channels=1, latent_channels=8))
        >>> y = ae.analysis(torch.rand(2, 1, 28, 28))
        >>> y.shape, ae.synthesis(ae.quantize(y), (28, 28)).shape
        (torch.Size([2, 8, 4, 4]), torch.Size([2, 1, 28, 28]))
    """

    def __init__(self, spec: CompressionSpec) -> None:
        super().__init__()
        self.spec = spec
        k, pad = spec.kernel_size, spec.kernel_size // 2
        enc: list[nn.Module] = []
        dec: list[nn.Module] = []
        for i in range(spec.stages):
            c_in = spec.in_channels if i == 0 else spec.hidden
            c_out = spec.latent_channels if i == spec.stages - 1 else spec.hidden
            enc.append(nn.Conv2d(c_in, c_out, k, stride=2, padding=pad))
            if i < spec.stages - 1:
                enc.append(nn.ReLU())
        for i in range(spec.stages):
            c_in = spec.latent_channels if i == 0 else spec.hidden
            c_out = spec.in_channels if i == spec.stages - 1 else spec.hidden
            dec.append(nn.ConvTranspose2d(c_in, c_out, k, stride=2, padding=pad, output_padding=1))
            if i < spec.stages - 1:
                dec.append(nn.ReLU())
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)
        if spec.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {spec.prior!r}")
        coded = spec.latent_channels
        if spec.prior == "hyperprior":
            m, n, zc = spec.latent_channels, spec.hyper_hidden, spec.hyper_channels
            self.hyper_analysis = nn.Sequential(
                nn.Conv2d(m, n, 3, padding=1), nn.ReLU(), nn.Conv2d(n, n, 5, stride=2, padding=2), nn.ReLU(),
                nn.Conv2d(n, zc, 5, stride=2, padding=2))
            self.hyper_synthesis = nn.Sequential(
                nn.ConvTranspose2d(zc, n, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
                nn.ConvTranspose2d(n, n, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
                nn.Conv2d(n, 2 * m, 3, padding=1))
            coded = zc
        self.density = FactorizedDensity(coded, spec.density_filters, spec.density_init_scale,
                                         spec.density_lr_scale)

    @property
    def stride(self) -> int:
        return 2 ** self.spec.stages

    def latent_size(self, height: int, width: int) -> tuple[int, int]:
        """The latent grid ``(h, w)`` of an ``height x width`` image."""
        return math.ceil(height / self.stride), math.ceil(width / self.stride)

    @staticmethod
    def hyper_size(h: int, w: int) -> tuple[int, int]:
        """The ``z`` grid of an ``h x w`` latent grid: the hyper-analysis's two stride-2 convolutions halve it twice."""
        return math.ceil(h / 4), math.ceil(w / 4)

    def analysis(self, x: Tensor) -> Tensor:
        """Continuous latents ``y`` of images ``x`` in [0, 1]."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        # centred so that zero padding means "mid-grey", not "black"
        return self.encoder(F.pad(x - 0.5, (0, pw, 0, ph)))  # (B, M, h/s, w/s)

    def quantize(self, y: Tensor) -> Tensor:
        """``y`` plus U(-1/2, 1/2) noise in training (a differentiable proxy), rounded otherwise."""
        if self.training:
            return y + torch.empty_like(y).uniform_(-0.5, 0.5)
        return torch.round(y)

    def likelihoods(self, y_hat: Tensor) -> Tensor:
        """Probability of each (noisy or rounded) latent under the factorized density."""
        return self.density.likelihoods(y_hat)

    def hyper_params(self, z_hat: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
        """Mean and scale (at least :data:`SCALE_MIN`) of each latent of a ``size`` grid, from rounded ``z``."""
        out = self.hyper_synthesis(z_hat)[..., : size[0], : size[1]]
        m = self.spec.latent_channels
        return out[:, :m], F.softplus(out[:, m:]).clamp_min(SCALE_MIN)

    def rate_forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The unclipped reconstruction of ``x`` and the probabilities of its quantised latents.

        Factorized prior: ``y`` plus uniform noise in training, rounded otherwise, for both
        the rate and the synthesis. Hyperprior: the rate of ``y - mean`` and of ``z`` is
        measured with uniform noise in training, while the synthesis sees rounded values
        (a straight-through gradient), as the decoder will (Minnen & Singh 2020, "Channel-wise
        autoregressive entropy models", section 2); in evaluation everything is rounded.
        Returns ``(x_hat, [p(y)])`` or ``(x_hat, [p(y), p(z)])``.
        """
        size = (x.shape[-2], x.shape[-1])
        y = self.analysis(x)
        if self.spec.prior == "factorized":
            y_hat = self.quantize(y)
            return self.synthesis(y_hat, size), [self.likelihoods(y_hat)]
        rounded = _round_through if self.training else torch.round  # what the synthesis sees
        z = self.hyper_analysis(y)
        p_z = self.density.likelihoods(self.quantize(z))
        mean, scale = self.hyper_params(rounded(z), (y.shape[-2], y.shape[-1]))
        residual = y - mean
        p_y = gaussian_likelihoods(self.quantize(residual), scale)
        return self.synthesis(rounded(residual) + mean, size), [p_y, p_z]

    def synthesis(self, y_hat: Tensor, size: tuple[int, int]) -> Tensor:
        """Images ``(B, C, H, W)`` for latents ``y_hat``, cropped to ``size``, not clipped to [0, 1].

        A linear output (no sigmoid) as in Ballé et al.: a saturated sigmoid under an MSE
        loss stops the gradient, and at high rates the model collapsed to black images.
        """
        return self.decoder(y_hat)[..., : size[0], : size[1]] + 0.5

    def forward(self, x: Tensor) -> Tensor:
        """The reconstruction of ``x`` through the quantised latents, clipped to [0, 1]."""
        return self.rate_forward(x)[0].clamp(0.0, 1.0)


def gaussian_likelihoods(v: Tensor, scale: Tensor) -> Tensor:
    """Probability of the unit bin around ``v`` under N(0, scale²), floored at 1e-9.

    Computed on ``-|v|`` (the lower tail), where the difference of two CDFs keeps its precision.
    """
    a = -v.abs()
    denom = scale * math.sqrt(2.0)
    p = 0.5 * (torch.erfc(-(a + 0.5) / denom) - torch.erfc(-(a - 0.5) / denom))
    return _LowerBound.apply(p, 1e-9)


def _round_through(x: Tensor) -> Tensor:
    """``round(x)`` forward, identity backward (straight-through)."""
    return x + (torch.round(x) - x).detach()
