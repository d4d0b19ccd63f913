"""ssim: scikit-image's structural similarity, in NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics import ssim


def test_identical_images_score_one_and_a_constant_shift_scores_below(rng: np.random.Generator) -> None:
    x = rng.random((3, 1, 16, 16))
    assert ssim(x, x) == pytest.approx(1.0)
    assert ssim(x, np.clip(x + 0.2 * rng.normal(size=x.shape), 0, 1)) < 0.9


def test_known_value_of_a_constant_offset() -> None:
    # Constant images a and b: variances are 0, so SSIM = (2ab + C1) / (a² + b² + C1) everywhere.
    a, b, c1 = 0.2, 0.6, 0.01 ** 2
    assert ssim(np.full((8, 8), a), np.full((8, 8), b), data_range=1.0) == pytest.approx(
        (2 * a * b + c1) / (a * a + b * b + c1), abs=1e-12)


@pytest.mark.parametrize("shape", [(28, 28), (4, 20, 24), (3, 2, 12, 12)])
def test_matches_scikit_image(rng: np.random.Generator, shape: tuple[int, ...]) -> None:
    metrics = pytest.importorskip("skimage.metrics")
    x = rng.random(shape)
    y = np.clip(x + 0.15 * rng.normal(size=shape), 0, 1)
    images = x.reshape(-1, *shape[-2:]), y.reshape(-1, *shape[-2:])
    expected = np.mean([metrics.structural_similarity(a, b, data_range=1.0) for a, b in zip(*images)])
    assert abs(ssim(x, y) - expected) < 1e-6


def test_flat_rows_with_image_shape(rng: np.random.Generator) -> None:
    x = rng.random((5, 1, 9, 9))
    y = x * 0.8
    assert ssim(x.reshape(5, -1), y.reshape(5, -1), image_shape=(1, 9, 9)) == pytest.approx(ssim(x, y))


def test_refuses_mismatch_small_images_and_nan() -> None:
    with pytest.raises(InputError, match="differ"):
        ssim(np.zeros((2, 8, 8)), np.zeros((3, 8, 8)))
    with pytest.raises(InputError, match="smaller than the 7x7 window.*win_size"):
        ssim(np.zeros((2, 5, 5)), np.zeros((2, 5, 5)))
    with pytest.raises(InputError, match="NaN"):
        ssim(np.full((8, 8), np.nan), np.zeros((8, 8)))
    with pytest.raises(InputError, match="data_range must be a positive number"):
        ssim(np.zeros((8, 8)), np.zeros((8, 8)), data_range=0)
