"""reduce: codes are transform; the PCA comparison measures both methods the same way."""

from __future__ import annotations

import numpy as np
import pytest

from aekit import Autoencoder
from aekit.apps.reduce import PCAComparison, compare_with_pca, pca_baseline, pca_errors, reduce
from aekit.errors import InputError

FAST = {"hidden": (8,), "epochs": 2, "batch_size": 64, "random_state": 0}


def rank_k(n: int = 240, d: int = 12, k: int = 3, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (r.normal(size=(n, k)) @ r.normal(size=(k, d)) + 5.0).astype(np.float64)  # rank k after centring


@pytest.fixture(scope="module")
def comparison() -> PCAComparison:
    X = rank_k()
    return compare_with_pca(X[:180], X[180:], dims=(4, 1, 3), estimator_params=FAST)


def test_pca_at_the_rank_reconstructs_exactly_and_below_it_does_not(comparison):
    pca = dict(zip(comparison.dims, comparison.pca_mse))
    assert comparison.dims == (1, 3, 4)  # sorted
    assert pca[3] < 1e-20 and pca[4] < 1e-20
    assert pca[1] > 0.1


def test_the_table_reports_both_errors_per_dim(comparison):
    assert [r.dim for r in comparison.rows] == [1, 3, 4]
    assert all(np.isfinite(r.ae_mse) and r.ae_mse > 0 for r in comparison.rows)
    assert len(comparison.estimators) == 3
    assert [e.spec_.latent_dim for e in comparison.estimators] == [1, 3, 4]
    record = comparison.to_dict()
    assert record["n_train"] == 180 and record["n_test"] == 60
    assert [r["dim"] for r in record["rows"]] == [1, 3, 4]
    assert record["rows"][0]["pca_mse"] == comparison.pca_mse[0]
    lines = comparison.table().splitlines()
    assert "autoencoder MSE" in lines[0] and "PCA MSE" in lines[0] and len(lines) == 4


def test_autoencoder_errors_are_measured_on_the_test_data(comparison):
    X = rank_k()
    ae = comparison.estimators[0]
    assert comparison.ae_mse[0] == pytest.approx(np.mean((ae.predict(X[180:]) - X[180:]) ** 2))


def test_plot_writes_a_png(comparison, tmp_path):
    path = comparison.plot(tmp_path / "pca_comparison.png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_pca_error_never_grows_with_more_components(rng):
    X = rng.random((100, 16))
    errors = pca_errors(X[:80], X[80:], (1, 2, 4, 8, 16))
    assert all(a >= b - 1e-12 for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-20  # all 16 components: a rotation, nothing lost


def test_images_and_flat_rows_give_the_same_pca_error(rng):
    images = rng.random((40, 1, 4, 4))
    assert pca_errors(images[:30], images[30:], (3,)) == pca_errors(images[:30].reshape(30, -1),
                                                                      images[30:].reshape(10, -1), (3,))


def test_an_estimator_template_is_cloned_per_dim(rng):
    X = rank_k(n=80, d=6)
    template = Autoencoder(latent_dim=99, **FAST)
    result = compare_with_pca(X[:60], X[60:], dims=(1, 2), make_estimator=template)
    assert [e.latent_dim for e in result.estimators] == [1, 2]
    assert template.latent_dim == 99 and not hasattr(template, "module_")


def test_a_factory_gets_each_dim(rng):
    X = rank_k(n=80, d=6)
    asked = []

    def make(dim):
        asked.append(dim)
        return Autoencoder(latent_dim=dim, **FAST)

    compare_with_pca(X[:60], X[60:], dims=(2, 1), make_estimator=make)
    assert asked == [1, 2]


@pytest.mark.parametrize("kwargs, match", [
    ({"dims": (2, 50)}, r"at most 12 components"),
    ({"dims": ()}, r"non-empty list of ints >= 1"),
    ({"dims": (0, 2)}, r"ints >= 1"),
    ({"dims": (1.5,)}, r"ints >= 1"),
    ({"make_estimator": Autoencoder(), "estimator_params": {}}, r"not both"),
    ({"make_estimator": 3}, r"function dim -> unfitted estimator"),
])
def test_bad_settings_are_refused_before_training(kwargs, match):
    X = rank_k()
    with pytest.raises(InputError, match=match):
        compare_with_pca(X[:180], X[180:], **kwargs)


def test_train_and_test_must_have_the_same_features():
    with pytest.raises(InputError, match=r"12 values per sample but X_test has 5"):
        pca_errors(rank_k(), rank_k(d=5), (1,))


@pytest.fixture(scope="module")
def trained():
    X = rank_k(d=8, k=2)
    return Autoencoder(latent_dim=2, **FAST).fit(X), X


def test_pca_baseline_uses_the_models_latent_size(trained):
    ae, X = trained
    base = pca_baseline(ae, X)
    assert base.latent_dim == 2 and base.n_samples == len(X)
    assert base.pca_mse < 1e-20  # rank-2 data, 2 components
    assert base.ae_mse == pytest.approx(np.mean((ae.predict(X) - X) ** 2))
    assert base.ratio > 1


def test_pca_baseline_can_be_fitted_on_other_data(trained):
    ae, X = trained
    other = rank_k(d=8, k=2, seed=1)  # another plane: PCA fitted there misses X
    assert pca_baseline(ae, X, X_fit=other).pca_mse > 0.01


def test_reduce_is_transform(trained):
    ae, X = trained
    np.testing.assert_array_equal(reduce(ae, X), ae.transform(X))


def test_unfitted_model_is_refused():
    from aekit.errors import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        pca_baseline(Autoencoder(), rank_k())
