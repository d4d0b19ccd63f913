"""Corruption for denoising: each noise has the statistics it promises, in torch and NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aekit.data.corruption import (Corruption, add_noise, check_noise, data_range, gaussian_noise, masking_noise,
                                   salt_pepper_noise)
from aekit.errors import InputError
from aekit.losses.objective import ReconstructionObjective
from aekit.models.dense import DenseAE, DenseSpec

P = 0.3
N = 200 * 50  # values per batch below: the rate's standard deviation is sqrt(p(1-p)/N) ~ 0.005


@pytest.fixture
def x() -> torch.Tensor:
    torch.manual_seed(0)
    return 0.01 + 0.98 * torch.rand(200, 50)  # strictly inside (0, 1): no value is already 0 or 1


def test_mask_zeroes_values_at_rate_p_and_keeps_the_rest(x):
    torch.manual_seed(1)
    out = masking_noise(x, P)
    zeroed = out == 0
    assert abs(zeroed.float().mean().item() - P) < 0.02  # 4 standard deviations
    torch.testing.assert_close(out[~zeroed], x[~zeroed], rtol=0, atol=0)


def test_gaussian_adds_factor_sd_noise_then_clips_to_the_data_range():
    torch.manual_seed(0)
    mid = torch.full((100, 100), 0.5)
    noisy = gaussian_noise(mid, 0.1)  # 5 sd from either end: practically never clipped
    assert abs((noisy - mid).std().item() - 0.1) < 0.005 and abs((noisy - mid).mean().item()) < 0.005
    loud = gaussian_noise(mid, 1.0)
    assert loud.min().item() == 0.0 and loud.max().item() == 1.0  # clipped, and clipping happened
    wide = gaussian_noise(torch.zeros(100, 100), 5.0, low=-2.0, high=3.0)
    assert wide.min().item() == -2.0 and wide.max().item() == 3.0


def test_salt_and_pepper_writes_only_the_range_ends_at_rate_p(x):
    torch.manual_seed(2)
    out = salt_pepper_noise(x, P)
    changed = out != x
    assert abs(changed.float().mean().item() - P) < 0.02
    assert set(out[changed].unique().tolist()) == {0.0, 1.0}
    assert abs((out == 1.0).float().mean().item() - P / 2) < 0.015  # salt and pepper evenly split
    wide = salt_pepper_noise(x, 1.0, low=-1.0, high=4.0)
    assert set(wide.unique().tolist()) == {-1.0, 4.0}


def test_noise_is_fresh_per_batch_and_follows_the_global_seed(x):
    corrupt = Corruption("mask", P)
    torch.manual_seed(5)
    a, b = corrupt(x), corrupt(x)
    assert not torch.equal(a, b)
    torch.manual_seed(5)
    torch.testing.assert_close(corrupt(x), a, rtol=0, atol=0)


def test_corruption_applies_in_training_only_and_the_target_stays_clean(x):
    module = DenseAE(DenseSpec(n_features=50, latent_dim=4))
    clean = ReconstructionObjective("mse", "sigmoid")
    noisy = ReconstructionObjective("mse", "sigmoid", corrupt=Corruption("mask", 0.9))
    module.eval()
    assert noisy(module, x)["loss"].item() == clean(module, x)["loss"].item()
    module.train()
    assert noisy(module, x)["loss"].item() != clean(module, x)["loss"].item()
    seen = []
    module.encode = lambda t: (seen.append(t), DenseAE.encode(module, t))[1]  # type: ignore[method-assign]
    torch.manual_seed(0)
    loss = noisy(module, x)["loss"]
    x_hat = torch.sigmoid(module.decode_logits(DenseAE.encode(module, seen[0])))
    torch.testing.assert_close(loss, ((x_hat - x) ** 2).mean())  # noisy input, clean target


def test_numpy_helper_matches_the_torch_statistics(rng):
    X = rng.uniform(0.01, 0.99, size=(200, 50)).astype(np.float32)
    masked = add_noise(X, "mask", P, random_state=0)
    assert masked.dtype == np.float32 and masked.shape == X.shape
    assert abs(np.mean(masked == 0) - P) < 0.02
    sp = add_noise(X, "salt_pepper", P, random_state=0)
    assert set(np.unique(sp[sp != X]).tolist()) == {0.0, 1.0} and abs(np.mean(sp != X) - P) < 0.02
    g = add_noise(X, "gaussian", 0.5, random_state=0)
    assert g.min() == 0.0 and g.max() == 1.0
    np.testing.assert_array_equal(add_noise(X, "gaussian", 0.5, random_state=0), g)  # seeded
    assert not np.array_equal(add_noise(X, "gaussian", 0.5, random_state=1), g)


def test_data_range_is_unit_for_unit_data_else_min_max(rng):
    assert data_range(rng.uniform(0.2, 0.7, size=(5, 3))) == (0.0, 1.0)
    assert data_range(np.array([[-1.0, 2.5]])) == (-1.0, 2.5)
    pixels = np.array([[0, 255]], dtype=np.uint8)
    assert set(np.unique(add_noise(pixels, "salt_pepper", 1.0, random_state=0)).tolist()) <= {0.0, 255.0}


@pytest.mark.parametrize("kind, level, match", [
    ("poisson", 0.1, r"noise must be one of 'gaussian', 'mask', 'salt_pepper'; got 'poisson'"),
    ("mask", 1.5, r"noise_level must be a probability in \[0, 1\] for noise='mask', got 1.5"),
    ("salt_pepper", -0.1, r"probability in \[0, 1\] for noise='salt_pepper'"),
    ("gaussian", float("nan"), r"noise_level must be a finite number >= 0"),
])
def test_bad_noise_settings_are_refused(kind, level, match):
    with pytest.raises(InputError, match=match):
        check_noise(kind, level)
    with pytest.raises(InputError):
        add_noise(np.zeros((2, 2)), kind, level)


@pytest.mark.parametrize("shape", [(6, 1, 10, 10), (6, 10, 10), (6, 100), (6, 3, 10, 10)])
def test_blocks_hide_one_rectangle_of_the_right_size_per_image(shape):
    x = torch.ones(shape)
    torch.manual_seed(0)
    out = Corruption("blocks", 0.25)(x)  # sqrt(0.25) = half of each side: 5 x 5 of 10 x 10
    assert out.shape == x.shape
    per_image = (out == 0).reshape(6, -1).sum(1)
    channels = shape[1] if len(shape) == 4 else 1
    assert per_image.tolist() == [25 * channels] * 6
    zeros = (out.reshape(6, channels, 10, 10)[:, 0] == 0)
    rows, cols = zeros.any(2).sum(1), zeros.any(1).sum(1)  # a 5 x 5 rectangle: 5 rows and 5 columns touched
    assert rows.tolist() == [5] * 6 and cols.tolist() == [5] * 6
    places = {tuple(torch.nonzero(z)[0].tolist()) for z in zeros}
    assert len(places) > 1  # a random place per image
    np_out = add_noise(np.ones(shape, np.float32), "blocks", 0.25, random_state=0)
    assert ((np_out == 0).reshape(6, -1).sum(1) == 25 * channels).all()
    assert np.array_equal(np_out, add_noise(np.ones(shape, np.float32), "blocks", 0.25, random_state=0))


def test_blocks_at_zero_and_one_and_refused_on_non_images():
    x = torch.rand(3, 1, 7, 9)
    assert torch.equal(Corruption("blocks", 0.0)(x), x)
    assert (Corruption("blocks", 1.0)(x) == 0).all()
    with pytest.raises(InputError, match=r"noise='blocks'.*images.*got shape \(3, 10\).*noise='mask'"):
        Corruption("blocks", 0.2)(torch.rand(3, 10))
    with pytest.raises(InputError, match=r"noise_level must be the fraction of each image to hide, in \[0, 1\]"):
        add_noise(np.zeros((2, 4, 4)), "blocks", 1.5)
    with pytest.raises(InputError, match=r"must be one of 'gaussian', 'mask', 'salt_pepper'; got 'blocks'"):
        check_noise("blocks", 0.2)  # the estimators' noise= takes the three that apply to any data
