"""reconstruction_mse: the mean of squared differences, whatever the sample layout."""

from __future__ import annotations

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics import reconstruction_mse


def test_matches_the_definition(rng):
    a, b = rng.random((30, 7)), rng.random((30, 7))
    assert reconstruction_mse(a, b) == pytest.approx(np.mean((a - b) ** 2), rel=1e-12)
    assert reconstruction_mse(a, a) == 0.0


def test_images_compare_with_flat_rows(rng):
    images = rng.random((5, 1, 4, 4)).astype(np.float32)
    flat = images.reshape(5, -1) + 0.5
    assert reconstruction_mse(images, flat) == pytest.approx(0.25)


def test_chunks_add_up_like_one_pass(rng):
    a = rng.random((20_000, 3))
    assert reconstruction_mse(a, np.zeros_like(a)) == pytest.approx(np.mean(a ** 2), rel=1e-12)


@pytest.mark.parametrize("a, b, match", [
    (np.zeros((3, 2)), np.zeros((4, 2)), r"3 originals but 4 reconstructions"),
    (np.zeros((3, 2)), np.zeros((3, 3)), r"\(2,\) \(2 values\)"),
    (np.zeros((0, 2)), np.zeros((0, 2)), r"no samples"),
    (np.array(1.0), np.array(1.0), r"scalar"),
    (np.full((2, 2), np.nan), np.zeros((2, 2)), r"NaN"),
])
def test_refuses_what_it_cannot_compare(a, b, match):
    with pytest.raises(InputError, match=match):
        reconstruction_mse(a, b)
