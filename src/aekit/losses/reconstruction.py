"""Reconstruction losses on decoder logits.

Where the decoder ends in a sigmoid, BCE is computed from the logits
(:func:`aekit.losses.bce.bce_with_logits`): it never takes log(0), and it skips the separate
sigmoid and its backward pass (about 2x cheaper than sigmoid + ``BCELoss`` on the
784-32-784 model; on the CPU it is also faster than PyTorch's own
``binary_cross_entropy_with_logits``, see that module). MSE on a sigmoid output applies the
sigmoid first.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from aekit.losses.bce import bce_with_logits

LossName = Literal["mse", "bce"]
LOSSES: tuple[str, ...] = ("mse", "bce")


def elementwise_error(logits: Tensor, target: Tensor, loss: str, output: str) -> Tensor:
    """Per-element reconstruction error, same shape as ``target``.

    Args:
        logits: decoder output before the output activation.
        target: the clean input.
        loss: "mse" or "bce" (BCE needs targets in [0, 1]).
        output: "sigmoid" or "linear", the decoder's output activation.
    """
    if loss == "bce":
        if output == "sigmoid":
            return F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        return F.binary_cross_entropy(logits.clamp(1e-7, 1 - 1e-7), target, reduction="none")
    x_hat = torch.sigmoid(logits) if output == "sigmoid" else logits
    return (x_hat - target).square()


def reconstruction_loss(logits: Tensor, target: Tensor, loss: str, output: str) -> Tensor:
    """Mean error over all elements of the batch (a scalar), the quantity Keras reports."""
    if loss == "bce" and output == "sigmoid":
        return bce_with_logits(logits, target)
    if loss == "mse" and output == "linear":
        return F.mse_loss(logits, target)
    return elementwise_error(logits, target, loss, output).mean()


def per_sample_error(logits: Tensor, target: Tensor, loss: str, output: str) -> Tensor:
    """Mean error per sample, shape ``(B,)``: the anomaly score and ``score_samples`` basis."""
    return elementwise_error(logits, target, loss, output).flatten(1).mean(1)
