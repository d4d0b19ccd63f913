"""AutoencoderImputer: fills only what is missing, beats the mean, keeps the scikit-learn
contract, handles categories, images and every bad input with one clear behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from aekit.errors import InputError
from aekit.estimators._gaussian import conditional_mean, fit_gaussian
from aekit.estimators.imputer import AutoencoderImputer, simplex_weights
from aekit.io.model_file import load_model

# Small and quick: a 64-wide network trained for 300 steps on 200 rows fits in a few seconds.
FAST = {"hidden": (64, 64), "epochs": 300, "random_state": 0}


def low_rank(n: int = 200, d: int = 8, rank: int = 2, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return r.normal(size=(n, rank)) @ r.normal(size=(rank, d))


def with_holes(X: np.ndarray, rate: float = 0.2, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    mask = np.random.default_rng(seed).random(X.shape) < rate
    Xm = X.copy()
    Xm[mask] = np.nan
    return Xm, mask


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


@pytest.fixture(scope="module")
def fitted() -> tuple[AutoencoderImputer, np.ndarray, np.ndarray, np.ndarray]:
    X = low_rank()
    Xm, mask = with_holes(X)
    return AutoencoderImputer(**FAST).fit(Xm), X, Xm, mask


# ---------------------------------------------------------------- what it fills
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_observed_values_come_back_bit_identical(fitted, dtype):
    imp, _, Xm, mask = fitted
    Xd = Xm.astype(dtype)
    out = imp.transform(Xd)
    assert out.dtype == dtype and out.shape == Xd.shape
    assert np.array_equal(out[~mask], Xd[~mask])  # exact, not approximately
    assert np.isfinite(out).all()


def test_observed_values_in_a_dataframe_are_untouched(fitted):
    imp, _, Xm, mask = fitted
    df = pd.DataFrame(Xm, columns=[f"c{i}" for i in range(Xm.shape[1])], index=np.arange(100, 300))
    imp_df = clone(imp).fit(df)
    out = imp_df.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns) and out.index.equals(df.index)
    assert np.array_equal(out.to_numpy()[~mask], Xm[~mask]) and not out.isna().any().any()


def test_beats_mean_imputation_on_low_rank_data(fitted):
    # Measured: 0.25 of the mean-fill RMSE (rank 2, 8 columns, 200 rows, 20% MCAR);
    # the floor leaves a margin of 2x.
    imp, X, Xm, mask = fitted
    mean_fill = np.where(mask, np.nanmean(Xm, axis=0), Xm)
    ratio = rmse(imp.transform(Xm)[mask], X[mask]) / rmse(mean_fill[mask], X[mask])
    assert ratio < 0.5


def test_same_seed_same_fill():
    Xm, _ = with_holes(low_rank(n=120))
    a = AutoencoderImputer(**{**FAST, "epochs": 20}).fit_transform(Xm)
    b = AutoencoderImputer(**{**FAST, "epochs": 20}).fit_transform(Xm)
    assert np.array_equal(a, b)


def test_complete_data_is_returned_as_is_and_missing_values_at_transform_only_work():
    X = low_rank()
    imp = AutoencoderImputer(**FAST).fit(X)  # no missing value in fit: it still trains (by hiding entries)
    assert np.array_equal(imp.transform(X), X)
    Xm, mask = with_holes(X)
    out = imp.transform(Xm)
    mean_fill = np.where(mask, np.nanmean(Xm, axis=0), Xm)
    assert rmse(out[mask], X[mask]) < 0.5 * rmse(mean_fill[mask], X[mask])


def test_a_row_with_every_value_missing_gets_the_model_prior_near_the_means(fitted):
    imp, X, Xm, _ = fitted
    row = np.full((1, X.shape[1]), np.nan)
    out = imp.transform(np.vstack([Xm[:5], row]))
    assert np.isfinite(out).all()
    spread = np.nanstd(Xm, axis=0)
    assert np.all(np.abs(out[-1] - np.nanmean(Xm, axis=0)) < spread)  # within one sd of each column's mean


# ---------------------------------------------------------------- scikit-learn contract
def test_clone_and_params_round_trip():
    imp = AutoencoderImputer(hidden=(16,), drop_rate=0.4, categorical_columns=["a"], random_state=3)
    twin = clone(imp)
    assert twin.get_params() == imp.get_params() and not hasattr(twin, "module_")


def test_works_in_a_pipeline(fitted):
    _, X, Xm, _ = fitted
    y = X[:, 0] - X[:, 1]
    pipe = make_pipeline(AutoencoderImputer(**FAST), LinearRegression()).fit(Xm, y)
    assert pipe.score(Xm, y) > 0.8


def test_works_in_a_column_transformer_with_dataframe_output(fitted):
    _, _, Xm, mask = fitted
    df = pd.DataFrame(Xm, columns=[f"c{i}" for i in range(Xm.shape[1])])
    df["other"] = 1.0
    ct = ColumnTransformer([("impute", AutoencoderImputer(**FAST), [f"c{i}" for i in range(Xm.shape[1])])],
                           remainder="passthrough").set_output(transform="pandas")
    out = ct.fit_transform(df)
    assert out.shape == df.shape and not out.isna().any().any()
    assert np.array_equal(out.iloc[:, :Xm.shape[1]].to_numpy()[~mask], Xm[~mask])


def test_set_output_pandas_on_an_array(fitted):
    imp, _, Xm, _ = fitted
    out = clone(imp).set_output(transform="pandas").fit(Xm).transform(Xm)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == [f"x{i}" for i in range(Xm.shape[1])]


# ---------------------------------------------------------------- categories
def test_categorical_columns_are_filled_with_a_likely_category():
    X = low_rank(n=300, d=6)
    df = pd.DataFrame(X, columns=list("abcdef"))
    truth = np.where(X[:, 0] > np.median(X[:, 0]), "high", "low")
    df["level"] = pd.Categorical(truth)  # categorical by dtype
    df["sign"] = np.where(X[:, 1] > 0, "pos", "neg").astype(object)  # text: declared below
    holes = np.random.default_rng(2).random(len(df)) < 0.2
    df.loc[holes, "level"] = np.nan
    df.loc[holes, "sign"] = None
    df.loc[np.random.default_rng(3).random(len(df)) < 0.2, "c"] = np.nan
    imp = AutoencoderImputer(**{**FAST, "epochs": 300}, categorical_columns=["sign"]).fit(df)
    out = imp.transform(df)
    assert isinstance(out["level"].dtype, pd.CategoricalDtype) and not out.isna().any().any()
    assert set(out["sign"]) <= {"pos", "neg"}
    assert (out.loc[holes, "level"].astype(str) == truth[holes]).mean() > 0.85  # majority share is 0.5
    truth_sign = np.where(X[:, 1] > 0, "pos", "neg")
    assert (out.loc[holes, "sign"] == truth_sign[holes]).mean() > 0.85
    observed = ~holes
    assert (out.loc[observed, "sign"] == df.loc[observed, "sign"]).all()


# ---------------------------------------------------------------- multiple imputation
def test_draws_differ_and_their_mean_is_sensible(fitted):
    imp, X, Xm, mask = fitted
    draws = imp.sample(Xm, n_draws=8)
    assert len(draws) == 8
    assert all(np.array_equal(d[~mask], Xm[~mask]) for d in draws)
    assert not np.allclose(draws[0][mask], draws[1][mask])
    mean_of_draws = np.mean(draws, axis=0)
    mean_fill = np.where(mask, np.nanmean(Xm, axis=0), Xm)
    assert rmse(mean_of_draws[mask], X[mask]) < 0.6 * rmse(mean_fill[mask], X[mask])
    spread = np.std(draws, axis=0)[mask].mean()
    assert 0.2 * imp.residual_std_.mean() * imp.scale_.mean() < spread < 3 * rmse(mean_fill[mask], X[mask])


def test_sample_posterior_makes_transform_draw(fitted):
    imp, _, Xm, mask = fitted
    drawing = clone(imp).set_params(sample_posterior=True).fit(Xm)
    assert not np.allclose(drawing.transform(Xm)[mask], imp.transform(Xm)[mask])


# ---------------------------------------------------------------- images
#: The conv path, small: a two-stage U-Net, the network alone (no blend with the table candidates).
CONV = {"conv_channels": (8, 16), "blend": False, "epochs": 200, "random_state": 0}


@pytest.mark.parametrize("params", [CONV, {**FAST, "network": "dense"}], ids=["conv", "dense"])
def test_images_with_nan_or_a_mask_array(images, params):
    holes = np.random.default_rng(0).random(images.shape) < 0.25
    with_nan = images.copy()
    with_nan[holes] = np.nan
    imp = AutoencoderImputer(**params).fit(with_nan)
    out = imp.transform(with_nan)
    assert out.shape == images.shape and np.isfinite(out).all()
    assert np.array_equal(out[~holes], images[~holes])
    by_mask = imp.transform(images, mask=holes)
    assert np.array_equal(by_mask, out)
    mean_image = np.nanmean(with_nan, axis=0, keepdims=True).repeat(len(images), 0)
    assert rmse(out[holes], images[holes]) < 0.6 * rmse(mean_image[holes], images[holes])


def test_images_default_to_the_conv_network_and_tables_to_the_dense_one(images, fitted):
    from aekit.models.inpaint import InpaintUNet
    from aekit.models.masked_mlp import MaskedMLP

    imp = AutoencoderImputer(**{**CONV, "epochs": 1}).fit(images[:, 0], mask=np.zeros(images[:, 0].shape, bool))
    assert imp.network_ == "conv" and isinstance(imp.module_, InpaintUNet)  # (N, H, W) too
    assert fitted[0].network_ == "dense" and isinstance(fitted[0].module_, MaskedMLP)
    dense = AutoencoderImputer(**{**FAST, "epochs": 1, "network": "dense"}).fit(images)
    assert isinstance(dense.module_, MaskedMLP)


def test_conv_fills_a_block_from_its_context_where_the_mean_image_cannot():
    # Vertical stripes: each image's column c has one random value, so a hidden block is
    # known from the pixels above and below it, and the mean image knows nothing.
    r = np.random.default_rng(0)
    X = np.repeat(r.random((300, 1, 12)), 12, axis=1)  # (N, H, W): X[i, :, c] = v_i[c]
    holes = np.zeros(X.shape, bool)
    for i, (top, left) in enumerate(r.integers(2, 7, size=(300, 2))):
        holes[i, top:top + 4, left:left + 4] = True
    imp = AutoencoderImputer(**{**CONV, "epochs": 60}).fit(X, mask=holes)
    out = imp.transform(X, mask=holes)
    assert np.array_equal(out[~holes], X[~holes])
    assert rmse(out[holes], X[holes]) < 0.5 * rmse(np.full(holes.sum(), 0.5), X[holes])


def test_colour_images_keep_their_channels(images):
    colour = np.concatenate([images, 1 - images, 0.5 * images], axis=1)  # (N, 3, 8, 8)
    holes = np.random.default_rng(0).random(colour.shape) < 0.2
    imp = AutoencoderImputer(**{**CONV, "epochs": 2}).fit(colour, mask=holes)
    assert imp.spec_.in_channels == 3
    out = imp.transform(colour, mask=holes)
    assert out.shape == colour.shape and np.array_equal(out[~holes], colour[~holes])


def test_images_of_another_size_at_transform_are_refused(images):
    imp = AutoencoderImputer(**{**CONV, "epochs": 1}).fit(images, mask=np.zeros(images.shape, bool))
    with pytest.raises(InputError, match=r"sample shape \(1, 6, 6\).*fitted on 64 \(shape \(1, 8, 8\)\)"):
        imp.transform(images[:, :, :6, :6])


def test_conv_on_a_table_is_refused_with_the_fix():
    with pytest.raises(InputError, match=r"network='conv' fills images.*Pass network='dense'"):
        AutoencoderImputer(network="conv", **FAST).fit(with_holes(low_rank())[0])


def test_a_saved_conv_imputer_fills_bit_alike(images, tmp_path):
    holes = np.random.default_rng(0).random(images.shape) < 0.25
    imp = AutoencoderImputer(**{**CONV, "epochs": 3}).fit(images, mask=holes)
    imp.save(tmp_path / "imp")
    config, tensors = load_model(tmp_path / "imp")
    back = AutoencoderImputer._from_saved(config, tensors)
    assert back.network_ == "conv" and back.get_params() == imp.get_params()
    assert np.array_equal(back.transform(images, mask=holes), imp.transform(images, mask=holes))


def test_a_mask_of_the_wrong_shape_is_refused(images):
    with pytest.raises(InputError, match=r"mask must be a boolean array shaped like X"):
        AutoencoderImputer(**FAST).fit(images, mask=np.zeros((3, 3), bool))


# ---------------------------------------------------------------- persistence
def test_save_and_load_give_the_same_fill(fitted, tmp_path):
    imp, _, Xm, _ = fitted
    imp.save(tmp_path / "imp")
    config, tensors = load_model(tmp_path / "imp")
    back = AutoencoderImputer._from_saved(config, tensors)
    assert np.array_equal(back.transform(Xm), imp.transform(Xm))
    assert back.get_params() == imp.get_params() or np.isnan(back.missing_values)


def test_save_and_load_keep_categories_and_column_names(tmp_path):
    df = pd.DataFrame(low_rank(n=100, d=3), columns=["a", "b", "c"])
    df["k"] = pd.Categorical(np.where(df["a"] > 0, "x", "y"))
    df.loc[::4, "k"] = np.nan
    df.loc[1::5, "b"] = np.nan
    imp = AutoencoderImputer(**{**FAST, "epochs": 10}).fit(df)
    imp.save(tmp_path / "imp")
    back = AutoencoderImputer._from_saved(*load_model(tmp_path / "imp"))
    pd.testing.assert_frame_equal(back.transform(df), imp.transform(df))


# ---------------------------------------------------------------- bad input
def test_an_all_missing_column_is_refused_with_the_fix():
    Xm, _ = with_holes(low_rank())
    Xm[:, 3] = np.nan
    with pytest.raises(InputError, match=r"column 3 .*no observed value.*keep_empty_features=True"):
        AutoencoderImputer(**FAST).fit(Xm)
    out = AutoencoderImputer(**{**FAST, "epochs": 5}, keep_empty_features=True).fit_transform(Xm)
    assert np.all(out[:, 3] == 0.0) and np.isfinite(out).all()


def test_text_columns_without_a_declaration_are_refused_naming_them():
    df = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "city": ["x", "y", "x", None]})
    with pytest.raises(InputError, match=r"non-numeric column 'city'.*categorical_columns=\['city'\]"):
        AutoencoderImputer(**FAST).fit(df)


def test_a_different_column_set_at_transform_is_refused(fitted):
    _, _, Xm, _ = fitted
    df = pd.DataFrame(Xm, columns=[f"c{i}" for i in range(Xm.shape[1])])
    imp = AutoencoderImputer(**{**FAST, "epochs": 2}).fit(df)
    with pytest.raises(InputError, match=r"missing \['c7'\]; unexpected \['z'\]"):
        imp.transform(df.rename(columns={"c7": "z"}))
    with pytest.raises(InputError, match=r"X has 7 features.*fitted on 8"):
        AutoencoderImputer(**{**FAST, "epochs": 2}).fit(Xm).transform(Xm[:, :7])


def test_unknown_categorical_column_names_are_refused():
    with pytest.raises(InputError, match=r"categorical_columns names \['nope'\]"):
        AutoencoderImputer(categorical_columns=["nope"], **FAST).fit(pd.DataFrame({"a": [1.0, np.nan, 3.0]}))


@pytest.mark.parametrize("param, value, pattern", [
    ("drop_rate", 1.0, r"drop_rate must be a finite number in \(0.0, 1.0\)"),
    ("hidden", (0,), r"hidden must be a tuple of ints >= 1"),
    ("scale", "zscore", r"scale must be one of 'standard', 'robust', 'minmax'"),
    ("epochs", 0, r"epochs must be an int >= 1"),
    ("blend", "yes", r"blend must be True or False"),
    ("holdout", 0.7, r"holdout must be a finite number in \(0.0, 0.5\]"),
    ("network", "unet", r"network must be one of 'auto', 'dense', 'conv'"),
    ("conv_channels", (), r"conv_channels must be a tuple of ints >= 1"),
])
def test_bad_parameters_are_refused_in_fit(param, value, pattern):
    with pytest.raises(InputError, match=pattern):
        AutoencoderImputer(**{**FAST, param: value}).fit(low_rank(n=20))


def test_a_custom_missing_value_marker():
    X = low_rank(n=100).round(3)
    Xm, mask = with_holes(X)
    Xm[mask] = -999.0
    out = AutoencoderImputer(**{**FAST, "epochs": 20}, missing_values=-999.0).fit_transform(Xm)
    assert not np.any(out == -999.0) and np.array_equal(out[~mask], X[~mask])


# ---------------------------------------------------------------- the self-validated blend
def test_simplex_weights_are_the_constrained_least_squares_fit():
    r = np.random.default_rng(0)
    preds = r.normal(size=(300, 3))
    w = simplex_weights(preds, preds @ np.array([0.2, 0.5, 0.3]))
    np.testing.assert_allclose(w, [0.2, 0.5, 0.3], atol=1e-9)
    # a target outside the candidates' hull: the best vertex, not a negative weight
    w = simplex_weights(preds, 3 * preds[:, 1])
    np.testing.assert_allclose(w, [0.0, 1.0, 0.0])
    assert simplex_weights(np.zeros((0, 2)), np.zeros(0)).tolist() == [0.5, 0.5]


def test_the_blend_leans_on_the_linear_candidate_for_linear_data_and_never_loses_on_held_out_entries():
    X = low_rank(n=400, d=8)  # exactly rank 2: the Gaussian's conditional mean is the truth
    Xm, mask = with_holes(X)
    imp = AutoencoderImputer(**{**FAST, "epochs": 30}).fit(Xm)
    assert imp.blend_candidates_ == ["network", "gaussian", "knn"]
    w = imp.blend_weight_
    assert w.shape == (8, 3) and np.allclose(w.sum(1), 1) and (w >= 0).all()
    assert w[:, 1].mean() > 0.8, w
    v = imp.validation_rmse_
    assert v["blend"] <= min(v["network"], v["gaussian"], v["knn"]) + 1e-12 and v["entries"] > 100
    alone = AutoencoderImputer(**{**FAST, "epochs": 30}, blend=False).fit(Xm)
    assert alone.blend_candidates_ == ["network"] and alone.validation_rmse_ is None
    assert rmse(imp.transform(Xm)[mask], X[mask]) < 0.5 * rmse(alone.transform(Xm)[mask], X[mask])


def test_held_out_entries_do_not_line_up_with_holes_drawn_with_the_same_seed():
    # Holes drawn by np.random.default_rng(0) (as a benchmark does) and random_state=0: the
    # held-out draw must not reuse that stream, or nothing observed is left to hold out.
    X = low_rank(n=300)
    mask = np.random.default_rng(0).random(X.shape) < 0.2
    imp = AutoencoderImputer(**{**FAST, "epochs": 5}).fit(np.where(mask, np.nan, X))
    assert imp.validation_rmse_ is not None and imp.validation_rmse_["entries"] > 100


def test_images_are_scaled_as_a_whole(images):
    holes = np.random.default_rng(0).random(images.shape) < 0.25
    imp = AutoencoderImputer(**{**FAST, "epochs": 2}).fit(images, mask=holes)
    assert np.ptp(imp.scale_) == 0 and np.ptp(imp.center_) == 0  # one unit for every pixel
    assert imp.scale_[0] > 0.3  # the spread of all pixels, not of a near-constant one


def test_wide_inputs_skip_the_table_candidates():
    X, _ = with_holes(np.random.default_rng(0).normal(size=(40, 300)))
    imp = AutoencoderImputer(hidden=(8,), epochs=1, random_state=0).fit(X)
    assert imp.blend_candidates_ == ["network"]  # 300 > 256 columns: the Gaussian's k^3 per row is too dear


def test_gaussian_conditional_mean_matches_the_formula_row_by_row():
    r = np.random.default_rng(0)
    n, k = 60, 5
    X = r.normal(size=(n, 2)) @ r.normal(size=(2, k)) + 0.3 * r.normal(size=(n, k))
    obs = r.random((n, k)) > 0.3
    obs[0] = False  # a row with nothing observed gets the mean
    mu, cov = X.mean(0), np.cov(X, rowvar=False)
    out = conditional_mean(X, obs, mu, cov)
    for i in range(n):
        o, m = obs[i], ~obs[i]
        want = mu[m] if not o.any() else mu[m] + (X[i, o] - mu[o]) @ np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)])
        np.testing.assert_allclose(out[i, m], want, atol=1e-10)
        assert np.array_equal(out[i, o], X[i, o])


def test_gaussian_em_on_complete_data_is_the_sample_covariance_plus_the_ridge():
    X = np.random.default_rng(1).normal(size=(500, 4))
    mu, cov = fit_gaussian(X, np.ones(X.shape, bool), ridge=0.01)
    np.testing.assert_allclose(mu, X.mean(0))
    np.testing.assert_allclose(cov, np.cov(X, rowvar=False, bias=True) + 0.01 * np.eye(4), atol=1e-12)
