"""Convolutional autoencoders for images of any size and channel count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from aekit.models.blocks import OutputMixin, activation, init_weights


@dataclass(frozen=True)
class ConvSpec:
    """Architecture of a :class:`ConvAE`.

    Each entry of ``channels`` is one stage: a ``kernel_size`` convolution then 2x2 max
    pooling (``ceil_mode``, so odd sizes lose no pixels). A dense layer maps the last
    feature map to a ``latent_dim`` code. The decoder mirrors the stages with either
    nearest-neighbour upsampling + convolution (``upsample="nearest"``) or stride-2
    transposed convolutions (``upsample="transpose"``), landing on exactly (H, W).
    """

    in_channels: int
    height: int
    width: int
    latent_dim: int = 32
    channels: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    upsample: Literal["nearest", "transpose"] = "nearest"
    activation: str = "relu"
    code_activation: str = "relu"
    output: Literal["sigmoid", "linear"] = "sigmoid"


def as_feature_map(flat: Tensor, shape: tuple[int, ...], decoder: nn.Sequential) -> Tensor:
    """``flat`` (B, C*h*w) viewed as (B, C, h, w), in the memory layout of ``decoder``'s first convolution.

    The dense bottleneck's output is NCHW; when the decoder's convolutions hold
    channels_last weights (:func:`aekit.train.device.memory_format_for`), converting the
    small map here is one copy at the bottleneck size instead of one per upsampled stage
    size in the forward and again in the backward (measured: six copies of the 14x14x64
    map per step, 10% of a step of the (32, 64) conv autoencoder on the CPU, issue #14).
    """
    h = flat.view(-1, *shape)
    conv = next((m for m in decoder if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))), None)
    if conv is not None and not conv.weight.is_contiguous() \
            and conv.weight.is_contiguous(memory_format=torch.channels_last):
        return h.contiguous(memory_format=torch.channels_last)
    return h


class NearestUpConv2d(nn.Conv2d):
    """2x nearest-neighbour upsampling followed by this ``k x k`` convolution, in one step.

    Computes exactly ``conv2d(interpolate(x, scale_factor=2), weight, bias, padding=k // 2)``
    from the same parameters (same shapes and state-dict keys as ``nn.Conv2d``), but as one
    stride-2 transposed convolution whose ``(k+1) x (k+1)`` kernel sums the taps that read
    the same input pixel. An upsampled pixel is its source pixel repeated, so the
    convolution over the 2x map does ``(2k / (k + 1))**2`` times the work it needs (2.25x at
    k = 3), and the upsampled map is never written or read back. Measured on the CPU in
    channels_last (1 thread, batch 256, forward + backward): 16->16 channels 14->28 pixels
    100 -> 54 ms, 32->16 at 7->14 33 -> 23 ms (issue #14).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd (got {kernel_size}): the 'same' padding k // 2 needs it")
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        k, p = kernel_size, kernel_size // 2
        self._transposed_padding = k - 1 - p
        # taps[q, t] = 1 when tap t of the k x k kernel reads the input pixel that the
        # transposed kernel's position q stands for: output o = 2i + r reads upsampled
        # rows o - p + t, all of them source row i for t in {p - r, p - r + 1}.
        taps = torch.zeros(k + 1, k)
        for q in range(k + 1):
            r = q - self._transposed_padding
            for t in (p - r, p - r + 1):
                if 0 <= t < k:
                    taps[q, t] = 1.0
        self.register_buffer("taps", taps, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        taps = self.get_buffer("taps").to(self.weight.dtype)
        kernel = (taps @ self.weight @ taps.T).transpose(0, 1)  # (C_in, C_out, k+1, k+1)
        channels_last = x.dim() == 4 and not x.is_contiguous() \
            and x.is_contiguous(memory_format=torch.channels_last)
        kernel = kernel.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        return nn.functional.conv_transpose2d(x, kernel, self.bias, stride=2, padding=self._transposed_padding)

    def extra_repr(self) -> str:
        return "upsample x2 nearest, then " + super().extra_repr()


#: Activations that never decrease: max-pooling commutes with them (max f(x) = f(max x)),
#: gradients included, so an encoder stage can pool before it activates and apply the
#: activation (and its backward) to a quarter of the values. (16, 32) conv autoencoder:
#: 2.947 -> 2.816 s per epoch, 4% (1 thread, interleaved A/B, issue #14). Not GELU, which dips below zero.
_MONOTONE = frozenset({"relu", "leaky_relu", "elu", "sigmoid", "tanh", "linear"})


def _stage_activation(name: str) -> nn.Module:
    """The activation between stages; a ReLU there works in place.

    Safe for autograd: a convolution's or Linear's backward needs its input, never its
    output, so overwriting the output with its ReLU loses nothing. Saves an allocation and
    a pass over every feature map: the (32, 64) conv autoencoder's step took 1.14x less time,
    the (16, 32) one 1.05x (1 thread, issue #14). The code's own activation is not made in
    place, so the code tensor stays what hooks and penalties read.
    """
    module = activation(name)
    if isinstance(module, nn.ReLU):
        module.inplace = True
    return module


def _stage_sizes(h: int, w: int, n: int) -> list[tuple[int, int]]:
    sizes = [(h, w)]
    for _ in range(n):
        h, w = math.ceil(h / 2), math.ceil(w / 2)
        sizes.append((h, w))
    return sizes


class ConvAE(OutputMixin, nn.Module):
    """Conv/pool encoder, upsampling decoder, dense bottleneck.

    Args:
        spec: the architecture (:class:`ConvSpec`).

    Shape:
        - x: ``(B, C, H, W)`` -> z: ``(B, latent_dim)`` -> x_hat: ``(B, C, H, W)``

    Example:
        >>> ae = ConvAE(ConvSpec(in_channels=1, height=28, width=28, latent_dim=16))
        >>> ae(torch.rand(2, 1, 28, 28)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, spec: ConvSpec) -> None:
        super().__init__()
        self.spec = spec
        self.output = spec.output
        k, pad = spec.kernel_size, spec.kernel_size // 2
        sizes = _stage_sizes(spec.height, spec.width, len(spec.channels))
        enc: list[nn.Module] = []
        c_in = spec.in_channels
        for c in spec.channels:
            stage = [nn.Conv2d(c_in, c, k, padding=pad), _stage_activation(spec.activation),
                     nn.MaxPool2d(2, ceil_mode=True)]
            if spec.activation in _MONOTONE:  # pool first: the same values, on a map 4x smaller
                stage[1], stage[2] = stage[2], stage[1]
            enc += stage
            c_in = c
        self.features = nn.Sequential(*enc)
        h, w = sizes[-1]
        self._bottom = (c_in, h, w)
        self.to_code = nn.Sequential(nn.Flatten(), nn.Linear(c_in * h * w, spec.latent_dim),
                                     activation(spec.code_activation))
        self.from_code = nn.Sequential(nn.Linear(spec.latent_dim, c_in * h * w), _stage_activation(spec.activation))
        dec: list[nn.Module] = []
        n = len(spec.channels)
        for i in reversed(range(n)):  # stage i maps size sizes[i + 1] back up to sizes[i]
            (hh, ww), (th, tw) = sizes[i + 1], sizes[i]
            c_out = spec.channels[max(i - 1, 0)]
            if spec.upsample == "transpose":
                op = (th - (2 * hh - 1), tw - (2 * ww - 1))  # output_padding lands on the exact size
                dec += [nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=op),
                        _stage_activation(spec.activation)]
            elif (th, tw) == (2 * hh, 2 * ww) and k % 2 == 1:
                # nn.Identity keeps the slot the upsampling had, so saved models' keys still match
                dec += [nn.Identity(), NearestUpConv2d(c_in, c_out, k), _stage_activation(spec.activation)]
            else:  # an odd target size: upsample to exactly (th, tw), then convolve
                dec += [nn.Upsample(size=(th, tw), mode="nearest"), nn.Conv2d(c_in, c_out, k, padding=pad),
                        _stage_activation(spec.activation)]
            c_in = c_out
        dec.append(nn.Conv2d(c_in, spec.in_channels, k, padding=pad))
        self.deconv = nn.Sequential(*dec)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self, self.spec.activation)

    def output_layer(self) -> nn.Module:
        return self.deconv[-1]

    def code_layer(self) -> nn.Linear:
        return self.to_code[1]

    def encode(self, x: Tensor) -> Tensor:
        return self.to_code(self.features(x))

    def decode_logits(self, z: Tensor) -> Tensor:
        h = as_feature_map(self.from_code(z), self._bottom, self.deconv)  # (B, C_last, h, w)
        return self.deconv(h)

    def extra_repr(self) -> str:
        s = self.spec
        return f"{s.in_channels}x{s.height}x{s.width} -> {s.channels} -> {s.latent_dim}, upsample={s.upsample}"
