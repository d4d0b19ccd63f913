"""AnomalyDetector: the PyOD/scikit-learn contract, each score kind, thresholds, series, images, files."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aekit.errors import InputError, NotFittedError
from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.detector import AnomalyDetector
from aekit.estimators.sequence import SequenceAutoencoder
from aekit.estimators.vae import VariationalAutoencoder
from aekit.io.model_file import load_model

FAST = dict(n_estimators=3, epochs=15, random_state=0)


def _table(seed=0, n=300, d=6, n_out=15, on_plane=False):
    """Rows near one plane (rank 3 + noise; the plane is the same for every seed) and
    ``n_out`` outliers: off the plane and far from it, or (``on_plane``) on it, far out."""
    W = np.random.default_rng(0).normal(size=(3, d))
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 3))
    if on_plane:
        Z[:n_out] = 5.0 * Z[:n_out] / np.linalg.norm(Z[:n_out], axis=1, keepdims=True)
    X = Z @ W + 0.1 * rng.normal(size=(n, d))
    if not on_plane:
        X[:n_out] += rng.choice([-4.0, 4.0], size=(n_out, d))
    y = np.zeros(n, dtype=int)
    y[:n_out] = 1
    order = rng.permutation(n)
    return X[order].astype(np.float32), y[order]


@pytest.fixture(scope="module")
def table():
    return _table()


@pytest.fixture(scope="module")
def fitted(table):
    return AnomalyDetector(**FAST).fit(table[0])


def test_pyod_vocabulary_and_sklearn_signs(fitted, table):
    X, _ = table
    assert fitted.decision_scores_.shape == (len(X),) and fitted.labels_.shape == (len(X),)
    assert set(np.unique(fitted.labels_)) <= {0, 1}
    assert fitted.labels_.mean() == pytest.approx(0.1, abs=0.01)
    np.testing.assert_allclose(fitted.decision_function(X), fitted.decision_scores_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fitted.score_samples(X), -fitted.decision_function(X))
    np.testing.assert_array_equal(fitted.predict(X), (fitted.decision_function(X) > fitted.threshold_).astype(int))
    assert fitted.n_features_in_ == X.shape[1]
    assert fitted.score(X) == pytest.approx(float(np.mean(fitted.score_samples(X))))  # GridSearchCV's default


def test_init_stores_params_only_and_clone_is_unfitted(fitted):
    det = AnomalyDetector(contamination=7.0)  # invalid, but only fit validates
    assert det.get_params()["contamination"] == 7.0
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "threshold_")
    with pytest.raises(NotFittedError, match="not fitted"):
        copy.decision_function(np.zeros((2, 6)))


def test_in_a_pipeline_with_standard_scaler(table):
    X, y = table
    pipe = make_pipeline(StandardScaler(), AnomalyDetector(**FAST)).fit(X)
    assert roc_auc_score(y, pipe.decision_function(X)) > 0.9
    assert pipe.predict(X).sum() == pytest.approx(0.1 * len(X), abs=2)


def test_grid_search_with_a_scorer(table):
    X, y = table
    scorer = make_scorer(roc_auc_score, response_method="decision_function")
    search = GridSearchCV(AnomalyDetector(**FAST), {"trim": [0.0, 0.1]}, scoring=scorer, cv=2).fit(X, y)
    assert search.best_params_["trim"] in (0.0, 0.1) and search.best_score_ > 0.85


# Floors: measured AUCs (training rows, then new rows) were ensemble 1.00/1.00,
# reconstruction 1.00/1.00, elbo 1.00/1.00 on off-plane outliers and knn 0.86/0.85 on on-plane ones
# (distance in code space cannot see what the encoder projects away); the floors leave margin.
@pytest.mark.parametrize("method", ["ensemble", "reconstruction", "elbo", "knn"])
def test_each_score_kind_separates_planted_outliers(method):
    X, y = _table(on_plane=method == "knn")
    floor = 0.75 if method == "knn" else 0.95
    det = AnomalyDetector(method=method, **FAST).fit(X)
    assert roc_auc_score(y, det.decision_scores_) > floor
    Xn, yn = _table(seed=1, on_plane=method == "knn")
    assert roc_auc_score(yn, -det.score_samples(Xn)) > floor


def test_wraps_a_fitted_autoencoder_without_refitting(table):
    X, y = table
    ae = Autoencoder(3, hidden=(16,), epochs=30, random_state=0).fit(X)
    det = AnomalyDetector(autoencoder=ae).fit(X)
    assert det.models_[0] is ae
    np.testing.assert_allclose(det.decision_function(X), -ae.score_samples(X), rtol=1e-6)
    assert roc_auc_score(y, det.decision_scores_) > 0.85


def test_wraps_a_vae_with_the_negative_elbo(table):
    X, _ = table
    vae = VariationalAutoencoder(3, hidden=(16,), likelihood="gaussian", scale="standard", epochs=5,
                                 random_state=0).fit(X)
    det = AnomalyDetector(autoencoder=vae, method="elbo").fit(X)
    np.testing.assert_allclose(det.decision_function(X[:20]), -vae.score_samples(X[:20]), rtol=1e-6)


def test_an_unfitted_autoencoder_is_fitted_on_a_copy(table):
    X, _ = table
    ae = Autoencoder(3, hidden=(16,), epochs=5, random_state=0)
    det = AnomalyDetector(autoencoder=ae, method="knn", n_neighbors=3).fit(X)
    assert not hasattr(ae, "module_") and det.models_[0] is not ae
    assert det.decision_scores_.shape == (len(X),)


def test_conformal_false_alarm_rate_on_clean_data_is_at_most_alpha():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 6))
    clean = lambda n: (rng.normal(size=(n, 3)) @ W + 0.1 * rng.normal(size=(n, 6))).astype(np.float32)  # noqa: E731
    det = AnomalyDetector(**FAST).fit(clean(300))
    pool = clean(2000)
    pool_scores = det.decision_function(pool)
    alpha, rates = 0.1, []
    for _ in range(200):
        order = rng.permutation(len(pool))
        cal, test = order[:200], order[200:400]
        det.calibration_scores_ = np.sort(pool_scores[cal])
        rates.append(np.mean(det.p_values(pool[test]) < alpha))
    rates = np.asarray(rates)
    assert rates.mean() <= alpha + 3 * rates.std(ddof=1) / np.sqrt(len(rates))


def test_calibrate_p_values_and_alpha_predictions(fitted, table):
    X, y = table
    Xc, _ = _table(seed=0, n=1000, n_out=0)  # BH needs p-values down to ~1/1000 here
    det = clone(fitted).fit(X, calibration=Xc)
    p = det.p_values(X)
    assert p.min() >= 1 / (len(Xc) + 1) and p.max() <= 1
    np.testing.assert_array_equal(det.predict(X, alpha=0.05), (p < 0.05).astype(int))
    flagged = det.predict(X, alpha=0.05, fdr=True)
    assert flagged[y == 1].mean() > 0.5 and flagged[y == 0].mean() < 0.05


def test_p_values_need_calibration(fitted, table):
    with pytest.raises(NotFittedError, match="calibrate"):
        fitted.p_values(table[0])


def test_mad_threshold_needs_no_contamination(table):
    X, y = table
    det = AnomalyDetector(threshold="mad", **FAST).fit(X)
    assert det.labels_[y == 1].mean() > 0.5 and det.labels_[y == 0].mean() < 0.1


def _series(T=600, spike=(400, 410)):
    t = np.arange(T)
    s = np.stack([np.sin(2 * np.pi * t / 25), np.cos(2 * np.pi * t / 25)], axis=1)
    s = s + 0.05 * np.random.default_rng(0).normal(size=s.shape)
    s[spike[0]:spike[1]] += 3.0
    return s.astype(np.float32)


def test_series_scores_every_time_step_and_finds_the_event():
    s = _series()
    det = AnomalyDetector(window=20, stride=2, contamination=0.05, **FAST).fit(s)
    steps = det.score_timesteps(s)
    assert steps.shape == (len(s),)
    assert 390 <= int(np.argmax(steps)) <= 420
    evs = det.events(s)
    assert any(e.start <= 405 <= e.end for e in evs)


def test_series_with_a_sequence_autoencoder():
    s = _series(T=300, spike=(200, 205))
    seq = SequenceAutoencoder(4, hidden_size=8, epochs=2, random_state=0).fit(
        np.lib.stride_tricks.sliding_window_view(s, 16, axis=0).transpose(0, 2, 1))
    det = AnomalyDetector(autoencoder=seq, window=16, stride=4).fit(s)
    assert det.decision_scores_.shape == (300,) and np.isfinite(det.decision_scores_).all()


def test_images_through_a_conv_model():
    rng = np.random.default_rng(0)
    normal = (rng.random((120, 8, 8)) * 0.2).astype(np.float32)
    normal[:, 2:6, 2:6] += 0.7  # a bright square
    odd = (rng.random((10, 8, 8)) * 0.2).astype(np.float32)
    odd[:, :, :2] += 0.7  # a bright border strip instead
    ae = Autoencoder(4, model="conv", channels=(4,), epochs=20, random_state=0).fit(normal)
    det = AnomalyDetector(autoencoder=ae).fit(normal)
    X = np.concatenate([normal[:30], odd])
    assert roc_auc_score(np.r_[np.zeros(30), np.ones(10)], det.decision_function(X)) > 0.9
    own = AnomalyDetector(method="reconstruction", epochs=20, random_state=0).fit(normal[:, None])
    assert roc_auc_score(np.r_[np.zeros(30), np.ones(10)], own.decision_function(X[:, None])) > 0.9


@pytest.mark.parametrize("kwargs", [dict(FAST), dict(method="knn", **FAST)])
def test_save_load_round_trip_gives_identical_scores(tmp_path, table, kwargs):
    X, _ = table
    det = AnomalyDetector(**kwargs).fit(X, calibration=X[50:150])
    det.save(tmp_path / "det")
    back = AnomalyDetector._from_saved(*load_model(tmp_path / "det"))
    np.testing.assert_array_equal(back.decision_function(X), det.decision_function(X))
    np.testing.assert_array_equal(back.p_values(X), det.p_values(X))
    assert back.threshold_ == det.threshold_ and back.get_params() == det.get_params()


def test_save_load_wrapped_model(tmp_path, table):
    X, _ = table
    ae = Autoencoder(3, hidden=(16,), epochs=3, random_state=0).fit(X)
    det = AnomalyDetector(autoencoder=ae).fit(X)
    det.save(tmp_path / "det")
    back = AnomalyDetector._from_saved(*load_model(tmp_path / "det"))
    np.testing.assert_array_equal(back.decision_function(X), det.decision_function(X))
    assert isinstance(back.autoencoder, Autoencoder)


def test_same_seed_same_scores(table, fitted):
    again = AnomalyDetector(**FAST).fit(table[0])
    np.testing.assert_array_equal(again.decision_scores_, fitted.decision_scores_)


def test_global_rng_untouched(table):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    AnomalyDetector(n_estimators=1, epochs=1, random_state=0).fit(table[0])
    assert torch.rand(1) == expected


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("value, word", [(np.nan, "NaN"), (np.inf, "infinite")])
def test_nan_and_inf_are_refused_with_the_fix(table, value, word):
    X = table[0].copy()
    X[17, 2] = value
    with pytest.raises(InputError, match=rf"{word}.*row 17.*(impute|fill)"):
        AnomalyDetector(**FAST).fit(X)


def test_other_feature_count_is_refused(fitted):
    with pytest.raises(InputError, match=r"X has 4 features.*expecting 6.*same columns"):
        fitted.decision_function(np.zeros((3, 4)))


def test_constant_columns_give_finite_scores(table):
    X = table[0].copy()
    X[:, 1] = 5.0
    X[:, 4] = 0.0
    det = AnomalyDetector(**FAST).fit(X)
    assert np.isfinite(det.decision_scores_).all()
    Xt = X[:5].copy()
    Xt[:, 1] = 7.0  # a constant column that moves is an anomaly, not a division by zero
    scores = det.decision_function(Xt)
    assert np.isfinite(scores).all() and (scores > det.decision_function(X[:5])).all()


def test_series_shorter_than_the_window_is_refused():
    det = AnomalyDetector(window=50, **FAST)
    with pytest.raises(InputError, match=r"30 time steps, fewer than window=50.*smaller window"):
        det.fit(np.zeros((30, 2)))


@pytest.mark.parametrize("bad", [0.0, -0.1, 0.6, 1.0])
def test_contamination_outside_range_is_refused(table, bad):
    with pytest.raises(InputError, match=r"contamination must be .*\(0, 0\.5\]"):
        AnomalyDetector(contamination=bad).fit(table[0])


@pytest.mark.parametrize("empty", [np.zeros((0, 6)), [], None])
def test_empty_calibration_set_is_refused(fitted, empty):
    with pytest.raises(InputError, match="calibration set is empty"):
        fitted.calibrate(empty)


def test_bad_autoencoder_and_score_combinations_are_refused(table):
    X = table[0]
    with pytest.raises(InputError, match="autoencoder must be an aekit"):
        AnomalyDetector(autoencoder=StandardScaler()).fit(X)
    with pytest.raises(InputError, match="method='ensemble' trains its own"):
        AnomalyDetector(autoencoder=Autoencoder(), method="ensemble").fit(X)
    with pytest.raises(InputError, match="method='elbo' needs a VariationalAutoencoder"):
        AnomalyDetector(autoencoder=Autoencoder(), method="elbo").fit(X)
    with pytest.raises(InputError, match="method must be one of"):
        AnomalyDetector(method="lof").fit(X)


def test_aekit_load_returns_the_detector(tmp_path, table, monkeypatch):
    from aekit.estimators.persistence import ESTIMATORS, load

    monkeypatch.setitem(ESTIMATORS, "AnomalyDetector", AnomalyDetector)  # a no-op once it is registered
    X, _ = table
    det = AnomalyDetector(**FAST).fit(X)
    det.save(tmp_path / "det")
    back = load(tmp_path / "det")
    assert isinstance(back, AnomalyDetector)
    np.testing.assert_array_equal(back.decision_function(X), det.decision_function(X))


def test_the_knn_half_mixes_distance_into_the_ensemble_on_tables(table):
    from sklearn.neighbors import NearestNeighbors

    X, y = table
    new = X[:20] + 0.5 * np.random.default_rng(3).normal(size=(20, X.shape[1])).astype(np.float32)
    alone = AnomalyDetector(knn_weight=0.0, **FAST).fit(X)
    mixed = AnomalyDetector(**FAST).fit(X)  # the same members (same seed), plus the k-NN half
    assert alone.knn_weight_ == 0.0 and mixed.knn_weight_ == 0.5
    # the k-NN score: log mean distance to the 10 nearest training rows (robust-scaled), put on its training scale
    Z = (X - mixed.center_) / mixed.spread_
    d = NearestNeighbors().fit(Z).kneighbors((new - mixed.center_) / mixed.spread_, 10)[0].mean(axis=1)
    e_c, e_s, k_c, k_s = mixed.knn_scale_
    expected = 0.5 * (alone.decision_function(new) - e_c) / e_s + 0.5 * (np.log(d) - k_c) / k_s
    np.testing.assert_allclose(mixed.decision_function(new), expected, rtol=1e-4, atol=1e-5)
    # its training scale is leave-one-out: the median of the standardised training k-NN scores is 0
    only = AnomalyDetector(knn_weight=1.0, **FAST).fit(X)
    assert abs(np.median(only.decision_scores_)) < 1e-9
    assert roc_auc_score(y, only.decision_scores_) > 0.95


def test_series_windows_use_the_autoencoders_alone_and_take_the_max_by_default():
    series = np.sin(np.arange(200) / 5.0)[:, None].astype(np.float32)
    det = AnomalyDetector(window=10, **FAST).fit(series)
    assert det.knn_weight_ == 0.0 and det.reduce == "max"
    assert AnomalyDetector(window=10, knn_weight=0.5, **FAST).fit(series).knn_weight_ == 0.5
    # a step's score is the max over the windows covering it
    mean = AnomalyDetector(window=10, reduce="mean", **FAST).fit(series)
    assert (det.decision_scores_ >= mean.decision_scores_ - 1e-9).all()


def test_the_series_default_flags_an_outage_that_the_knn_distance_misses():
    """A stretch held flat below the series' usual range (a stopped service): its flat
    windows are each other's nearest neighbours, so the k-NN distance calls it dense and
    normal, while the autoencoders (the series default) reconstruct it badly."""
    rng = np.random.default_rng(2)
    t = np.arange(1500)
    s = np.sin(2 * np.pi * t / 100) + 0.1 * rng.normal(size=len(t))
    s[1000:1120] = -1.8 + 0.01 * rng.normal(size=120)  # 8% of the series
    y = np.zeros(len(t), dtype=int)
    y[1000:1120] = 1
    default = AnomalyDetector(window=20, random_state=0).fit(s.astype(np.float32))
    knn = AnomalyDetector(window=20, knn_weight=1.0, random_state=0).fit(s.astype(np.float32))
    assert roc_auc_score(y, default.decision_scores_) > 0.9
    assert roc_auc_score(y, default.decision_scores_) > roc_auc_score(y, knn.decision_scores_) + 0.2


def test_the_series_default_separates_a_planted_anomaly():
    """A flat stretch in a noisy cycle (no value out of range, so only the shape betrays it)."""
    rng = np.random.default_rng(1)
    t = np.arange(1200)
    s = np.sin(2 * np.pi * t / 100) + 0.1 * rng.normal(size=len(t))
    s[800:860] = s[800] + 0.1 * rng.normal(size=60)
    det = AnomalyDetector(window=20, random_state=0).fit(s.astype(np.float32))  # the defaults
    scores = det.decision_scores_
    # the max over covering windows lifts every step of a window that touches the stretch
    near = np.zeros(len(t), dtype=int)
    near[800 - 19:860 + 19] = 1
    assert roc_auc_score(near, scores) > 0.9
    top = np.argsort(scores)[-60:]  # as many steps as the stretch has
    assert 800 - 19 <= int(np.argmax(scores)) < 860 + 19
    assert ((top >= 800 - 19) & (top < 860 + 19)).mean() >= 0.5  # 0.67 measured: a noise blip near 700 scores too
    assert any(e.start < 860 and e.end >= 800 for e in det.events(s.astype(np.float32)))


def test_a_contamination_below_one_window_still_flags_the_top_steps():
    """With the max over windows every step of the worst window ties at the top score; a
    quantile inside that tie must flag the tie, not nothing."""
    s = _series()
    det = AnomalyDetector(window=20, contamination=0.01, **FAST).fit(s)  # 6 of 600 steps < one window
    top = det.decision_scores_.max()
    assert (det.decision_scores_ == top).sum() > 6
    assert det.labels_[det.decision_scores_ == top].all()
    assert any(e.start <= 405 <= e.end for e in det.events(s))


@pytest.mark.parametrize("value", [-0.1, 1.5, "half"])
def test_knn_weight_out_of_range_is_refused(table, value):
    with pytest.raises(InputError, match="knn_weight"):
        AnomalyDetector(knn_weight=value).fit(table[0])


def test_a_file_saved_before_the_knn_half_loads_without_it(tmp_path, table):
    import json

    X, _ = table
    det = AnomalyDetector(knn_weight=0.0, **FAST).fit(X)
    det.save(tmp_path / "det")
    config = json.loads((tmp_path / "det" / "config.json").read_text())
    del config["fitted"]["knn_weight"], config["params"]["knn_weight"]
    if "config_sha256" in config:  # re-signed, as the older aekit would have written it
        from aekit.io.model_file import config_digest

        config["config_sha256"] = config_digest(config)
    (tmp_path / "det" / "config.json").write_text(json.dumps(config))
    back = AnomalyDetector._from_saved(*load_model(tmp_path / "det"))
    np.testing.assert_array_equal(back.decision_function(X), det.decision_function(X))


def _level_shift_series(T=1500, shift=(900, 1100), period=300, noise=0.02):
    """A slow cycle with a long stretch shifted up: neighbouring windows nearly coincide."""
    rng = np.random.default_rng(2)
    t = np.arange(T)
    s = np.sin(2 * np.pi * t / period) + noise * rng.normal(size=T)
    s[shift[0]:shift[1]] += 1.5
    return s.astype(np.float32)


def sliding_windows_of(s, w):
    from aekit.data.windows import as_series, sliding_windows

    return sliding_windows(as_series(s), w, 1)


def test_the_knn_half_can_ignore_a_windows_own_shifted_copies():
    """On a slow series a window's nearest neighbours are the windows a step or two away;
    with an exclusion zone the k-NN distance skips them, so it can only grow, and it grows
    most where the series does not repeat (the shifted stretch)."""
    s = _level_shift_series()
    w = 20
    off = AnomalyDetector(window=w, knn_weight=1.0, **FAST).fit(s)
    assert off.knn_exclusion is None and off.knn_exclusion_ == 0
    det = AnomalyDetector(window=w, knn_weight=1.0, knn_exclusion="auto", **FAST).fit(s)
    assert det.knn_exclusion_ == w // 4
    assert AnomalyDetector(window=w, stride=2, knn_weight=1.0, knn_exclusion=10, **FAST).fit(s).knn_exclusion_ == 5
    Z = det._model_input(sliding_windows_of(s, w), None, None)
    with_zone, without = det._knn_log_distance(Z), off._knn_log_distance(Z)
    assert (with_zone >= without - 1e-9).all()  # leaving neighbours out can only lengthen the distance
    assert (with_zone > without + 1e-3).mean() > 0.5
    inside = np.arange(len(Z)) + w // 2  # window centres
    stretch = (inside >= 900) & (inside < 1100)
    assert (with_zone - without)[stretch].mean() > (with_zone - without)[~stretch].mean()


def test_with_the_exclusion_zone_a_training_series_scores_the_same_after_fit(tmp_path):
    s = _level_shift_series(T=600, shift=(300, 380))
    det = AnomalyDetector(window=16, knn_weight=0.5, knn_exclusion=8, **FAST).fit(s)
    assert det.knn_exclusion_ == 8
    np.testing.assert_allclose(det.decision_function(s), det.decision_scores_)
    det.save(tmp_path / "det")
    back = AnomalyDetector._from_saved(*load_model(tmp_path / "det"))
    assert back.knn_exclusion_ == det.knn_exclusion_
    np.testing.assert_array_equal(back.decision_function(s), det.decision_function(s))
    # a new series has no copies of its windows among the reference: its k-NN distances are
    # the plain ones, zone or not
    Z_new = det._model_input(sliding_windows_of(s + np.float32(0.01), 16), None, None)
    plain = AnomalyDetector(window=16, knn_weight=0.5, knn_exclusion=None, **FAST).fit(s)
    np.testing.assert_array_equal(det._knn_log_distance(Z_new), plain._knn_log_distance(Z_new))


@pytest.mark.parametrize("value", [-1, 2.5, "quarter", True])
def test_a_bad_knn_exclusion_is_refused(value):
    with pytest.raises(InputError, match="knn_exclusion"):
        AnomalyDetector(window=10, knn_exclusion=value).fit(np.zeros((50, 1), dtype=np.float32) + np.arange(50)[:, None])
