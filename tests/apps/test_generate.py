"""apps.generate: seeded samples (prior, GMM on codes), interpolations, traversals, the PCA baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aekit import Autoencoder, VariationalAutoencoder
from aekit.apps.generate import (fit_code_density, generate, interpolate, lerp, pca_gaussian_samples, sample,
                                 select_n_components, slerp, traverse)
from aekit.errors import InputError


def squares(n: int, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    out = np.zeros((n, 1, 8, 8), np.float32)
    for i in range(n):
        a, b = r.integers(0, 5, size=2)
        out[i, 0, a:a + 3, b:b + 3] = 1.0
    return out


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return squares(128)


@pytest.fixture(scope="module")
def ae(data: np.ndarray) -> Autoencoder:
    return Autoencoder(4, hidden=(32,), epochs=3, batch_size=32, random_state=0, verbose=False).fit(data)


@pytest.fixture(scope="module")
def vae(data: np.ndarray) -> VariationalAutoencoder:
    return VariationalAutoencoder(2, hidden=(32,), epochs=3, batch_size=32, random_state=0, verbose=False).fit(data)


def test_gmm_samples_are_seeded_for_a_deterministic_autoencoder(ae: Autoencoder, data: np.ndarray) -> None:
    a = sample(ae, 6, X=data, n_components=3, random_state=1)
    b = sample(ae, 6, X=data, n_components=3, random_state=1)
    c = sample(ae, 6, X=data, n_components=3, random_state=2)
    assert a.shape == (6, 1, 8, 8) and np.array_equal(a, b) and not np.array_equal(a, c)


def test_prior_samples_are_seeded(vae: VariationalAutoencoder) -> None:
    assert np.array_equal(sample(vae, 5, sampler="prior", random_state=3),
                          sample(vae, 5, sampler="prior", random_state=3))


def test_code_density_draws_follow_the_mixture(ae: Autoencoder, data: np.ndarray) -> None:
    density = fit_code_density(ae, data, n_components=1)
    z = density.sample(4000, random_state=0)
    codes = ae.transform(data)
    assert np.allclose(z.mean(0), codes.mean(0), atol=0.1 * codes.std(0).max() + 1e-3)


def test_interpolation_ends_are_the_reconstructions(ae: Autoencoder, vae: VariationalAutoencoder,
                                                    data: np.ndarray) -> None:
    for model in (ae, vae):
        for method in ("linear", "spherical"):
            path = interpolate(model, 3, 7, steps=5, method=method, X=data)
            assert path.shape == (5, 1, 8, 8)
            assert np.allclose(path[0], model.predict(data[3:4])[0], atol=1e-5)
            assert np.allclose(path[-1], model.predict(data[7:8])[0], atol=1e-5)


def test_slerp_keeps_the_norm_of_equal_norm_codes_where_lerp_shrinks_it() -> None:
    za, zb = np.array([3.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0])
    t = np.linspace(0, 1, 9)
    assert np.allclose(np.linalg.norm(slerp(za, zb, t), axis=1), 3.0)
    lin = np.linalg.norm(lerp(za, zb, t), axis=1)
    assert np.isclose(lin[4], 3.0 / np.sqrt(2)) and lin[4] < 3.0
    assert np.allclose(slerp(za, za, t), lerp(za, za, t))  # parallel codes fall back to a line


def test_traversal_moves_one_dimension_at_a_time(ae: Autoencoder, data: np.ndarray) -> None:
    trav = traverse(ae, data, dims=[0, 2], steps=5)
    assert trav.shape == (2, 5, 1, 8, 8)
    centre = ae.predict(data[:1])[0]
    assert np.allclose(trav[0, 2], centre, atol=1e-5) and np.allclose(trav[1, 2], centre, atol=1e-5)


def test_pca_gaussian_baseline_is_seeded_and_in_range(data: np.ndarray) -> None:
    a = pca_gaussian_samples(data, 10, n_components=4, random_state=0)
    assert a.shape == (10, 1, 8, 8) and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, pca_gaussian_samples(data, 10, n_components=4, random_state=0))


def test_generate_writes_grids_and_arrays(vae: VariationalAutoencoder, data: np.ndarray, tmp_path: Path) -> None:
    res = generate(vae, data, n=9, sampler="prior", interpolate_pair=(0, 1), steps=4, traverse_dims=True,
                   out=tmp_path, random_state=0)
    assert res.samples.shape == res.baseline.shape == (9, 1, 8, 8) and res.n_components is None  # no mixture
    assert res.interpolations["spherical"].shape == (4, 1, 8, 8) and res.traversal.shape == (2, 4, 1, 8, 8)
    for key in ("samples", "baseline_pca", "interpolation", "traversal"):
        assert res.paths[key].suffix == ".png" and res.paths[key].stat().st_size > 0
        assert res.paths[f"{key}_npy"].exists()
    again = generate(vae, data, n=9, sampler="prior", random_state=0)
    assert np.array_equal(again.samples, res.samples)


def test_bad_input_names_the_problem_and_the_fix(ae: Autoencoder, data: np.ndarray) -> None:
    with pytest.raises(InputError, match=r"n must be a positive int \(> 0\), got 0"):
        sample(ae, 0, X=data)
    with pytest.raises(InputError, match=r"n must be a positive int"):
        generate(ae, data, n=-3)
    with pytest.raises(InputError, match=r"sampler='prior' needs a VariationalAutoencoder.*sampler='gmm'"):
        sample(ae, 4, sampler="prior")
    with pytest.raises(InputError, match=r"needs the training samples X"):
        sample(ae, 4)
    with pytest.raises(InputError, match=r"a=128 is out of range for X of 128 samples; use an index in \[0, 127\]"):
        interpolate(ae, 128, 0, X=data)
    with pytest.raises(InputError, match=r"b=-200 is out of range"):
        interpolate(ae, 0, -200, X=data)
    with pytest.raises(InputError, match=r"shape \(1, 10, 10\).*trained on samples of shape \(1, 8, 8\).*resize"):
        sample(ae, 4, X=np.zeros((5, 1, 10, 10), np.float32))
    with pytest.raises(InputError, match=r"steps must be an int >= 2"):
        interpolate(ae, 0, 1, steps=1, X=data)
    with pytest.raises(InputError, match=r"dims \[9\] are not code dimensions"):
        traverse(ae, data, dims=[9])
    with pytest.raises(InputError, match=r"values in \[0, 255\], outside the model's range \[0, 1\].*divide 8-bit"):
        generate(ae, data * 255.0)
    with pytest.raises(InputError, match=r"a has values in \[0, 255\], outside the model's range"):
        interpolate(ae, data[0] * 255.0, data[1])


def test_samples_slightly_outside_the_training_range_are_accepted(ae: Autoencoder, data: np.ndarray) -> None:
    assert generate(ae, data * 1.05, n=3, n_components=2).samples.shape == (3, 1, 8, 8)


def test_without_the_baseline_nothing_of_it_is_drawn_or_written(ae: Autoencoder, data: np.ndarray,
                                                                  tmp_path: Path) -> None:
    res = generate(ae, data, n=4, n_components=2, baseline=False, out=tmp_path, random_state=0)
    assert res.baseline is None and "baseline_pca" not in res.paths
    assert not (tmp_path / "baseline_pca.png").exists() and (tmp_path / "samples.png").exists()
    with_it = generate(ae, data, n=4, n_components=2, random_state=0)
    np.testing.assert_array_equal(res.samples, with_it.samples)  # the baseline draws nothing from the samples' seed


class CodesAsInput:
    """A stand-in for a fitted autoencoder whose codes are its inputs, to test the mixture on chosen codes."""

    def __init__(self, d: int) -> None:
        self.input_shape_ = (d,)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, np.float32)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, np.float32)


def test_auto_chooses_more_components_for_many_clusters_than_for_one_gaussian() -> None:
    r = np.random.default_rng(0)
    one = r.standard_normal((2000, 2)).astype(np.float32)
    centres = 10.0 * np.stack(np.meshgrid(np.arange(5), np.arange(4)), -1).reshape(20, 2)  # 20 clusters, 10 sd apart
    many = (centres[r.integers(0, 20, 2000)] + 0.5 * r.standard_normal((2000, 2))).astype(np.float32)
    model = CodesAsInput(2)
    k_one = fit_code_density(model, one).mixture.n_components  # "auto" is the default
    density = fit_code_density(model, many, n_components="auto")
    assert k_one <= 2 and density.mixture.n_components >= 20
    assert max(density.heldout_loglik, key=density.heldout_loglik.get) == density.mixture.n_components
    assert density.heldout_loglik[20] > density.heldout_loglik[10] > density.heldout_loglik[1]


def test_auto_skips_sizes_the_codes_cannot_support_and_is_seeded() -> None:
    Z = np.random.default_rng(1).standard_normal((60, 4))
    k, scores = select_n_components(Z, random_state=0)
    assert set(scores) == {1, 2, 5, 10}  # 54 codes to fit on: at most 54 / (4 + 1) components
    assert (k, scores) == select_n_components(Z, random_state=0)


def test_an_int_size_is_used_as_given(ae: Autoencoder, data: np.ndarray) -> None:
    density = fit_code_density(ae, data, n_components=3)
    assert density.mixture.n_components == 3 and density.heldout_loglik == {}
    assert generate(ae, data, n=2, n_components=4, baseline=False).n_components == 4
    assert generate(ae, data, n=2, baseline=False).n_components in (1, 2, 5, 10, 20)


@pytest.mark.parametrize("bad", [0, -1, "x", "Auto", 2.5, True, None])
def test_a_bad_mixture_size_is_one_clear_error(ae: Autoencoder, data: np.ndarray, bad: object) -> None:
    message = r"n_components must be 'auto' or a positive int \(> 0\), got .*; pass 'auto'"
    with pytest.raises(InputError, match=message):
        fit_code_density(ae, data, n_components=bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=message):
        sample(ae, 4, X=data, n_components=bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=message):
        generate(ae, data, n=4, n_components=bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"n_components=200 exceeds the 128 samples in X"):
        fit_code_density(ae, data, n_components=200)
