"""Objectives: a module and a batch in, named loss terms out.

The trainer minimises ``terms["loss"]`` and logs every other term, so a history shows
what each part of a composite loss did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor, nn

from aekit.losses.penalties import Penalty
from aekit.losses.reconstruction import reconstruction_loss


class Objective(Protocol):
    """What the trainer calls: ``objective(module, x) -> {"loss": scalar, ...}``."""

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]: ...


@dataclass(frozen=True)
class ReconstructionObjective:
    """Reconstruct the clean input, optionally from a corrupted copy (denoising), plus penalties.

    Args:
        loss: "mse" or "bce".
        output: the module's output activation, "sigmoid" or "linear".
        corrupt: optional ``x -> x_noisy`` applied in training only; the target stays clean.
        penalties: terms on the code ``h = module.encode(x_in)`` (see
            :mod:`aekit.losses.penalties`), each already weighted. With any penalty the
            terms are ``{"loss": recon + Σ penalties, "recon": recon, <name>: value, ...}``;
            without, just ``{"loss": recon}``.
    """

    loss: str = "mse"
    output: str = "sigmoid"
    corrupt: Callable[[Tensor], Tensor] | None = None
    penalties: tuple[Penalty, ...] = ()

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        x_in = self.corrupt(x) if (self.corrupt is not None and module.training) else x
        if torch.is_grad_enabled() and any(p.needs_input_grad for p in self.penalties):
            x_in = x_in.detach().requires_grad_(True)  # a contractive term differentiates h by x_in
        h = module.encode(x_in)  # type: ignore[operator]
        logits = module.decode_logits(h)  # type: ignore[operator]
        recon = reconstruction_loss(logits, x, self.loss, self.output)
        if not self.penalties:
            return {"loss": recon}
        terms = {"recon": recon}
        for penalty in self.penalties:
            terms[penalty.name] = penalty(module, x_in, h)
        return {"loss": sum(terms.values()), **terms}  # type: ignore[dict-item]
