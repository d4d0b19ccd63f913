"""Choosing the device and the mixed-precision mode."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from aekit.errors import InputError


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple MPS, then the CPU; anything else must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise InputError(f"device {name!r} is not a device name; use 'auto', 'cpu', 'cuda', 'cuda:1' or 'mps'.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {name!r} was requested but CUDA is not available here; use device='auto' or 'cpu'.")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InputError(f"device {name!r} was requested but Apple MPS is not available here; use 'auto' or 'cpu'.")
    return dev


def amp_dtype(device: torch.device, amp: bool | str) -> torch.dtype | None:
    """The autocast dtype to train with, or None for full float32.

    ``"auto"`` turns mixed precision on for CUDA only (bfloat16 where supported, else
    float16 with loss scaling); on the CPU it costs more than it saves for these models.
    """
    on = (device.type == "cuda") if amp == "auto" else bool(amp)
    if not on or device.type not in ("cuda", "cpu"):
        return None
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


@contextlib.contextmanager
def flush_denormals(device: torch.device) -> Iterator[None]:
    """Treat denormal floats as zero on the CPU while training.

    Tiny activations and Adam moments drift into the denormal range late in training,
    and x86 arithmetic on them is microcoded: one measured run was 27x slower without this.
    ``torch.set_flush_denormal`` sets the flag of the calling thread only; intra-op
    worker threads keep their own setting, so with several torch threads part of the
    arithmetic is not covered.
    """
    if device.type != "cpu":
        yield
        return
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


#: The benchmarks' switch to measure the contiguous layout ("before"); not an option for users.
_CHANNELS_LAST = True


def memory_format_for(module: nn.Module, device: torch.device) -> torch.memory_format:
    """The memory layout to train and run ``module`` in on ``device``.

    ``torch.channels_last`` (NHWC) for a module with 2-D (transposed) convolutions on the CPU
    or CUDA, ``torch.contiguous_format`` otherwise. oneDNN's CPU convolutions and their
    backward run natively in NHWC: the conv autoencoder on 12,000 MNIST digits trained
    about 1.45x faster per epoch with NHWC weights (issue #14, BENCHMARKS.md), and cuDNN's
    tensor-core kernels under mixed precision are NHWC too. Results are the same up to
    float32 rounding (the order of the sums inside a convolution changes).
    ``module.to(memory_format=...)`` converts 4-D weights only, so dense and recurrent
    layers are untouched; an NCHW input is converted by the first convolution.
    """
    if _CHANNELS_LAST and device.type in ("cpu", "cuda") and any(
            isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in module.modules()):
        return torch.channels_last
    return torch.contiguous_format
