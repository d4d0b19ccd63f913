"""Autoencoder: the scikit-learn contract, quality floors, unhappy paths, persistence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import aekit
from aekit import Autoencoder
from aekit.errors import InputError, ModelFileError, NotFittedError

KNOWN_DEVIATIONS = {
    # float32 matrix products over a permuted batch can differ in the last bit (1e-9 absolute)
    "check_methods_sample_order_invariance": "float32 batched matmul is not bitwise order-invariant",
}


@parametrize_with_checks([Autoencoder(latent_dim=2, hidden=(8,), epochs=2, random_state=0)],
                         expected_failed_checks=lambda est: KNOWN_DEVIATIONS)
def test_sklearn_contract(estimator, check):
    check(estimator)


def _mse(a, b):
    return float(np.mean((a - b) ** 2))


def test_recovers_a_plane(table):
    """A 2-D tanh code explains rank-2 data almost fully (measured: 1.1% of the variance left)."""
    ae = Autoencoder(latent_dim=2, hidden=(32,), activation="tanh", epochs=150, batch_size=32, lr=3e-3,
                     random_state=0).fit(table)
    assert _mse(ae.predict(table), table) < 0.05 * np.mean((table - table.mean(0)) ** 2)


def test_matches_pca_on_linear_data(table):
    """On rank-2 data a linear 2-D autoencoder should get near PCA-2's (almost zero) error."""
    pca_err = _mse(PCA(2).fit(table).inverse_transform(PCA(2).fit(table).transform(table)), table)
    ae = Autoencoder(latent_dim=2, activation="linear", output="linear", epochs=300, batch_size=50, lr=1e-2,
                     random_state=0).fit(table)
    assert _mse(ae.predict(table), table) < pca_err + 2e-3


def test_shapes_and_units_round_trip(rng):
    X = rng.uniform(-5, 20, size=(120, 6)).astype(np.float64)
    ae = Autoencoder(latent_dim=3, epochs=2, random_state=0).fit(X)
    assert ae.scaler_.method == "minmax" and ae.output_ == "sigmoid"
    Z = ae.transform(X)
    assert Z.shape == (120, 3) and Z.dtype == np.float32
    R = ae.inverse_transform(Z)
    assert R.shape == X.shape and R.min() >= -5 - 1e-3 and R.max() <= 20 + 1e-3  # original units
    np.testing.assert_allclose(ae.predict(X), R, rtol=1e-5, atol=1e-5)
    assert ae.score_samples(X).shape == (120,) and np.all(ae.score_samples(X) <= 0)


def test_conv_accepts_images_in_every_layout(images):
    ae = Autoencoder(latent_dim=4, model="conv", channels=(4,), epochs=2, random_state=0).fit(images)
    assert ae.predict(images).shape == images.shape
    assert ae.transform(images[:, 0]).shape == (64, 4)  # (N, H, W) is the same data
    flat = Autoencoder(latent_dim=4, model="conv", channels=(4,), image_shape=(1, 8, 8), epochs=1,
                       random_state=0).fit(images.reshape(64, -1))
    assert flat.predict(images.reshape(64, -1)).shape == (64, 64)


def test_conv_on_flat_data_without_image_shape_says_how(table):
    with pytest.raises(InputError, match=r"image_shape=\(C, H, W\)"):
        Autoencoder(model="conv", epochs=1).fit(table)


def test_same_seed_same_model(table):
    a = Autoencoder(latent_dim=2, epochs=3, random_state=4).fit(table)
    b = Autoencoder(latent_dim=2, epochs=3, random_state=4).fit(table)
    np.testing.assert_array_equal(a.transform(table), b.transform(table))
    c = Autoencoder(latent_dim=2, epochs=3, random_state=5).fit(table)
    assert not np.array_equal(a.transform(table), c.transform(table))


def test_nan_error_names_the_row_and_the_fix(table):
    table[17, 2] = np.nan
    with pytest.raises(InputError, match=r"1 NaN value \(first at row 17, column 2\).*drop those rows"):
        Autoencoder(epochs=1).fit(table)


def test_dataframe_errors_name_the_column(table):
    df = pd.DataFrame(table, columns=[f"c{i}" for i in range(10)])
    df["city"] = "Paris"
    with pytest.raises(InputError, match="non-numeric column 'city'"):
        Autoencoder(epochs=1).fit(df)
    df = df.drop(columns="city")
    df.loc[3, "c4"] = np.inf
    with pytest.raises(InputError, match="row 3, column 'c4'"):
        Autoencoder(epochs=1).fit(df)


@pytest.mark.parametrize("X, match", [
    (np.zeros((0, 4)), "empty"),
    (np.zeros(5), "Reshape your data"),
    (np.array([["a", "b"], ["c", "d"]]), "not numbers"),
])
def test_bad_shapes_and_types(X, match):
    with pytest.raises(InputError, match=match):
        Autoencoder(epochs=1).fit(X)


def test_feature_count_must_match_fit(table):
    ae = Autoencoder(latent_dim=2, epochs=1).fit(table)
    with pytest.raises(InputError, match="X has 9 features, but Autoencoder is expecting 10"):
        ae.transform(table[:, :9])
    with pytest.raises(InputError, match="latent_dim=2"):
        ae.inverse_transform(np.zeros((3, 5)))


def test_unfitted_model_says_call_fit(table):
    with pytest.raises(NotFittedError, match="Call 'fit'"):
        Autoencoder().transform(table)


@pytest.mark.parametrize("params, match", [
    ({"latent_dim": 0}, r"latent_dim must be an int >= 1, got 0"),
    ({"loss": "huber"}, r"loss must be one of 'mse', 'bce'; got 'huber'"),
    ({"hidden": (64, -1)}, "hidden must be a tuple of ints"),
    ({"lr": -1.0}, "lr must be a finite number"),
    ({"model": "transformer"}, "model must be one of"),
    ({"model": "recurrent"}, "model must be one of 'dense', 'conv'"),  # has its own estimator
    ({"validation_fraction": 1.0}, "validation_fraction"),
])
def test_bad_parameters_are_refused_in_fit(table, params, match):
    est = Autoencoder(**params)  # the constructor stores, fit checks
    with pytest.raises(InputError, match=match):
        est.fit(table)


def test_bce_refuses_data_outside_unit_interval(rng):
    X = rng.normal(size=(50, 4))
    with pytest.raises(InputError, match="loss='bce' needs data in \\[0, 1\\]"):
        Autoencoder(loss="bce", scale="standard", epochs=1).fit(X)


def test_validation_split_and_early_stopping(table):
    ae = Autoencoder(latent_dim=2, epochs=200, lr=5e-2, validation_fraction=0.2, early_stopping=5,
                     random_state=0).fit(table)
    assert "val_loss" in ae.history_[0] and len(ae.history_) < 200


def test_pipeline_and_grid_search(table):
    pipe = make_pipeline(StandardScaler(), Autoencoder(latent_dim=2, epochs=2, random_state=0))
    assert pipe.fit_transform(table).shape == (200, 2)
    est = Autoencoder(activation="tanh", epochs=60, batch_size=32, lr=1e-2, random_state=0)
    grid = GridSearchCV(est, {"latent_dim": [1, 4]}, cv=2).fit(table)
    assert grid.best_params_["latent_dim"] == 4  # a bigger code reconstructs better
    assert clone(grid.best_estimator_).get_params()["latent_dim"] == 4


def test_save_load_round_trip(tmp_path, images):
    ae = Autoencoder(latent_dim=3, model="conv", channels=(4,), epochs=2, random_state=0).fit(images)
    ae.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    back = aekit.load(tmp_path / "m")
    assert isinstance(back, Autoencoder) and back.get_params() == ae.get_params()
    np.testing.assert_array_equal(back.transform(images), ae.transform(images))
    np.testing.assert_array_equal(back.predict(images), ae.predict(images))
    assert aekit.load(tmp_path / "m" / "model.safetensors").history_ == ae.history_


@pytest.fixture
def saved(tmp_path, table):
    Autoencoder(latent_dim=2, epochs=1, random_state=0).fit(table).save(tmp_path / "m")
    return tmp_path / "m"


def test_load_refuses_newer_format(saved):
    cfg = json.loads((saved / "config.json").read_text())
    cfg["format_version"] = 99
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="declares format 99.*Upgrade aekit or retrain"):
        aekit.load(saved)


def test_load_refuses_foreign_json(saved):
    (saved / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelFileError, match="not an aekit model"):
        aekit.load(saved)


def test_load_refuses_truncated_or_swapped_weights(saved):
    w = saved / "model.safetensors"
    w.write_bytes(w.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="does not match"):
        aekit.load(saved)
    cfg = json.loads((saved / "config.json").read_text())
    del cfg["weights"]["sha256"]  # a missing checksum is refused too, never a reason to skip the check
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="checksum"):
        aekit.load(saved)


def test_load_missing_path_is_clear(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        aekit.load(tmp_path / "nowhere")


def test_save_never_leaves_temp_files(saved, table):
    Autoencoder(latent_dim=2, epochs=1, random_state=0).fit(table).save(saved)  # overwrite in place
    assert not [p for p in saved.iterdir() if p.name.startswith(".")]
