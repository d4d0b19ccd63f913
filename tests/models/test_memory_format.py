"""Conv models in channels_last (NHWC) compute what they compute in NCHW, to float32 rounding."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from aekit import Autoencoder, VariationalAutoencoder
from aekit.losses import ReconstructionObjective
from aekit.models import DenseAE, DenseSpec
from aekit.models.conv import ConvAE, ConvSpec, as_feature_map
from aekit.models.vae import ConvVAE, ConvVAESpec
from aekit.train import TrainConfig, fit_module
from aekit.train import device as train_device
from aekit.train.device import memory_format_for

TOL = 1e-5
CPU = torch.device("cpu")


def _conv_ae() -> ConvAE:
    torch.manual_seed(0)
    return ConvAE(ConvSpec(in_channels=2, height=9, width=11, latent_dim=5, channels=(4, 8)))


def _conv_vae() -> ConvVAE:
    torch.manual_seed(0)
    return ConvVAE(ConvVAESpec(in_channels=2, height=9, width=11, latent_dim=5, channels=(4, 8)))


@pytest.mark.parametrize("make", [_conv_ae, _conv_vae], ids=["conv", "conv-vae"])
def test_channels_last_outputs_and_gradients_equal_contiguous(make):
    nchw = make()
    nhwc = copy.deepcopy(nchw).to(memory_format=torch.channels_last)
    assert nhwc.deconv[-1].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(16, 2, 9, 11)
    out = {}
    for name, m in (("nchw", nchw), ("nhwc", nhwc)):
        xin = x.contiguous(memory_format=torch.channels_last) if name == "nhwc" else x
        y = m(xin)
        y.square().mean().backward()
        out[name] = (y.detach(), {k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None})
    torch.testing.assert_close(out["nhwc"][0], out["nchw"][0], rtol=0, atol=TOL)
    for k, g in out["nchw"][1].items():
        torch.testing.assert_close(out["nhwc"][1][k], g, rtol=1e-4, atol=TOL)


def test_the_layout_is_chosen_from_the_module_and_the_device():
    assert memory_format_for(_conv_ae(), CPU) == torch.channels_last
    assert memory_format_for(_conv_vae(), CPU) == torch.channels_last
    assert memory_format_for(DenseAE(DenseSpec(10, 2)), CPU) == torch.contiguous_format
    assert memory_format_for(_conv_ae(), torch.device("meta")) == torch.contiguous_format


def test_training_runs_in_channels_last_and_ends_where_contiguous_training_does(monkeypatch):
    X = torch.rand(96, 2, 9, 11)
    obj = ReconstructionObjective("bce", "sigmoid")
    cfg = TrainConfig(epochs=2, batch_size=32, seed=0, device="cpu")
    nhwc = _conv_ae()
    h_nhwc = fit_module(nhwc, X, obj, cfg)
    assert nhwc.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    monkeypatch.setattr(train_device, "_CHANNELS_LAST", False)
    nchw = _conv_ae()
    h_nchw = fit_module(nchw, X, obj, cfg)
    assert nchw.features[0].weight.is_contiguous()
    assert [r["loss"] for r in h_nhwc] == pytest.approx([r["loss"] for r in h_nchw], rel=1e-5)
    with torch.no_grad():
        torch.testing.assert_close(nhwc(X), nchw(X), rtol=0, atol=TOL)


@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_estimators_give_the_same_numbers_in_either_layout(cls, monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((64, 1, 8, 8), dtype=np.float32)
    kw = dict(model="conv", channels=(4, 8), latent_dim=3, epochs=2, batch_size=16, random_state=0, verbose=False)
    nhwc = cls(**kw).fit(X)
    monkeypatch.setattr(train_device, "_CHANNELS_LAST", False)
    nchw = cls(**kw).fit(X)
    np.testing.assert_allclose(nhwc.transform(X), nchw.transform(X), rtol=0, atol=TOL)
    np.testing.assert_allclose(nhwc.predict(X), nchw.predict(X), rtol=0, atol=TOL)
    nhwc.save(tmp_path)  # saved contiguous, loads into a fresh (NCHW) module
    monkeypatch.setattr(train_device, "_CHANNELS_LAST", True)
    np.testing.assert_allclose(__import__("aekit").load(tmp_path).predict(X), nhwc.predict(X), rtol=0, atol=TOL)


@pytest.mark.parametrize("make", [lambda: ConvAE(ConvSpec(1, 12, 12, 4, (4, 8))),
                                  lambda: ConvVAE(ConvVAESpec(1, 12, 12, 4, (4, 8)))], ids=["conv AE", "conv VAE"])
def test_the_bottleneck_map_takes_the_decoders_layout_once(make):
    """Converted at the bottleneck, not after every upsampling (one copy instead of six per step)."""
    torch.manual_seed(0)
    nchw = make()
    nhwc = copy.deepcopy(nchw).to(memory_format=torch.channels_last)
    z = torch.randn(5, 4)
    assert as_feature_map(nhwc.from_code(z), nhwc._bottom, nhwc.deconv).is_contiguous(memory_format=torch.channels_last)
    assert as_feature_map(nchw.from_code(z), nchw._bottom, nchw.deconv).is_contiguous()
    torch.testing.assert_close(nhwc.decode_logits(z), nchw.decode_logits(z), atol=TOL, rtol=TOL)
