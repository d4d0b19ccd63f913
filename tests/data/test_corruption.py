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
