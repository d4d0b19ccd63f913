"""Masked reconstruction for imputation: learn to fill entries the model cannot see.

The batch is one tensor ``[x, m]`` of shape ``(B, 2·D)``: ``x`` the scaled table with its
missing entries at 0 (the column mean after centring), ``m`` its observed mask (1 =
observed). Each step hides a random share of the *observed* entries (per original column,
so a one-hot group is hidden whole), runs the module on ``[x ⊙ m_in, m_in]`` and scores
its output on observed entries only: those it had to fill count fully, those it could see
count ``visible_weight`` (MIDA reconstructs everything; a denoising imputer only needs the
hidden ones, and copying visible values would spend capacity on the identity). With
``refine`` the module also gets a second look, ``[x ⊙ m_in + x̂ ⊙ (1 − m_in), m_in]`` with
its own first fill ``x̂`` (detached), which is what transform-time refinement feeds it.

Images (``image_shape``) lose pixels in two shapes in practice, scattered and in patches,
and a network only shown scattered holes learns to interpolate from neighbours it will not
have inside a patch. So half the images of each batch get the scattered hiding and half
one square, its side uniform between a quarter and a half of the image's shorter side, at a
uniform position (the same square across channels).

References: Gondara & Wang, "MIDA: Multiple Imputation using Denoising Autoencoders"
(PAKDD 2018); Vincent et al., "Extracting and composing robust features with denoising
autoencoders" (ICML 2008).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def masked_error(out: Tensor, x: Tensor, weight: Tensor, numeric: Tensor,
                 groups: tuple[tuple[int, int], ...]) -> Tensor:
    """Weighted mean error: squared error on numeric columns, cross-entropy per one-hot group.

    Args:
        out: module output ``(B, D)`` (raw scores on one-hot columns).
        x: target ``(B, D)``.
        weight: ``(B, D)`` per-entry weights (0 where the target is missing).
        numeric: bool ``(D,)``, True for numeric columns.
        groups: ``(start, stop)`` column spans of the one-hot groups.

    Returns:
        A scalar: the weighted error summed over entries (one per categorical group)
        divided by the total weight, so a batch with few hidden entries is not under-weighted.
    """
    num_w = weight[:, numeric]
    total = ((out[:, numeric] - x[:, numeric]).square() * num_w).sum()
    norm = num_w.sum()
    for start, stop in groups:
        w = weight[:, start]  # the whole group shares its column's mask
        ce = F.cross_entropy(out[:, start:stop], x[:, start:stop].argmax(1), reduction="none")
        total = total + (ce * w).sum()
        norm = norm + w.sum()
    return total / norm.clamp_min(1.0)


@dataclass(frozen=True)
class MaskedImputationObjective:
    """Denoising imputation loss over observed entries (see the module docstring).

    Args:
        column_of: ``(D,)`` long tensor, the original column of each model column (one-hot
            columns of one categorical share it).
        numeric: ``(D,)`` bool tensor, True for numeric model columns.
        groups: ``(start, stop)`` spans of the one-hot groups.
        drop_rate: probability of hiding each observed original entry per step.
        visible_weight: weight of the observed entries the module could see.
        refine: also score a second pass fed with the first pass's fill.
        image_shape: ``(H, W)`` or ``(C, H, W)`` when each row is an image (pixels in that
            order): half the rows then get a square hidden instead (module docstring).

    Returns (on call):
        ``{"loss", "hidden", "visible"}`` (plus ``"refined"`` with ``refine``): the total,
        the error on the hidden entries, and on the visible ones (first pass).
    """

    column_of: Tensor
    numeric: Tensor
    groups: tuple[tuple[int, int], ...] = ()
    drop_rate: float = 0.3
    visible_weight: float = 0.1
    refine: bool = True
    image_shape: tuple[int, ...] = ()

    def _square_holes(self, n: int, device: torch.device) -> Tensor:
        """``(n, C·H·W)`` bool, True inside one random square per row."""
        *c, h, w = self.image_shape
        short = min(h, w)
        lo, hi = max(1, short // 4), max(1, short // 2)
        side = torch.randint(lo, hi + 1, (n, 1), device=device)
        top = (torch.rand(n, 1, device=device) * (h - side + 1)).long()
        left = (torch.rand(n, 1, device=device) * (w - side + 1)).long()
        rows = torch.arange(h, device=device)[None]
        cols = torch.arange(w, device=device)[None]
        in_rows = (rows >= top) & (rows < top + side)  # (n, H)
        in_cols = (cols >= left) & (cols < left + side)  # (n, W)
        square = (in_rows[:, :, None] & in_cols[:, None, :]).reshape(n, 1, h * w)
        return square.expand(n, c[0] if c else 1, h * w).reshape(n, -1)

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        d = x.shape[1] // 2
        x, m = x[:, :d], x[:, d:]  # (B, 2D) -> values (B, D), mask (B, D)
        n_cols = int(self.column_of.max()) + 1
        keep = (torch.rand(x.shape[0], n_cols, device=x.device) >= self.drop_rate).to(x.dtype)
        if self.image_shape:  # half the images: one hidden square instead of scattered pixels
            squares = torch.rand(x.shape[0], 1, device=x.device) < 0.5
            keep = torch.where(squares, (~self._square_holes(x.shape[0], x.device)).to(x.dtype), keep)
        m_in = m * keep[:, self.column_of.to(x.device)]
        hidden = m - m_in
        numeric, groups = self.numeric.to(x.device), self.groups
        out = module(torch.cat([x * m_in, m_in], dim=1))
        err_hidden = masked_error(out, x, hidden, numeric, groups)
        err_visible = masked_error(out, x, m_in, numeric, groups)
        loss = err_hidden + self.visible_weight * err_visible
        terms = {"hidden": err_hidden.detach(), "visible": err_visible.detach()}
        if self.refine:
            filled = x * m_in + fill_values(out.detach(), numeric, groups) * (1 - m_in)
            out2 = module(torch.cat([filled, m_in], dim=1))
            err2 = masked_error(out2, x, hidden, numeric, groups)
            loss = loss + err2
            terms["refined"] = err2.detach()
        return {"loss": loss, **terms}


def fill_values(out: Tensor, numeric: Tensor, groups: tuple[tuple[int, int], ...]) -> Tensor:
    """Module output as values: numeric columns as they are, each one-hot group as the
    softmax probabilities of its categories (what the next refinement pass is fed)."""
    if not groups:
        return out
    vals = out.clone()
    for start, stop in groups:
        vals[:, start:stop] = torch.softmax(out[:, start:stop], dim=1)
    return vals


def random_holes(n: int, shape: tuple[int, int, int], *, scattered: tuple[float, float] = (0.05, 0.5),
                 device: torch.device | None = None) -> Tensor:
    """``(n, C, H, W)`` bool, True = hidden: per image either scattered pixels or one block.

    Half the images (at random) lose each pixel with a probability drawn uniformly from
    ``scattered``; the other half lose one square whose side is uniform between an eighth
    and a half of the shorter side, at a uniform position. A hole covers every channel of
    its pixel. Drawn from torch's global generator (seeded by the training loop).
    """
    c, h, w = shape
    short = min(h, w)
    rate = torch.empty(n, 1, 1, 1, device=device).uniform_(*scattered)
    pixels = torch.rand(n, 1, h, w, device=device) < rate
    side = torch.randint(max(1, short // 8), max(1, short // 2) + 1, (n, 1, 1), device=device)
    top = (torch.rand(n, 1, 1, device=device) * (h - side + 1)).long()
    left = (torch.rand(n, 1, 1, device=device) * (w - side + 1)).long()
    rows = torch.arange(h, device=device).view(1, h, 1)
    cols = torch.arange(w, device=device).view(1, 1, w)
    block = ((rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)).unsqueeze(1)
    use_block = (torch.rand(n, 1, 1, 1, device=device) < 0.5)
    return torch.where(use_block, block, pixels).expand(n, c, h, w)


@dataclass(frozen=True)
class InpaintObjective:
    """Inpainting loss for a network on ``[image ⊙ mask, mask]`` (channels ``2·C``).

    The batch is ``(B, 2·C, H, W)``: the scaled images with missing pixels at 0, then their
    observed mask (1 = observed). Each step hides :func:`random_holes` (scattered pixels or
    a block) among the observed pixels and scores the squared error on the hidden observed
    pixels only: the training images may have holes of their own, and their truth is unknown.

    Returns (on call):
        ``{"loss", "hidden"}``: the mean squared error over the hidden pixels (both the same).
    """

    scattered: tuple[float, float] = (0.05, 0.5)

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        c = x.shape[1] // 2
        x, m = x[:, :c], x[:, c:]  # (B, 2C, H, W) -> values (B, C, H, W), mask (B, C, H, W)
        holes = random_holes(x.shape[0], (c, x.shape[2], x.shape[3]), scattered=self.scattered, device=x.device)
        m_in = m * (~holes).to(x.dtype)
        hidden = m - m_in
        out = module(torch.cat([x * m_in, m_in], dim=1))
        err = ((out - x).square() * hidden).sum() / hidden.sum().clamp_min(1.0)
        return {"loss": err, "hidden": err.detach()}
