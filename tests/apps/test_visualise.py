"""visualise: 2-D maps through a trained model, their k-NN score, and decoded latent grids."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from aekit import Autoencoder
from aekit.apps.visualise import (UMAP_HINT, LatentMap, MissingDependencyError, embed_2d, latent_grid, latent_map,
                                  visualise)
from aekit.errors import AekitError, InputError

FAST = {"hidden": (16,), "epochs": 3, "batch_size": 32, "random_state": 0}


@pytest.fixture(autouse=True)
def one_thread():
    # t-SNE's OpenMP threads crawl on a shared, busy CPU; one thread is fast and deterministic.
    with threadpool_limits(1):
        yield


def blobs(n_per: int = 40, dims: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    centres = r.normal(scale=6.0, size=(3, dims))
    X = np.concatenate([c + r.normal(size=(n_per, dims)) for c in centres])
    return X.astype(np.float32), np.repeat(np.arange(3), n_per)


@pytest.fixture(scope="module")
def blob_model():
    X, y = blobs()
    return Autoencoder(latent_dim=6, **FAST).fit(X), X, y


@pytest.fixture(scope="module")
def image_model():
    r = np.random.default_rng(0)
    images = np.zeros((60, 1, 8, 8), np.float32)
    for i in range(60):
        row, col = r.integers(0, 5, size=2)
        images[i, 0, row:row + 3, col:col + 3] = 1.0
    return Autoencoder(latent_dim=2, **FAST).fit(images), images, np.arange(60) % 3


def test_a_2d_latent_is_its_own_map(image_model):
    ae, X, y = image_model
    m = latent_map(ae, X, y)
    assert m.method == "latent" and m.latent_dim == 2
    np.testing.assert_allclose(m.coords, ae.transform(X))
    np.testing.assert_array_equal(m.labels, y)
    np.testing.assert_array_equal(m.indices, np.arange(60))


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_separated_clusters_stay_apart_in_the_map(blob_model, method):
    ae, X, y = blob_model
    m = latent_map(ae, X, y, method=method)
    assert m.method == method and m.coords.shape == (120, 2)
    assert m.knn_accuracy > 0.9


def test_shuffled_labels_score_near_chance(blob_model):
    ae, X, y = blob_model
    shuffled = np.random.default_rng(1).permutation(y)
    m = latent_map(ae, X, shuffled, method="pca")
    assert abs(m.knn_accuracy - 1 / 3) < 0.2


def test_auto_picks_tsne_for_wider_codes(blob_model):
    ae, X, _ = blob_model
    m = latent_map(ae, X[:30], method="auto")
    assert m.method == "tsne" and m.coords.shape == (30, 2)
    assert m.labels is None and m.knn_accuracy is None


def test_large_inputs_are_subsampled_the_same_way_each_time(blob_model):
    ae, X, y = blob_model
    a = latent_map(ae, X, y, method="pca", max_points=50, random_state=3)
    b = latent_map(ae, X, y, method="pca", max_points=50, random_state=3)
    assert a.coords.shape == (50, 2) and len(np.unique(a.indices)) == 50
    assert np.all(np.diff(a.indices) > 0)
    np.testing.assert_array_equal(a.labels, y[a.indices])
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.coords, b.coords)


def test_pca_map_is_the_top_two_components_of_the_codes(blob_model):
    ae, X, _ = blob_model
    codes = ae.transform(X).astype(np.float64)
    coords = embed_2d(codes, "pca")
    centred = codes - codes.mean(0)
    # The map keeps the largest share of the codes' variance any 2-D projection can.
    top2 = np.sort(np.linalg.eigvalsh(np.cov(centred.T)))[-2:].sum()
    assert np.var(coords, axis=0, ddof=1).sum() == pytest.approx(top2, rel=1e-6)


def test_missing_umap_gives_the_install_hint(blob_model, monkeypatch):
    ae, X, y = blob_model
    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'aekit\[umap\]'") as info:
        latent_map(ae, X, y, method="umap")
    assert isinstance(info.value, ImportError) and isinstance(info.value, AekitError)
    assert "umap-learn" in UMAP_HINT


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "latent"}, r"needs latent_dim=2, but this model has latent_dim=6"),
    ({"method": "isomap"}, r"method must be one of 'auto', 'latent', 'tsne', 'umap', 'pca'"),
    ({"y": np.zeros(5)}, r"one label per sample: got shape \(5,\) for 120"),
    ({"max_points": 0}, r"max_points must be an int >= 1"),
])
def test_bad_requests_are_named(blob_model, kwargs, match):
    ae, X, _ = blob_model
    with pytest.raises(InputError, match=match):
        latent_map(ae, X, **kwargs)


def test_map_plot_has_the_score_in_its_title(blob_model, tmp_path):
    ae, X, y = blob_model
    m = latent_map(ae, X, y, method="pca")
    assert "5-NN accuracy" in m.title and isinstance(m, LatentMap)
    assert m.plot(tmp_path / "latent_map.png").read_bytes().startswith(b"\x89PNG")


def test_grid_decodes_n_squared_codes_in_map_orientation(image_model):
    ae, _, _ = image_model
    grid = latent_grid(ae, 4, span=((0.0, 3.0), (-1.0, 2.0)))
    assert grid.images.shape == (16, 1, 8, 8) and grid.codes.shape == (16, 2) and grid.n == 4
    rows = grid.codes.reshape(4, 4, 2)
    np.testing.assert_allclose(rows[0, :, 0], [0.0, 1.0, 2.0, 3.0])  # z1 grows along a row
    np.testing.assert_allclose(rows[:, 0, 1], [2.0, 1.0, 0.0, -1.0])  # top row = largest z2
    np.testing.assert_allclose(grid.images, ae.inverse_transform(grid.codes))


def test_grid_span_comes_from_the_codes_of_data(image_model):
    ae, X, _ = image_model
    codes = ae.transform(X)
    grid = latent_grid(ae, 3, X=X, quantiles=(0.0, 1.0))
    for axis in range(2):
        lo, hi = grid.span[axis]
        if codes[:, axis].max() > codes[:, axis].min():
            assert (lo, hi) == pytest.approx((codes[:, axis].min(), codes[:, axis].max()), rel=1e-5)
    one_span = latent_grid(ae, 2, span=(-1, 1))
    assert one_span.span == ((-1.0, 1.0), (-1.0, 1.0))


@pytest.mark.parametrize("kwargs, match", [
    ({}, r"pass span=\(low, high\) or data X"),
    ({"span": (1.0, 1.0)}, r"low < high"),
    ({"span": (1.0, 2.0, 3.0)}, r"span must be \(low, high\)"),
    ({"span": (0, 1), "n": 0}, r"n must be an int in 1..100"),
])
def test_grid_refuses_bad_settings(image_model, kwargs, match):
    ae, _, _ = image_model
    with pytest.raises(InputError, match=match):
        latent_grid(ae, **kwargs)


def test_grid_needs_a_2d_latent(blob_model):
    ae, X, _ = blob_model
    with pytest.raises(InputError, match=r"latent_dim=6"):
        latent_grid(ae, X=X)


def test_visualise_writes_map_grid_and_reconstructions(image_model, tmp_path):
    ae, X, y = image_model
    result = visualise(ae, X, y, out=tmp_path / "pics", grid_n=5)
    assert set(result.files) == {"latent_map", "reconstructions", "latent_grid"}
    for path in result.files.values():
        assert path.parent == tmp_path / "pics" and path.read_bytes().startswith(b"\x89PNG")
    assert result.latent_grid.images.shape == (25, 1, 8, 8)
    assert result.latent_map.knn_accuracy is not None


def test_visualise_of_a_table_has_no_grid(blob_model, tmp_path):
    ae, X, y = blob_model
    result = visualise(ae, X, y, out=tmp_path, method="pca", feature_names=[f"f{i}" for i in range(20)])
    assert set(result.files) == {"latent_map", "reconstructions"} and result.latent_grid is None


class _Collapsed:
    """A 'trained' model whose codes are all the same (every ReLU unit dead)."""

    module_ = spec_ = None
    latent_dim = 4

    def transform(self, X):
        return np.zeros((len(X), 4), np.float32)


@pytest.mark.parametrize("method", ["tsne", "umap", "pca"])
def test_identical_codes_are_refused_before_embedding(method):
    with pytest.raises(InputError, match=r"same code \(40 identical 4-D codes"):
        latent_map(_Collapsed(), np.zeros((40, 3)), method=method)
