"""Sparse and contractive penalties: the equations, checked numerically."""

from __future__ import annotations

import pytest
import torch

from aekit.losses.objective import ReconstructionObjective
from aekit.losses.penalties import (ContractivePenalty, KLSparsity, L1Activity, contractive_closed_form,
                                    jacobian_norm, jacobian_sq_norm, kl_divergence, sigmoid_layer)
from aekit.models.conv import ConvAE, ConvSpec
from aekit.models.dense import DenseAE, DenseSpec

TRAIN, EVAL = torch.nn.Module().train(), torch.nn.Module().eval()  # stand-ins that only carry the mode


def _reference_sq_norms(encode, x):
    """‖J‖²_F per sample, one full Jacobian per sample: slow and obviously right."""
    return torch.stack([torch.autograd.functional.jacobian(encode, x[i:i + 1]).square().sum() for i in range(len(x))])


@pytest.fixture
def sig() -> DenseAE:
    torch.manual_seed(0)
    ae = DenseAE(DenseSpec(n_features=12, latent_dim=5, code_activation="sigmoid"))
    ae.init_from_data(torch.rand(12))  # a centred input, as after fit: the shift leaves the Jacobian alone
    return ae


def test_l1_is_weight_times_batch_mean_of_summed_absolute_codes():
    h = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, -1.0]])
    assert L1Activity(0.1)(TRAIN, h, h).item() == pytest.approx(0.1 * (3.0 + 2.0) / 2)


def test_kl_divergence_formula():
    rho_hat = torch.tensor([0.05, 0.2, 0.5])
    expected = 0.05 * torch.log(0.05 / rho_hat) + 0.95 * torch.log(0.95 / (1 - rho_hat))
    torch.testing.assert_close(kl_divergence(0.05, rho_hat), expected)
    assert kl_divergence(0.05, rho_hat)[0].item() == pytest.approx(0.0, abs=1e-7)


def test_kl_ema_follows_its_update_equation():
    rho, beta, lam = 0.1, 2.0, 0.9
    penalty = KLSparsity(target=rho, weight=beta, decay=lam)
    torch.manual_seed(0)
    batches = [torch.rand(16, 4) * s for s in (1.0, 0.5, 0.2, 0.8)]
    expected = None
    for t, h in enumerate(batches):
        m = h.mean(0)
        expected = m if t == 0 else lam * expected + (1 - lam) * m  # ρ̂_t = λ·ρ̂_{t−1} + (1−λ)·m_t, ρ̂_1 = m_1
        value = penalty(TRAIN, h, h)
        torch.testing.assert_close(penalty.rho_hat, expected)
        torch.testing.assert_close(value, beta * kl_divergence(rho, expected).sum())


def test_kl_gradient_flows_through_the_batch_mean_only():
    rho, beta = 0.05, 3.0
    penalty = KLSparsity(target=rho, weight=beta, decay=0.9)
    penalty(TRAIN, None, torch.full((8, 3), 0.4))  # ρ̂_1 = 0.4
    h = torch.rand(8, 3).requires_grad_(True)
    penalty(TRAIN, None, h).backward()
    rho_hat = penalty.rho_hat
    dkl = -rho / rho_hat + (1 - rho) / (1 - rho_hat)  # ∂KL(ρ‖ρ̂)/∂ρ̂ at the EMA value
    torch.testing.assert_close(h.grad, (beta * dkl / 8).expand(8, 3))  # ∂m/∂h = 1/B, no (1−λ) factor


def test_kl_with_no_decay_is_the_plain_batch_kl():
    h = torch.rand(10, 6)
    penalty = KLSparsity(target=0.2, weight=1.5, decay=0.0)
    penalty(TRAIN, None, torch.rand(10, 6))
    torch.testing.assert_close(penalty(TRAIN, None, h), 1.5 * kl_divergence(0.2, h.mean(0)).sum())


def test_kl_in_eval_mode_uses_the_batch_and_leaves_the_average_alone():
    penalty = KLSparsity(target=0.05, weight=1.0, decay=0.99)
    penalty(TRAIN, None, torch.full((4, 2), 0.3))
    h = torch.full((4, 2), 0.1)
    torch.testing.assert_close(penalty(EVAL, None, h), kl_divergence(0.05, h.mean(0)).sum())
    torch.testing.assert_close(penalty.rho_hat, torch.full((2,), 0.3))


def test_contractive_closed_form_equals_autograd_on_a_sigmoid_layer(sig):
    x = torch.rand(6, 12, requires_grad=True)
    h = sig.encode(x)
    closed = contractive_closed_form(h, sigmoid_layer(sig).weight)
    torch.testing.assert_close(closed, _reference_sq_norms(sig.encode, x.detach()))
    torch.testing.assert_close(jacobian_sq_norm(sig.encode, x, h), closed)
    # same gradients for the weights too, so training through either is the same
    weights = list(sig.encoder.parameters())
    g_closed = torch.autograd.grad(closed.mean(), weights, retain_graph=True, allow_unused=True)
    g_auto = torch.autograd.grad(jacobian_sq_norm(sig.encode, x, h, create_graph=True).mean(), weights)
    for a, b in zip(g_closed, g_auto):
        torch.testing.assert_close(torch.zeros_like(b) if a is None else a, b)


def test_autograd_jacobian_is_exact_for_deep_and_conv_encoders():
    torch.manual_seed(0)
    deep = DenseAE(DenseSpec(n_features=10, latent_dim=3, hidden=(8, 6), activation="tanh"))
    conv = ConvAE(ConvSpec(in_channels=1, height=6, width=6, latent_dim=3, channels=(2,)))
    assert sigmoid_layer(deep) is None and sigmoid_layer(conv) is None
    for module, x in ((deep, torch.rand(4, 10)), (conv, torch.rand(3, 1, 6, 6))):
        torch.testing.assert_close(jacobian_sq_norm(module.encode, x), _reference_sq_norms(module.encode, x))
        torch.testing.assert_close(jacobian_norm(module.encode, x), _reference_sq_norms(module.encode, x).sqrt())


def test_hutchinson_estimate_is_unbiased():
    torch.manual_seed(0)
    deep = DenseAE(DenseSpec(n_features=10, latent_dim=8, hidden=(16,)))
    x = torch.rand(5, 10)
    exact = jacobian_sq_norm(deep.encode, x)
    estimate = jacobian_sq_norm(deep.encode, x, projections=4000)
    torch.testing.assert_close(estimate, exact, rtol=0.05, atol=0)  # measured: within 1.5%


def test_objective_adds_the_named_penalties_to_the_reconstruction(sig):
    x = torch.rand(8, 12)
    obj = ReconstructionObjective("mse", "sigmoid", penalties=(L1Activity(0.01), ContractivePenalty(0.5)))
    terms = obj(sig.train(), x)
    assert set(terms) == {"loss", "recon", "sparsity", "contractive"}
    torch.testing.assert_close(terms["loss"], terms["recon"] + terms["sparsity"] + terms["contractive"])
    expected = 0.5 * _reference_sq_norms(sig.encode, x).mean()
    torch.testing.assert_close(terms["contractive"], expected)
    terms["loss"].backward()
    assert all(p.grad is not None for p in sig.parameters())
    assert set(ReconstructionObjective("mse", "sigmoid")(sig, x)) == {"loss"}  # no penalty: history unchanged


def test_autograd_contractive_works_under_no_grad_for_validation():
    torch.manual_seed(0)
    deep = DenseAE(DenseSpec(n_features=10, latent_dim=3, hidden=(8,))).eval()
    obj = ReconstructionObjective("mse", "sigmoid", penalties=(ContractivePenalty(1.0),))
    x = torch.rand(4, 10)
    with torch.no_grad():
        value = obj(deep, x)["contractive"]
    torch.testing.assert_close(value, _reference_sq_norms(deep.encode, x).mean())
