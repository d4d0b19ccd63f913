"""Cross-entropy on logits for supervised training through the model-agnostic trainer.

The trainer hands an objective one tensor per batch, so labels travel inside it: the
last column of each row is the class index (exact in float32 below 2**24 classes) and
the rest is the flattened input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def with_labels(x: Tensor, y: Tensor) -> Tensor:
    """Rows of ``x`` flattened, with the class index ``y`` appended as the last column.

    Shape: x ``(N, ...)``, y ``(N,)`` -> ``(N, prod(...) + 1)``
    """
    return torch.cat([x.reshape(len(x), -1).float(), y.reshape(-1, 1).float()], dim=1)


@dataclass(frozen=True)
class ClassificationObjective:
    """``{"loss": cross-entropy, "accuracy": share of correct argmax}`` for a batch built by
    :func:`with_labels`.

    Args:
        input_shape: the per-sample shape the module takes, e.g. ``(784,)`` or ``(1, 28, 28)``.
    """

    input_shape: tuple[int, ...]

    def __call__(self, module: nn.Module, batch: Tensor) -> dict[str, Tensor]:
        x = batch[:, :-1].reshape(len(batch), *self.input_shape)  # (B, *input_shape)
        y = batch[:, -1].round().long()
        logits = module(x)  # (B, n_classes)
        loss = F.cross_entropy(logits.float(), y)
        accuracy = (logits.detach().argmax(dim=1) == y).float().mean()
        return {"loss": loss, "accuracy": accuracy}
