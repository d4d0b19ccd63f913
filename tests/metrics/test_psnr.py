"""psnr: decibels from the MSE and the signal's range."""

from __future__ import annotations

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics import psnr, reconstruction_mse


def test_psnr_is_ten_log10_of_range_squared_over_mse(rng: np.random.Generator) -> None:
    clean = rng.random((5, 1, 4, 4))
    noisy = clean + 0.1 * rng.normal(size=clean.shape)
    assert np.isclose(psnr(clean, noisy), 10 * np.log10(1.0 / reconstruction_mse(clean, noisy)))  # [0, 1]: range 1
    assert np.isclose(psnr(10 * clean, 10 * noisy, data_range=10.0), psnr(clean, noisy))  # units cancel
    assert psnr(clean, clean) == float("inf")


def test_psnr_range_defaults_to_the_clean_span_outside_unit_interval() -> None:
    clean = np.array([[0.0, 4.0]])
    assert np.isclose(psnr(clean, clean + 0.4), 10 * np.log10(16 / 0.16))


def test_psnr_refuses_a_bad_range() -> None:
    with pytest.raises(InputError, match="data_range must be a positive number, got 0"):
        psnr([[0.0, 1.0]], [[0.0, 0.9]], data_range=0)
