"""Data-dependent initialisation: input centring and the output bias, and old weights."""

from __future__ import annotations

import numpy as np
import torch

from aekit import Autoencoder, VariationalAutoencoder
from aekit.models import DenseAE, DenseSpec
from aekit.models.blocks import Center, upgrade_uncentred_state
from aekit.models.conv import ConvAE, ConvSpec


def test_fit_centres_the_input_and_starts_the_output_at_the_mean(rng):
    X = rng.random((300, 12)).astype(np.float32) * np.linspace(0.1, 0.9, 12, dtype=np.float32)
    est = Autoencoder(latent_dim=3, epochs=1, lr=1e-12, loss="bce", center_inputs=True,
                      random_state=0).fit(X)  # lr ~0: init state
    mean = X.mean(0)
    enc0 = est.module_.encoder[0]
    assert isinstance(enc0, Center)
    np.testing.assert_allclose(enc0.mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(torch.sigmoid(est.module_.decoder[-1].bias).detach().numpy(), mean, rtol=1e-4)


def test_vae_and_linear_outputs_start_at_the_mean(rng):
    X = (rng.normal(size=(200, 6)) * 3 + 5).astype(np.float32)
    vae = VariationalAutoencoder(latent_dim=2, likelihood="gaussian", epochs=1, lr=1e-12, random_state=0).fit(X)
    Xs = vae.scaler_.transform(X)
    np.testing.assert_allclose(vae.module_.encoder[0].mean.numpy(), Xs.mean(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(vae.module_.decoder[-1].bias.detach().numpy(), Xs.mean(0), rtol=1e-4, atol=1e-6)


def test_conv_output_bias_is_set_per_channel():
    m = ConvAE(ConvSpec(in_channels=2, height=8, width=8, latent_dim=4, channels=(4,)))
    mean = torch.stack([torch.full((8, 8), 0.2), torch.full((8, 8), 0.7)])
    m.init_from_data(mean)
    np.testing.assert_allclose(torch.sigmoid(m.deconv[-1].bias).detach().numpy(), [0.2, 0.7], rtol=1e-5)


def test_weights_from_before_centring_load_as_the_uncentred_model():
    torch.manual_seed(0)
    new = DenseAE(DenseSpec(10, 3, (8,)))
    x = torch.rand(5, 10)
    expected = new(x)  # centre mean is zero: the model a format-1 file described
    old_state = {}
    for k, v in new.state_dict().items():
        parts = k.split(".")
        if k == "encoder.0.mean":
            continue
        if parts[0] == "encoder":
            k = ".".join(["encoder", str(int(parts[1]) - 1), *parts[2:]])
        old_state[k] = v
    fresh = DenseAE(DenseSpec(10, 3, (8,)))
    fresh.load_state_dict(upgrade_uncentred_state(fresh, old_state))  # strict: every key matches
    torch.testing.assert_close(fresh(x), expected)
    current = new.state_dict()
    assert upgrade_uncentred_state(fresh, current) is current  # a current state passes through untouched


def test_center_inputs_off_keeps_the_output_start_only(rng):
    X = rng.random((300, 12)).astype(np.float32)
    est = Autoencoder(latent_dim=3, epochs=1, lr=1e-12, loss="bce", center_inputs=False, random_state=0).fit(X)
    assert torch.count_nonzero(est.module_.encoder[0].mean) == 0
    np.testing.assert_allclose(torch.sigmoid(est.module_.decoder[-1].bias).detach().numpy(), X.mean(0), rtol=1e-4)
    vae = VariationalAutoencoder(latent_dim=2, epochs=1, center_inputs=False, random_state=0).fit(X)
    assert torch.count_nonzero(vae.module_.encoder[0].mean) == 0
