"""Objectives: a module and a batch in, named loss terms out.

The trainer minimises ``terms["loss"]`` and logs every other term, so a history shows
what each part of a composite loss did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from torch import Tensor, nn

from aekit.losses.reconstruction import reconstruction_loss


class Objective(Protocol):
    """What the trainer calls: ``objective(module, x) -> {"loss": scalar, ...}``."""

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]: ...


@dataclass(frozen=True)
class ReconstructionObjective:
    """Reconstruct the clean input, optionally from a corrupted copy (denoising).

    Args:
        loss: "mse" or "bce".
        output: the module's output activation, "sigmoid" or "linear".
        corrupt: optional ``x -> x_noisy`` applied in training only; the target stays clean.
    """

    loss: str = "mse"
    output: str = "sigmoid"
    corrupt: Callable[[Tensor], Tensor] | None = None

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        x_in = self.corrupt(x) if (self.corrupt is not None and module.training) else x
        logits = module.decode_logits(module.encode(x_in))  # type: ignore[operator]
        recon = reconstruction_loss(logits, x, self.loss, self.output)
        return {"loss": recon}
