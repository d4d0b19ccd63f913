"""aekit's BCE-with-logits agrees with PyTorch's in value and gradient, and falls back to it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from aekit.losses.bce import bce_with_logits


def _reference(logits: torch.Tensor, target: torch.Tensor, reduction: str) -> torch.Tensor:
    """PyTorch's function in float64: the exact answer to compare against."""
    full = F.binary_cross_entropy_with_logits(logits.double(), target.double(), reduction="none")
    return full.mean() if reduction == "mean" else full.flatten(1).sum(1)


@pytest.mark.parametrize("shape", [(256, 784), (3, 1, 28, 28), (5, 7), (4, 13, 3), (2, 64), (1, 1), (6, 96)])
@pytest.mark.parametrize("reduction", ["mean", "rows"])
@pytest.mark.parametrize("scale", [0.1, 3.0, 40.0])
def test_value_and_gradient_match_pytorch(shape, reduction, scale):
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(shape, generator=g) * scale).requires_grad_(True)
    target = torch.rand(shape, generator=g)
    if scale > 10:  # saturated logits against hard 0/1 targets: the loss is tiny or huge per element
        target = target.round()
    ours = bce_with_logits(logits, target, reduction)
    ref = _reference(logits.detach(), target, reduction)
    assert ours.dtype == torch.float32 and ours.shape == ref.shape
    torch.testing.assert_close(ours.double(), ref, rtol=2e-6, atol=2e-6)
    weights = torch.rand(ours.shape, generator=g)  # a non-uniform upstream gradient for the rows case
    (grad,) = torch.autograd.grad((ours * weights).sum(), logits)
    x64 = logits.detach().double().requires_grad_(True)
    (ref_grad,) = torch.autograd.grad((_reference(x64, target, reduction) * weights.double()).sum(), x64)
    assert grad.shape == logits.shape
    # float32 rounds sigmoid(x) to ~6e-8, so where it nearly equals the target, s - t is only
    # that exact (PyTorch's own float32 gradient is no closer)
    torch.testing.assert_close(grad.double(), ref_grad, rtol=1e-5, atol=2e-7 * float(ref_grad.abs().max()))


def test_extreme_logits_stay_finite_and_exact():
    logits = torch.tensor([[-200.0, -90.0, -20.0, 0.0, 20.0, 90.0, 200.0, 1e-8]], requires_grad=True)
    for target in (torch.zeros_like(logits), torch.ones_like(logits), torch.full_like(logits, 0.3)):
        ours = bce_with_logits(logits, target, "rows")
        assert torch.isfinite(ours).all()
        torch.testing.assert_close(ours.double(), _reference(logits.detach(), target, "rows"), rtol=1e-6, atol=1e-6)


def test_non_finite_logits_give_a_non_finite_loss():
    """The trainer's divergence check reads the loss: a NaN must not be hidden."""
    logits = torch.zeros(4, 8)
    logits[2, 3] = float("nan")
    logits.requires_grad_(True)
    assert torch.isnan(bce_with_logits(logits, torch.rand(4, 8)))
    assert torch.isnan(bce_with_logits(logits, torch.rand(4, 8), "rows")[2])


def test_non_contiguous_inputs():
    base = torch.randn(16, 40).requires_grad_(True)
    logits, target = base[:, ::2], torch.rand(40, 16).t()[:, ::2]  # strided views
    torch.testing.assert_close(bce_with_logits(logits, target).double(), _reference(logits.detach(), target, "mean"),
                               rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("reduction", ["mean", "rows"])
def test_without_gradients_it_is_pytorchs_function_exactly(reduction):
    """Scores are computed without gradients; there a row's loss must not depend on the rows
    beside it, which PyTorch's kernel guarantees to the bit."""
    logits, target = torch.randn(7, 5) * 3, torch.rand(7, 5)
    full = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    expected = full.mean() if reduction == "mean" else full.sum(1)
    assert torch.equal(bce_with_logits(logits, target, reduction), expected)
    with torch.no_grad():
        assert torch.equal(bce_with_logits(logits.clone().requires_grad_(True), target, reduction), expected)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_other_dtypes_use_pytorchs_function(dtype):
    logits, target = torch.randn(4, 10, dtype=dtype), torch.rand(4, 10, dtype=dtype)
    assert torch.equal(bce_with_logits(logits, target), F.binary_cross_entropy_with_logits(logits, target))


def test_a_target_that_needs_a_gradient_gets_one():
    logits, target = torch.randn(4, 10), torch.rand(4, 10).requires_grad_(True)
    (g,) = torch.autograd.grad(bce_with_logits(logits, target), target)
    torch.testing.assert_close(g, -logits / logits.numel())


def test_second_derivative_is_refused_not_wrong():
    logits = torch.randn(4, 10).requires_grad_(True)
    (g,) = torch.autograd.grad(bce_with_logits(logits, torch.rand(4, 10)), logits, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        bce_with_logits(torch.zeros(4, 10), torch.zeros(4, 11))
