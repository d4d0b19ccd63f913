"""The conv autoencoder's stage rewrites compute what the plain stages compute: NearestUpConv2d
(nearest 2x upsampling + convolution in one step) and pooling before a monotone activation."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from aekit.models.conv import ConvAE, ConvSpec, NearestUpConv2d


def _pair(c_in: int, c_out: int, k: int) -> tuple[NearestUpConv2d, nn.Sequential]:
    torch.manual_seed(0)
    fused = NearestUpConv2d(c_in, c_out, k)
    with torch.no_grad():
        fused.bias.normal_()
    plain = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, k, padding=k // 2))
    plain[1].load_state_dict(fused.state_dict())
    return fused, plain


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last], ids=["nchw", "nhwc"])
def test_outputs_and_gradients_equal_upsample_then_conv(k, layout):
    fused, plain = _pair(3, 4, k)
    fused, plain = fused.to(memory_format=layout), plain.to(memory_format=layout)
    x = torch.randn(5, 3, 6, 7).contiguous(memory_format=layout)
    results = []
    for m in (fused, plain):
        xin = x.clone().requires_grad_()
        y = m(xin)
        (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
        conv = m if isinstance(m, NearestUpConv2d) else m[1]
        results.append((y.detach(), xin.grad, conv.weight.grad, conv.bias.grad))
    assert results[0][0].shape == (5, 4, 12, 14)
    for got, want in zip(*results):  # float32 rounding of sums of up to 420 terms
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5 * float(want.abs().max()))


def test_state_dict_is_a_conv2d_one():
    fused, plain = _pair(2, 3, 3)
    assert fused.state_dict().keys() == plain[1].state_dict().keys()
    assert fused.weight.shape == plain[1].weight.shape


def test_an_even_kernel_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        NearestUpConv2d(2, 2, 4)


def test_conv_ae_fuses_the_stages_that_double_and_keeps_the_odd_ones():
    even = ConvAE(ConvSpec(1, 28, 28, 8, (4, 8)))
    assert sum(isinstance(m, NearestUpConv2d) for m in even.deconv) == 2
    odd = ConvAE(ConvSpec(1, 9, 11, 8, (4, 8)))  # 3x3 -> 5x6 -> 9x11: no stage doubles exactly
    assert not any(isinstance(m, NearestUpConv2d) for m in odd.deconv)
    assert sum(isinstance(m, nn.Upsample) for m in odd.deconv) == 2
    # the same parameter names either way, so models saved before the fusion load
    assert [k for k in even.state_dict()] == [k for k in ConvAE(ConvSpec(1, 27, 27, 8, (4, 8))).state_dict()]


def test_conv_ae_output_equals_the_unfused_decoder():
    torch.manual_seed(1)
    m = ConvAE(ConvSpec(2, 12, 16, 6, (4, 8)))
    unfused = copy.deepcopy(m)
    for i, layer in enumerate(unfused.deconv):
        if isinstance(layer, NearestUpConv2d):
            conv = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, padding=layer.padding)
            conv.load_state_dict(layer.state_dict())
            unfused.deconv[i] = conv
            unfused.deconv[i - 1] = nn.Upsample(scale_factor=2, mode="nearest")
    x = torch.rand(4, 2, 12, 16)
    torch.testing.assert_close(m(x), unfused(x), rtol=1e-5, atol=1e-5)


def _act_then_pool(m: ConvAE) -> ConvAE:
    """The same model with each encoder stage back in conv, activation, pool order."""
    plain = copy.deepcopy(m)
    f = plain.features
    for i in range(0, len(f), 3):
        if isinstance(f[i + 1], nn.MaxPool2d):
            f[i + 1], f[i + 2] = f[i + 2], f[i + 1]
    return plain


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "elu", "tanh", "sigmoid"])
def test_pooling_before_a_monotone_activation_changes_no_value_or_gradient(act):
    torch.manual_seed(0)
    m = ConvAE(ConvSpec(2, 11, 10, 5, (4, 6), activation=act))  # odd sizes: ceil_mode windows at the edge
    assert [type(layer).__name__ for layer in m.features][1] == "MaxPool2d"
    plain = _act_then_pool(m)
    assert type(plain.features[1]).__name__ != "MaxPool2d"
    x = torch.randn(6, 2, 11, 10)
    grads = []
    for model in (m, plain):
        y = model(x)
        (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
        grads.append((y.detach(), {k: p.grad.clone() for k, p in model.named_parameters()}))
    torch.testing.assert_close(grads[0][0], grads[1][0], rtol=1e-6, atol=1e-6)
    for k, g in grads[1][1].items():
        torch.testing.assert_close(grads[0][1][k], g, rtol=1e-5, atol=1e-5 * float(g.abs().max()))


def test_a_non_monotone_activation_keeps_activation_before_pooling():
    m = ConvAE(ConvSpec(1, 8, 8, 3, (4,), activation="gelu"))  # max(gelu(x)) != gelu(max(x)) below zero
    assert [type(layer).__name__ for layer in m.features] == ["Conv2d", "GELU", "MaxPool2d"]
