import numpy as np
import pytest
from PIL import Image

import aekit.plots.comparison as comparison
from aekit.errors import InputError
from aekit.plots import plot_error_vs_dim, plot_rate_distortion

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        return image.size


@pytest.fixture
def captured(monkeypatch):
    figures = []
    save = comparison._atomic_savefig

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(comparison, "_atomic_savefig", keep)
    return figures


def test_error_vs_dim_uses_log2_axis_for_doubling_dims(tmp_path, captured):
    errors = {"autoencoder": [0.05, 0.03, 0.02, 0.01], "PCA": [0.06, 0.045, 0.03, 0.02]}
    out = plot_error_vs_dim([4, 8, 16, 32], errors, tmp_path / "pca_comparison.png")
    width, height = _png_size(out)
    assert 600 <= width <= 900 and 400 <= height <= 600
    ax = captured[0].axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "8", "16", "32"]
    assert [line.get_label() for line in ax.lines] == ["autoencoder", "PCA"]


def test_error_vs_dim_sorts_dims_and_logs_errors_spanning_decades(tmp_path, captured):
    plot_error_vs_dim([3, 1, 2], {"ae": [0.001, 0.1, 0.01]}, tmp_path / "e.png")
    ax = captured[0].axes[0]
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert list(ax.lines[0].get_ydata()) == [0.1, 0.01, 0.001]


@pytest.mark.parametrize(
    ("dims", "errors", "match"),
    [
        ([2, 4], {"ae": [0.1]}, "has 1 values but dims has 2"),
        ([2, 4], {}, "non-empty dict"),
        ([], {"ae": []}, "dims must be a non-empty 1-D list"),
        ([2, 4], {"ae": [0.1, np.inf]}, r"1 infinite value \(first at row 1\)"),
    ],
)
def test_error_vs_dim_refuses_bad_input(tmp_path, dims, errors, match):
    with pytest.raises(InputError, match=match):
        plot_error_vs_dim(dims, errors, tmp_path / "x.png")


def test_rate_distortion_joins_points_in_rate_order(tmp_path, captured):
    curves = {"aekit": ([1.0, 0.25, 0.5], [33.0, 26.0, 30.0]), "JPEG": ([0.3, 0.6], [24.0, 28.0])}
    _png_size(plot_rate_distortion(curves, tmp_path / "rate_distortion.png"))
    ax = captured[0].axes[0]
    assert list(ax.lines[0].get_xdata()) == [0.25, 0.5, 1.0]
    assert list(ax.lines[0].get_ydata()) == [26.0, 30.0, 33.0]
    assert ax.get_xlabel() == "rate (bits per pixel)" and ax.get_ylabel() == "PSNR (dB)"


@pytest.mark.parametrize(
    ("curves", "match"),
    [
        ({"jpeg": ([0.1, 0.2], [20.0])}, "2 bpp values but 1 PSNR values"),
        ({"jpeg": [0.1, 0.2, 0.3]}, r"must be a pair \(bpp, psnr\)"),
        ({}, "non-empty dict"),
    ],
)
def test_rate_distortion_refuses_bad_input(tmp_path, curves, match):
    with pytest.raises(InputError, match=match):
        plot_rate_distortion(curves, tmp_path / "x.png")
