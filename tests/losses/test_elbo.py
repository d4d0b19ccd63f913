"""ELBO maths: closed-form KL, decoder likelihoods, the importance-sampled log-likelihood
against an exactly solvable linear-Gaussian model, the objective and KL warm-up."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, MultivariateNormal, Normal

from aekit.losses.elbo import (ELBOObjective, decoder_log_prob, elbo_terms, importance_log_likelihood,
                               kl_standard_normal, log_normal, reparameterize)
from aekit.models.vae import VAE, VAESpec
from aekit.train.config import TrainConfig
from aekit.train.loop import fit_module


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield


def test_kl_closed_form_matches_monte_carlo():
    mu = torch.tensor([[0.0, 0.0, 0.0], [1.5, -0.5, 0.2], [0.3, 2.0, -1.0]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, 0.0, 0.0], [-1.0, 0.5, -2.0], [1.0, -0.3, 0.0]], dtype=torch.float64)
    z = reparameterize(mu, logvar, torch.randn(200_000, 3, 3, dtype=torch.float64))  # (S, B, L)
    log_ratio = log_normal(z, mu, logvar) - log_normal(z)  # log q(z|x) - log p(z), (S, B)
    mc, se = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(z.shape[0])
    closed = kl_standard_normal(mu, logvar)
    assert float(closed[0]) == 0.0  # q = prior
    assert torch.all((mc - closed).abs() <= 4 * se + 1e-9), (mc, closed, se)
    assert torch.all(closed[1:] > 0)


def test_decoder_log_prob_matches_torch_distributions():
    vae = VAE(VAESpec(n_features=5, latent_dim=2, hidden=(4,)))
    x = torch.bernoulli(torch.full((3, 5), 0.4))
    z = torch.randn(3, 2)
    logits = vae.decode_logits(z)
    torch.testing.assert_close(decoder_log_prob(vae, x, z), Bernoulli(logits=logits).log_prob(x).sum(-1))
    gauss = VAE(VAESpec(n_features=5, latent_dim=2, hidden=(4,), likelihood="gaussian", obs_var=0.3))
    x = torch.randn(3, 5)
    expected = Normal(gauss.decode_logits(z), math.sqrt(0.3)).log_prob(x).sum(-1)
    torch.testing.assert_close(decoder_log_prob(gauss, x, z), expected)
    zs = torch.randn(7, 3, 2)  # (S, B, L): S codes per example
    assert decoder_log_prob(gauss, x, zs).shape == (7, 3)
    torch.testing.assert_close(decoder_log_prob(gauss, x, zs)[4], decoder_log_prob(gauss, x, zs[4]))


def _linear_gaussian(n=6, latent=2, sigma2=0.5, exact=True):
    """A linear VAE whose marginal p(x) = N(b, W W^T + sigma2 I) is known in closed form. W has
    orthogonal columns, so the true posterior is diagonal and the encoder can be set to it."""
    g = torch.Generator().manual_seed(1)
    q, _ = torch.linalg.qr(torch.randn(n, latent, generator=g, dtype=torch.float64))
    W = (q * torch.tensor([2.0, 0.7], dtype=torch.float64)[:latent]).float()  # columns orthogonal
    b = torch.randn(n, generator=g)
    vae = VAE(VAESpec(n_features=n, latent_dim=latent, hidden=(), likelihood="gaussian", obs_var=sigma2))
    post_var = 1.0 / (1.0 + (W * W).sum(0) / sigma2)  # diag of (I + W^T W / sigma2)^-1
    with torch.no_grad():
        vae.decoder[0].weight.copy_(W)
        vae.decoder[0].bias.copy_(b)
        vae.mu.weight.copy_(post_var[:, None] * W.T / sigma2)
        vae.mu.bias.copy_(-(post_var[:, None] * W.T / sigma2) @ b)
        vae.logvar.weight.zero_()
        vae.logvar.bias.copy_(post_var.log())
        if not exact:  # a worse encoder: shifted means, too-wide posterior
            vae.mu.bias.add_(0.3)
            vae.logvar.bias.add_(1.0)
    marginal = MultivariateNormal(b.double(), (W @ W.T).double() + sigma2 * torch.eye(n, dtype=torch.float64))
    return vae, marginal


def test_importance_sampling_is_exact_with_the_true_posterior():
    vae, marginal = _linear_gaussian(exact=True)
    x = marginal.sample((16,)).float()
    truth = marginal.log_prob(x.double()).float()
    with torch.no_grad():
        for k in (1, 10):
            torch.testing.assert_close(importance_log_likelihood(vae, x, torch.randn(k, 2)), truth,
                                       atol=1e-3, rtol=1e-4)  # every weight equals p(x)
        t = elbo_terms(vae, x, torch.randn(20_000, 2))
    # the ELBO is tight too, up to Monte-Carlo error in E_q log p(x|z) (measured <= 0.02 nats)
    torch.testing.assert_close(-(t["recon"] + t["kl"]), truth, atol=0.06, rtol=0)


def test_importance_sampling_tightens_towards_log_px():
    """With a mismatched encoder the ELBO is loose by about 1.2 nats; the importance-sampled
    estimate closes the gap as k grows (a bound in expectation, so a single estimate may land
    a little above log p(x))."""
    vae, marginal = _linear_gaussian(exact=False)
    x = marginal.sample((64,)).float()
    truth = float(marginal.log_prob(x.double()).mean())
    with torch.no_grad():
        t = elbo_terms(vae, x, torch.randn(4096, 2))
        elbo = float(-(t["recon"] + t["kl"]).mean())
        iw = {k: float(importance_log_likelihood(vae, x, torch.randn(k, 2)).mean()) for k in (1000, 10_000)}
    # measured over 4 seeds: truth - elbo 1.18-1.21; |iw1000 - truth| <= 0.07; |iw10000 - truth| <= 0.01
    assert truth - elbo > 1.0
    assert elbo + 1.0 < iw[1000] and abs(iw[1000] - truth) < 0.15
    assert abs(iw[10_000] - truth) < 0.05


def test_importance_sampling_chunks_do_not_change_the_result():
    vae = VAE(VAESpec(n_features=12, latent_dim=3, hidden=(8,)))
    x = torch.bernoulli(torch.full((5, 12), 0.3))
    eps = torch.randn(300, 3)
    with torch.no_grad():
        whole = importance_log_likelihood(vae, x, eps, max_elements=10**9)
        tiny = importance_log_likelihood(vae, x, eps, max_elements=7 * 60)  # 7 draws per chunk
        alone = importance_log_likelihood(vae, x[2:3], eps)  # a row's estimate ignores the other rows
    torch.testing.assert_close(whole, tiny)
    torch.testing.assert_close(alone, whole[2:3])


def test_shared_draws_make_the_elbo_deterministic_and_row_independent():
    vae = VAE(VAESpec(n_features=12, latent_dim=3, hidden=(8,)))
    x = torch.rand(6, 12)
    eps = torch.randn(16, 3)
    with torch.no_grad():
        a = elbo_terms(vae, x, eps)
        b = elbo_terms(vae, x[3:], eps)
    torch.testing.assert_close(a["recon"][3:], b["recon"])
    torch.testing.assert_close(a["kl"][3:], b["kl"])
    assert a["recon"].shape == a["kl"].shape == (6,) and torch.all(a["kl"] >= 0)


def test_objective_terms_and_beta():
    vae = VAE(VAESpec(n_features=12, latent_dim=3, hidden=(8,)))
    x = torch.rand(32, 12)
    torch.manual_seed(3)
    t1 = ELBOObjective(beta=1.0)(vae, x)
    torch.manual_seed(3)
    t4 = ELBOObjective(beta=4.0)(vae, x)
    assert set(t1) == {"loss", "recon", "kl"}
    torch.testing.assert_close(t1["loss"], t1["recon"] + t1["kl"])
    torch.testing.assert_close(t4["loss"], t4["recon"] + 4.0 * t4["kl"])
    # nats per example: summed over the 12 features, not averaged
    with torch.no_grad():
        per_feature = torch.nn.functional.binary_cross_entropy_with_logits(vae.decode_logits(vae.encode(x)[0]), x)
    assert float(t1["recon"].detach()) > 6 * float(per_feature)


def test_binarize_resamples_training_batches_only():
    seen = []

    class Spy(VAE):
        def encode(self, x):
            seen.append(x.clone())
            return super().encode(x)

    vae = Spy(VAESpec(n_features=12, latent_dim=3, hidden=(8,)))
    x = torch.full((64, 12), 0.25)
    obj = ELBOObjective(binarize=True)
    vae.train()
    obj(vae, x)
    vae.eval()
    obj(vae, x)
    assert set(seen[0].unique().tolist()) == {0.0, 1.0} and abs(float(seen[0].mean()) - 0.25) < 0.05
    torch.testing.assert_close(seen[1], x)


def test_kl_warmup_is_a_pure_function_of_progress():
    obj = ELBOObjective(kl_warmup=10)
    for done, weight in [(0.0, 0.0), (2.5, 0.25), (5.0, 0.5), (10.0, 1.0), (37.0, 1.0), (5.0, 0.5)]:
        obj.set_progress(done)
        assert obj.kl_weight == pytest.approx(weight)  # only the progress counts, not what came before
    off = ELBOObjective()
    off.set_progress(0.0)
    assert off.kl_weight == 1.0  # kl_warmup=0: no warm-up


def test_kl_warmup_weights_the_loss():
    vae = VAE(VAESpec(n_features=12, latent_dim=3, hidden=(8,)))
    x = torch.rand(16, 12)
    obj = ELBOObjective(beta=2.0, kl_warmup=4)
    obj.set_progress(1.0)
    with torch.random.fork_rng(devices=[]):
        terms = obj(vae, x)
    torch.testing.assert_close(terms["loss"], terms["recon"] + 0.5 * terms["kl"])


def test_kl_warmup_anneals_through_the_model_agnostic_trainer():
    vae = VAE(VAESpec(n_features=12, latent_dim=3, hidden=(8,)))
    obj = ELBOObjective(beta=2.0, kl_warmup=4)
    data = np.random.default_rng(0).random((64, 12)).astype(np.float32)
    history = fit_module(vae, data, obj, TrainConfig(epochs=6, batch_size=16, device="cpu", seed=0))
    assert len(history) == 6
    first = history[0]
    assert first["loss"] < first["recon"] + 2.0 * first["kl"]  # the first epoch ran annealed (needs the loop's hook)
    last = history[-1]
    assert last["loss"] == pytest.approx(last["recon"] + 2.0 * last["kl"])  # warmed up
