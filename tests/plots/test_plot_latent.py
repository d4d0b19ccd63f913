import numpy as np
import pytest
from PIL import Image

import aekit.plots.latent as latent
from aekit.errors import InputError
from aekit.plots import plot_latent_map, plot_score_histogram

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        return image.size


@pytest.fixture
def captured(monkeypatch):
    figures = []
    save = latent._atomic_savefig

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(latent, "_atomic_savefig", keep)
    return figures


@pytest.fixture
def codes():
    return np.random.default_rng(0).normal(size=(300, 2))


def test_latent_map_with_class_names_has_a_legend(tmp_path, codes, captured):
    labels = np.arange(300) % 3
    out = plot_latent_map(codes, tmp_path / "latent_map.png", labels=labels,
                          class_names=["cat", "dog", "<bird>"])
    width, height = _png_size(out)
    assert 600 <= width <= 1000 and 500 <= height <= 800
    legend = captured[0].axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["cat", "dog", "<bird>"]


def test_latent_map_without_labels_and_with_string_labels(tmp_path, codes, captured):
    _png_size(plot_latent_map(codes, tmp_path / "plain.png"))
    assert captured[0].axes[0].get_legend() is None
    names = np.where(np.arange(300) % 2, "normal", "odd")
    plot_latent_map(codes, tmp_path / "str.png", labels=names, class_names={"odd": "unusual"})
    assert [t.get_text() for t in captured[1].axes[0].get_legend().get_texts()] == ["normal", "unusual"]


def test_many_numeric_labels_get_a_colour_bar(tmp_path, codes, captured):
    plot_latent_map(codes, tmp_path / "c.png", labels=np.linspace(0, 1, 300),
                    axis_labels=("t-SNE 1", "t-SNE 2"))
    assert len(captured[0].axes) == 2  # scatter + colour bar
    assert captured[0].axes[0].get_xlabel() == "t-SNE 1"


@pytest.mark.parametrize(
    ("z", "labels", "match"),
    [
        (np.zeros((10, 3)), None, r"shape \(N, 2\), got \(10, 3\).*t-SNE, UMAP or PCA"),
        (np.zeros(10), None, r"shape \(N, 2\), got \(10,\)"),
        (np.zeros((0, 2)), None, "empty"),
        (np.array([[0.0, 1.0], [np.inf, 0.0]]), None, r"1 infinite value \(first at row 1, column 0\)"),
        (np.zeros((10, 2)), np.zeros(9), "labels has 9 entries but codes_2d has 10"),
        (np.zeros((30, 2)), np.array([f"c{i}" for i in range(30)]), "30 distinct non-numeric"),
    ],
)
def test_latent_map_refuses_bad_input(tmp_path, z, labels, match):
    with pytest.raises(InputError, match=match):
        plot_latent_map(z, tmp_path / "x.png", labels=labels)


def test_score_histogram_splits_normal_and_anomalous(tmp_path, captured):
    rng = np.random.default_rng(0)
    scores = np.r_[rng.gamma(2.0, size=990), rng.gamma(9.0, size=10)]
    labels = np.r_[np.zeros(990, bool), np.ones(10, bool)]
    out = plot_score_histogram(scores, tmp_path / "score_histogram.png", threshold=6.5, labels=labels)
    width, height = _png_size(out)
    assert width > height
    ax = captured[0].axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["normal (n=990)", "anomalous (n=10)", "threshold = 6.5"]
    assert ax.get_ylabel() == "density"
    assert list(ax.lines[0].get_xdata()) == [6.5, 6.5]


def test_score_histogram_without_labels_counts(tmp_path, captured):
    _png_size(plot_score_histogram([0.1, 0.2, 0.2, 0.9], tmp_path / "s.png"))
    assert captured[0].axes[0].get_ylabel() == "count"
    _png_size(plot_score_histogram([1.0], tmp_path / "single.png", threshold=1.0))


@pytest.mark.parametrize(
    ("scores", "kwargs", "match"),
    [
        (np.zeros((3, 2)), {}, r"1-D .* got shape \(3, 2\)"),
        ([], {}, "empty"),
        ([0.1, np.nan], {}, r"1 NaN value \(first at row 1\)"),
        ([0.1, 0.2], {"labels": [0, 2]}, r"binary .* got values \[0, 2\]"),
        ([0.1, 0.2], {"labels": [0, 1, 1]}, "labels has 3 entries but scores has 2"),
        ([0.1, 0.2], {"threshold": float("nan")}, "threshold must be a finite number"),
        ([0.1, 0.2], {"threshold": "high"}, "threshold must be a finite number"),
    ],
)
def test_score_histogram_refuses_bad_input(tmp_path, scores, kwargs, match):
    with pytest.raises(InputError, match=match):
        plot_score_histogram(scores, tmp_path / "x.png", **kwargs)
