"""VAE modules: shapes, deterministic forward, the log-variance guard, likelihood parameters."""

from __future__ import annotations

import math

import pytest
import torch

from aekit.losses.elbo import elbo_terms
from aekit.models import REGISTRY, build, canonical_kind, spec_from_dict, spec_to_dict
from aekit.models.vae import LOGVAR_MAX, LOGVAR_MIN, ConvVAE, ConvVAESpec, PosteriorMean, VAE, VAESpec


@pytest.fixture(autouse=True)
def _seeded_no_grad():
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        yield


def test_registered_under_one_name_each():
    assert REGISTRY["vae"] == (VAE, VAESpec) and REGISTRY["conv-vae"] == (ConvVAE, ConvVAESpec)
    assert "conv_vae" not in REGISTRY  # the command line's name is the one name


def test_the_old_name_of_the_conv_vae_still_builds_and_reads():
    spec = ConvVAESpec(in_channels=1, height=8, width=8, latent_dim=2, channels=(4,))
    assert canonical_kind("conv_vae") == "conv-vae" and canonical_kind("dense") == "dense"
    assert spec_from_dict("conv_vae", spec_to_dict(spec)) == spec
    assert isinstance(build("conv_vae", spec), ConvVAE)


def test_posterior_mean_is_the_deterministic_encoder():
    vae = VAE(VAESpec(n_features=6, latent_dim=2, hidden=(4,)))
    x = torch.rand(3, 6)
    torch.testing.assert_close(PosteriorMean(vae)(x), vae.encode(x)[0])
    assert dict(PosteriorMean(vae).named_parameters()).keys() == {f"vae.{k}" for k, _ in vae.named_parameters()}


@pytest.mark.parametrize("hidden", [(), (16,), (32, 8)])
def test_dense_shapes_and_deterministic_forward(hidden):
    vae = build("vae", VAESpec(n_features=20, latent_dim=3, hidden=hidden))
    x = torch.rand(5, 20)
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (5, 3)
    assert vae.decode_logits(mu).shape == (5, 20)
    out = vae(x)
    torch.testing.assert_close(out, torch.sigmoid(vae.decode_logits(mu)))  # reconstruction from mu
    torch.testing.assert_close(vae(x), out)  # no sampling inside the module
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0  # Bernoulli means


@pytest.mark.parametrize("upsample", ["nearest", "transpose"])
def test_conv_shapes_for_odd_sizes_and_channels(upsample):
    vae = ConvVAE(ConvVAESpec(in_channels=3, height=7, width=9, latent_dim=4, channels=(4, 8), upsample=upsample))
    x = torch.rand(2, 3, 7, 9)
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (2, 4)
    assert vae.decode(mu).shape == (2, 3, 7, 9) and vae(x).shape == (2, 3, 7, 9)


def test_logvar_guard_keeps_huge_inputs_finite():
    """An unbounded log-variance head overflows exp() on a far-out input; the clamp keeps the
    sample, the KL and the reconstruction finite."""
    vae = VAE(VAESpec(n_features=16, latent_dim=8, hidden=(32,)))
    x = torch.full((4, 16), 1e5)
    raw = vae.logvar(vae.encoder(x))
    assert float(raw.max()) > 88.0 and not torch.isfinite(torch.exp(raw)).all()  # the danger is real
    mu, logvar = vae.encode(x)
    assert float(logvar.max()) <= LOGVAR_MAX and float(logvar.min()) >= LOGVAR_MIN
    terms = elbo_terms(vae, x)  # targets outside [0, 1]: a meaningless but finite BCE
    assert all(torch.isfinite(t).all() for t in terms.values())
    assert torch.isfinite(vae(x)).all()
    conv = ConvVAE(ConvVAESpec(in_channels=1, height=8, width=8, latent_dim=4, channels=(4,)))
    mu, logvar = conv.encode(torch.full((2, 1, 8, 8), 1e5))
    assert torch.isfinite(torch.exp(0.5 * logvar)).all() and float(logvar.max()) <= LOGVAR_MAX


def test_gaussian_variance_learned_or_fixed():
    learned = VAE(VAESpec(n_features=6, latent_dim=2, hidden=(8,), likelihood="gaussian"))
    assert isinstance(learned.obs_log_var, torch.nn.Parameter) and "obs_log_var" in learned.state_dict()
    torch.testing.assert_close(learned.decoder_logvar(), torch.zeros(6))  # starts at variance 1
    learned.obs_log_var.fill_(-100.0)
    assert float(learned.decoder_logvar().min()) == -14.0  # floor: constant features cannot reach +inf

    fixed = VAE(VAESpec(n_features=6, latent_dim=2, likelihood="gaussian", obs_var=0.25))
    assert "obs_log_var" not in fixed.state_dict()  # the spec holds it
    assert not any(p is fixed.obs_log_var for p in fixed.parameters())
    torch.testing.assert_close(fixed.decoder_logvar(), torch.full((6,), math.log(0.25)))
    x = torch.randn(3, 6) * 5
    mu, _ = fixed.encode(x)
    torch.testing.assert_close(fixed(x), fixed.decode_logits(mu))  # Gaussian mean is linear

    assert VAE(VAESpec(n_features=6, latent_dim=2)).decoder_logvar() is None  # Bernoulli has none


def test_conv_gaussian_variance_is_per_pixel():
    vae = ConvVAE(ConvVAESpec(in_channels=2, height=5, width=6, latent_dim=3, channels=(4,), likelihood="gaussian"))
    assert vae.decoder_logvar().shape == (2, 5, 6)


@pytest.mark.parametrize("kind, spec", [
    ("vae", VAESpec(n_features=10, latent_dim=2, hidden=(8, 4), likelihood="gaussian", obs_var=0.5)),
    ("conv-vae", ConvVAESpec(in_channels=1, height=8, width=8, latent_dim=2, channels=(4,))),
])
def test_spec_round_trips_through_json_values(kind, spec):
    assert spec_from_dict(kind, spec_to_dict(spec)) == spec
    a, b = build(kind, spec), build(kind, spec_from_dict(kind, spec_to_dict(spec)))
    b.load_state_dict(a.state_dict())
    x = torch.rand(2, *((10,) if kind == "vae" else (1, 8, 8)))
    torch.testing.assert_close(a(x), b(x))
