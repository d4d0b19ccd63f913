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
