"""MaskedImputationObjective: scores only observed entries, and hides squares in images."""

from __future__ import annotations

import torch

from aekit.losses.masked import MaskedImputationObjective, masked_error


def objective(**kw) -> MaskedImputationObjective:
    d = kw.pop("d", 2 * 6 * 6)
    return MaskedImputationObjective(column_of=torch.arange(d), numeric=torch.ones(d, dtype=torch.bool), **kw)


def test_square_holes_are_one_square_per_image_the_same_in_every_channel():
    torch.manual_seed(0)
    holes = objective(image_shape=(2, 6, 6))._square_holes(500, torch.device("cpu")).reshape(500, 2, 6, 6)
    assert torch.equal(holes[:, 0], holes[:, 1])
    rows, cols = holes[:, 0].any(2), holes[:, 0].any(1)
    side_r, side_c = rows.sum(1), cols.sum(1)
    assert torch.equal(side_r, side_c) and side_r.min() >= 1 and side_r.max() <= 3  # a quarter to a half of 6
    assert torch.equal(holes[:, 0].sum((1, 2)), side_r * side_c)  # a full square, nothing else
    assert set(side_r.tolist()) == {1, 2, 3}


def test_an_entry_missing_in_the_data_never_counts_in_the_loss():
    torch.manual_seed(0)
    d = 4
    x = torch.randn(8, d)
    m = torch.ones(8, d)
    m[:, 0] = 0  # column 0 is never observed: the loss must not depend on its value
    net = torch.nn.Linear(2 * d, d)
    obj = objective(d=d, drop_rate=0.5, refine=False)
    torch.manual_seed(1)
    a = obj(net, torch.cat([x * m, m], 1))["loss"]
    x2 = x.clone()
    x2[:, 0] = 100.0
    torch.manual_seed(1)
    b = obj(net, torch.cat([x2 * m, m], 1))["loss"]
    assert torch.allclose(a, b)


def test_masked_error_is_the_weighted_mean_of_squared_errors():
    out, x = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]])
    err = masked_error(out, x, torch.tensor([[1.0, 0.0]]), torch.tensor([True, True]), ())
    assert err.item() == 1.0


# ---------------------------------------------------------------- the conv inpainting objective
def test_random_holes_are_scattered_pixels_or_one_block_of_random_size_in_every_channel():
    from aekit.losses.masked import random_holes

    torch.manual_seed(0)
    holes = random_holes(2000, (2, 16, 16))
    assert holes.shape == (2000, 2, 16, 16) and torch.equal(holes[:, 0], holes[:, 1])
    h = holes[:, 0]
    rows, cols = h.any(2).sum(1), h.any(1).sum(1)
    is_block = (h.sum((1, 2)) == rows * cols) & (rows == cols) & (rows >= 2) & (rows <= 8)
    assert 0.4 < is_block.float().mean() < 0.6  # half blocks (a scattered draw is almost never a square)
    sides = rows[is_block]
    assert sides.min() == 2 and sides.max() == 8  # an eighth to a half of the side, both ends drawn
    rates = h[~is_block].float().mean((1, 2))
    assert rates.min() < 0.1 and 0.45 < rates.max() < 0.6  # scattered at 5% .. 50%, uniformly:
    assert 0.25 < rates.mean() < 0.30


def test_the_inpainting_loss_counts_only_hidden_observed_pixels():
    from aekit.losses.masked import InpaintObjective

    torch.manual_seed(0)
    x = torch.rand(8, 1, 6, 6)
    m = (torch.rand(8, 1, 6, 6) > 0.3).float()
    seen = []

    def module(xm):  # records what it was shown, predicts 0 everywhere
        seen.append(xm)
        return torch.zeros(8, 1, 6, 6)

    out = InpaintObjective()(module, torch.cat([x * m, m], 1))
    x_in, m_in = seen[0][:, :1], seen[0][:, 1:]
    assert torch.all(m_in <= m) and torch.equal(x_in, x * m_in)  # only observed pixels shown, some hidden
    hidden = (m - m_in).bool()
    assert torch.allclose(out["loss"], x[hidden].square().mean())  # the error on the hidden ones only
