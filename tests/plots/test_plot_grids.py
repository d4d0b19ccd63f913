import numpy as np
import pandas as pd
import pytest
from PIL import Image

import aekit.plots.grids as grids
from aekit.errors import InputError
from aekit.plots import plot_image_grid, plot_reconstructions

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


@pytest.fixture
def captured(monkeypatch):
    """The Figure each call saves, to check what was drawn, not only that a file exists."""
    figures = []
    save = grids._atomic_savefig

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(grids, "_atomic_savefig", keep)
    return figures


@pytest.fixture
def images():
    return np.random.default_rng(0).random((12, 8, 8))  # (N, H, W) in [0, 1]


LAYOUTS = {
    "NHW": (lambda x: x, None),
    "NCHW-grey": (lambda x: x[:, None], None),
    "NCHW-rgb": (lambda x: np.repeat(x[:, None], 3, axis=1), None),
    "NHWC-grey": (lambda x: x[..., None], None),
    "NHWC-rgb": (lambda x: np.repeat(x[..., None], 3, axis=3), None),
    "flat-CHW": (lambda x: x.reshape(len(x), -1), (1, 8, 8)),
    "flat-rgb": (lambda x: np.repeat(x[:, None], 3, axis=1).reshape(len(x), -1), (3, 8, 8)),
    "flat-HW": (lambda x: x.reshape(len(x), -1), (8, 8)),
    "uint8": (lambda x: (x * 255).astype(np.uint8), None),
    "standardised": (lambda x: (x - 0.5) * 4.0, None),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reconstructions_accept_every_layout(tmp_path, images, layout):
    convert, image_shape = LAYOUTS[layout]
    x = convert(images)
    out = plot_reconstructions(x, x, tmp_path / "rec.png", n=3, image_shape=image_shape)
    width, height = _png_size(out)
    assert 400 <= width <= 800 and 150 <= height <= 500


@pytest.mark.parametrize("layout", LAYOUTS)
def test_image_grid_accepts_every_layout(tmp_path, images, layout):
    convert, image_shape = LAYOUTS[layout]
    out = plot_image_grid(convert(images)[:6], tmp_path / "grid.png", ncols=3, image_shape=image_shape)
    width, height = _png_size(out)
    assert 300 <= width <= 1200 and 300 <= height <= 1200  # 2 rows of 3


def test_fewer_samples_than_n_give_a_narrower_figure(tmp_path, images):
    wide = _png_size(plot_reconstructions(images, images, tmp_path / "wide.png", n=10))
    narrow = _png_size(plot_reconstructions(images[:3], images[:3], tmp_path / "narrow.png", n=10))
    assert 800 <= wide[0] <= 1100 and 200 <= wide[1] <= 350  # two rows of ten fit a report column
    assert narrow[0] < wide[0]


def test_a_table_falls_back_to_feature_profiles(tmp_path):
    table = np.random.default_rng(0).normal(size=(50, 12))
    width, height = _png_size(plot_reconstructions(table, table * 0.9, tmp_path / "t.png", n=3))
    assert 600 <= width <= 900 and 400 <= height <= 700  # one panel per row


@pytest.mark.parametrize("n_features", [3, 100])
def test_table_fallback_handles_few_and_many_features(tmp_path, captured, n_features):
    frame = pd.DataFrame(
        np.random.default_rng(1).random((6, n_features)),
        columns=[f"col_{i}" for i in range(n_features)],
    )
    x_hat = frame.to_numpy() * 0.5
    _png_size(plot_reconstructions(frame, x_hat, tmp_path / "t.png", n=2))
    axes = captured[0].axes
    assert len(axes) == 2  # one panel per shown row
    for i, ax in enumerate(axes):
        if n_features == 3:  # few: paired bars of each feature, named on the axis
            heights = [bar.get_height() for bar in ax.patches]
            np.testing.assert_allclose(heights, np.r_[frame.to_numpy()[i], x_hat[i]])
            assert not ax.lines[1:]  # only the zero line, no profiles
        else:  # many: two profile lines over every feature
            original, reconstruction = ax.get_lines()[:2]
            np.testing.assert_allclose(original.get_ydata(), frame.to_numpy()[i])
            np.testing.assert_allclose(reconstruction.get_ydata(), x_hat[i])
            assert not ax.patches
    labels = [t.get_text() for t in axes[-1].get_xticklabels()]
    if n_features == 3:
        assert labels == ["col_0", "col_1", "col_2"]
    else:
        assert not any(label.startswith("col_") for label in labels)  # 100 names would not fit


def test_grid_labels_and_single_image(tmp_path, images):
    _png_size(plot_image_grid(images, tmp_path / "a.png", labels=[f"z={i}" for i in range(12)],
                              title="Traversal"))
    width, height = _png_size(plot_image_grid(images[:1], tmp_path / "b.png"))
    assert width >= 300 and height >= 100


def test_mismatched_shapes_are_refused(tmp_path, images):
    with pytest.raises(InputError, match=r"originals has shape \(12, 8, 8\) but reconstructions "
                                         r"has shape \(12, 64\)"):
        plot_reconstructions(images, images.reshape(12, 64), tmp_path / "r.png")
    assert not (tmp_path / "r.png").exists()


def test_image_shape_that_does_not_match_d_is_refused(tmp_path, images):
    flat = images.reshape(12, 64)
    with pytest.raises(InputError, match=r"image_shape=\(1, 28, 28\) holds 784 values.*64 values"):
        plot_reconstructions(flat, flat, tmp_path / "r.png", image_shape=(1, 28, 28))
    with pytest.raises(InputError, match=r"image_shape=\(1, 28, 28\) holds 784"):
        plot_image_grid(flat, tmp_path / "g.png", image_shape=(1, 28, 28))


@pytest.mark.parametrize("image_shape", [(0, 8, 8), (8,), (1, 2, 4, 8), (1.5, 8, 8), "8x8"])
def test_malformed_image_shape_is_refused(tmp_path, images, image_shape):
    flat = images.reshape(12, 64)
    with pytest.raises(InputError, match="image_shape must be"):
        plot_image_grid(flat, tmp_path / "g.png", image_shape=image_shape)


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((12, 5, 8, 8), "neither axis 1 nor axis 3"),
        ((12, 8, 8, 4), "neither axis 1 nor axis 3"),
        ((64,), r"\(64,\).*Accepted layouts"),
        ((2, 1, 3, 8, 8), r"5-D.*Accepted layouts"),
        ((0, 8, 8), "empty"),
    ],
)
def test_unknown_layouts_are_refused(tmp_path, shape, match):
    x = np.zeros(shape)
    with pytest.raises(InputError, match=match):
        plot_reconstructions(x, x, tmp_path / "r.png")


def test_flat_images_need_an_image_shape_in_a_grid(tmp_path, images):
    with pytest.raises(InputError, match=r"need image_shape=\(C, H, W\)"):
        plot_image_grid(images.reshape(12, 64), tmp_path / "g.png")


def test_nan_pixels_are_refused_with_their_position(tmp_path, images):
    images[3, 2, 1] = np.nan
    with pytest.raises(InputError, match=r"1 NaN value \(first at sample 3, position \(2, 1\)\).*model output"):
        plot_reconstructions(images, images, tmp_path / "r.png")


def test_bad_counts_are_refused(tmp_path, images):
    with pytest.raises(InputError, match="n must be an int >= 1, got 0"):
        plot_reconstructions(images, images, tmp_path / "r.png", n=0)
    with pytest.raises(InputError, match="ncols must be an int >= 1"):
        plot_image_grid(images, tmp_path / "g.png", ncols=2.5)
    with pytest.raises(InputError, match="labels has 2 entries but images has 12"):
        plot_image_grid(images, tmp_path / "g.png", labels=["a", "b"])


def test_non_numeric_images_are_refused(tmp_path):
    x = np.array([[["a", "b"], ["c", "d"]]])
    with pytest.raises(InputError, match="must be numeric"):
        plot_image_grid(x, tmp_path / "g.png")
