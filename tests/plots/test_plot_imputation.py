"""Imputation figures: they draw, write a PNG and refuse mismatched inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aekit.errors import InputError
from aekit.plots.imputation import plot_inpainting, plot_missingness


def test_missingness_figure(tmp_path):
    r = np.random.default_rng(0)
    after = pd.DataFrame(r.normal(size=(100, 5)), columns=list("abcde"))
    before = after.mask(r.random(after.shape) < np.linspace(0.05, 0.5, 5))
    path = plot_missingness(before, after, tmp_path / "m.png")
    assert path.stat().st_size > 10_000
    with pytest.raises(InputError, match="filled version of the same table"):
        plot_missingness(before, after.iloc[:, :3], tmp_path / "bad.png")


def test_inpainting_grid(tmp_path, images):
    holes = np.random.default_rng(0).random(images.shape) < 0.3
    masked = np.where(holes, np.nan, images)
    path = plot_inpainting(masked, images * 0.9, tmp_path / "g.png", truth=images, n=6)
    assert path.stat().st_size > 2_000
    with pytest.raises(InputError, match="pass the imputer's output"):
        plot_inpainting(masked, images[:3], tmp_path / "bad.png")
