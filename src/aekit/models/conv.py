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
            enc += [nn.Conv2d(c_in, c, k, padding=pad), _stage_activation(spec.activation),
                    nn.MaxPool2d(2, ceil_mode=True)]
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
            else:
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
