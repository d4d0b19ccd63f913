"""Masked reconstruction loss for padded sequences: padded steps do not count.

How the lengths reach the loss. ``fit_module`` batches rows of one array and hands each
batch to ``objective(module, x)``; it knows nothing of sequences and must stay that way.
So each sample carries its own validity: a **mask channel** appended after the C data
channels, ``(N, T, C + 1)``, 1 on real steps and 0 on padding (built by
:func:`aekit.data.windows.with_mask_channel`). A mask channel, rather than a length
stored in some extra column, because it is already the shape the loss needs, stays
exact in float32 at any length, and travels with its sample through shuffling, chunked
memmap streaming and DDP sharding for free. :func:`split_mask` strips it again, and the
lengths for the encoder are its row sums (padding is always at the end).

Every real step counts once: the batch loss is the squared error summed over real steps
and channels, divided by their number, so a long sequence weighs more than a short one,
as it would if the sequences were concatenated. ``per_sequence_error`` is the mean over
each sequence's own real steps (the anomaly-score basis).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor, nn


def split_mask(batch: Tensor) -> tuple[Tensor, Tensor]:
    """``(B, T, C + 1)`` -> values ``(B, T, C)`` and mask ``(B, T)`` (1 = real step, 0 = padding)."""
    return batch[..., :-1], batch[..., -1]


def masked_error(x_hat: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Squared error per step, ``(B, T)``: summed over channels, zero on padded steps.

    The difference is masked with ``where`` *before* squaring: a multiply by 0, or a
    ``where`` after the square, still lets a NaN or inf in the padding into the gradient
    (0 * NaN = NaN in the backward pass).
    """
    diff = (x_hat - target).where(mask.unsqueeze(-1) > 0, x_hat.new_zeros(()))  # (B, T, C)
    return diff.square().sum(-1)  # (B, T)


def masked_mse(x_hat: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error over the real steps and channels of the whole batch (a scalar)."""
    n_values = mask.sum() * target.shape[-1]
    return masked_error(x_hat, target, mask).sum() / n_values.clamp_min(1.0)


def per_sequence_error(x_hat: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error over each sequence's real steps and channels, ``(B,)``."""
    n_values = mask.sum(1) * target.shape[-1]
    return masked_error(x_hat, target, mask).sum(1) / n_values.clamp_min(1.0)


@dataclass(frozen=True)
class MaskedSequenceObjective:
    """Reconstruct padded sequences; batches are ``(B, T, C + 1)`` with the mask last.

    The module is called as ``module(x, lengths)`` (see :class:`aekit.models.RecurrentAE`).

    Args:
        corrupt: optional ``x -> x_noisy`` on the values, in training only (denoising);
            the target stays clean. Padded steps are re-zeroed after corruption.
    """

    corrupt: Callable[[Tensor], Tensor] | None = None

    def __call__(self, module: nn.Module, batch: Tensor) -> dict[str, Tensor]:
        x, mask = split_mask(batch)
        lengths = mask.sum(1).round().long()  # (B,)
        # The encoder's gather already keeps padding out of the codes, but its backward pass
        # still multiplies zero gradients by the padded steps' Jacobians (0 * NaN = NaN):
        # zeroing the padding makes loss and gradients alike independent of it.
        valid = mask.unsqueeze(-1) > 0  # (B, T, 1)
        x = x.where(valid, x.new_zeros(()))
        x_in = x
        if self.corrupt is not None and module.training:
            x_in = self.corrupt(x).where(valid, x.new_zeros(()))
        x_hat = module(x_in, lengths)  # (B, T, C)
        return {"loss": masked_mse(x_hat, x, mask)}
