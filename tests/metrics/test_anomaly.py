"""Thresholds, conformal p-values, AUC wrappers, window -> time-step mapping and events."""

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics.anomaly import (benjamini_hochberg, check_contamination, conformal_p_values,
                                   contamination_threshold, events, mad_threshold, pr_auc, roc_auc,
                                   window_to_timestep)


def test_contamination_threshold_flags_that_share():
    s = np.random.default_rng(0).normal(size=10_000)
    t = contamination_threshold(s, 0.05)
    assert np.mean(s > t) == pytest.approx(0.05, abs=1e-3)


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 0.51, 1, float("nan"), True, "0.1"])
def test_contamination_outside_range_is_refused(bad):
    with pytest.raises(InputError, match=r"contamination must be .*\(0, 0\.5\]"):
        check_contamination(bad)


def test_mad_threshold_is_robust_to_outliers():
    s = np.random.default_rng(0).normal(size=1000)
    clean = mad_threshold(s, 3.0)
    assert clean == pytest.approx(3.0, abs=0.3)  # 1.4826 * MAD estimates sigma = 1
    dirty = mad_threshold(np.concatenate([s, np.full(50, 1e6)]), 3.0)
    assert abs(dirty - clean) < 0.3


def test_mad_threshold_with_tied_scores_is_finite():
    assert np.isfinite(mad_threshold(np.r_[np.zeros(90), np.ones(10)], 3.0))


def test_conformal_p_values_formula():
    cal = np.array([1.0, 2.0, 3.0, 4.0])
    p = conformal_p_values([0.0, 2.0, 2.5, 4.0, 9.0], cal)
    np.testing.assert_allclose(p, [5 / 5, 4 / 5, 3 / 5, 2 / 5, 1 / 5])


def test_conformal_false_alarm_rate_is_at_most_alpha():
    # Clean test points exchangeable with the calibration set: over 200 draws the mean
    # false-alarm rate at alpha stays within alpha + 3 standard errors.
    rng = np.random.default_rng(0)
    alpha, rates = 0.1, []
    for _ in range(200):
        cal, test = rng.normal(size=200), rng.normal(size=200)
        rates.append(np.mean(conformal_p_values(test, cal) < alpha))
    rates = np.asarray(rates)
    assert rates.mean() <= alpha + 3 * rates.std(ddof=1) / np.sqrt(len(rates))


def test_conformal_p_values_refuse_empty_calibration():
    with pytest.raises(InputError, match="calibration_scores is empty"):
        conformal_p_values([1.0], [])


def test_benjamini_hochberg_step_up():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    # BH at 0.05: largest k with p_(k) <= 0.05 k / 10 is k = 2 (0.008 <= 0.01; 0.039 > 0.015).
    np.testing.assert_array_equal(benjamini_hochberg(p, 0.05), [True, True] + [False] * 8)
    assert benjamini_hochberg(p[::-1], 0.05)[::-1].tolist() == [True, True] + [False] * 8


def test_benjamini_hochberg_refuses_bad_alpha():
    with pytest.raises(InputError, match=r"alpha must be a level in \(0, 1\)"):
        benjamini_hochberg([0.1], 1.5)


def test_auc_wrappers():
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert pr_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    with pytest.raises(InputError, match="needs both classes"):
        roc_auc([0, 0], [0.1, 0.2])
    with pytest.raises(InputError, match="3 labels but scores has 2"):
        roc_auc([0, 1, 1], [0.1, 0.2])


def test_window_to_timestep_mean_by_hand():
    # T = 5, window 3, stride 1: windows cover [0-2], [1-3], [2-4].
    out = window_to_timestep([3.0, 6.0, 9.0], 5, 3, 1)
    np.testing.assert_allclose(out, [3.0, 4.5, 6.0, 7.5, 9.0])
    np.testing.assert_allclose(window_to_timestep([3.0, 6.0, 9.0], 5, 3, 1, reduce="max"), [3, 6, 9, 9, 9])


def test_window_to_timestep_with_stride_fills_the_tail():
    # T = 8, window 4, stride 3: windows at 0 and 3 cover steps 0..6; step 7 takes the last window.
    out = window_to_timestep([1.0, 2.0], 8, 4, 3)
    np.testing.assert_allclose(out, [1, 1, 1, 1.5, 2, 2, 2, 2])


def test_window_to_timestep_matches_brute_force():
    rng = np.random.default_rng(1)
    T, w, st = 50, 7, 2
    n = 1 + (T - w) // st
    scores = rng.random(n)
    cover = [[scores[i] for i in range(n) if i * st <= t < i * st + w] for t in range(T)]
    expected = [np.mean(c) if c else scores[-1] for c in cover]
    np.testing.assert_allclose(window_to_timestep(scores, T, w, st), expected)


def test_window_to_timestep_refuses_wrong_count():
    with pytest.raises(InputError, match="3 windows expected"):
        window_to_timestep([1.0, 2.0], 5, 3, 1)


def test_events_runs_peaks_and_gap_merging():
    s = np.array([0, 5, 6, 0, 0, 9, 0, 7, 0.0])
    ev = events(s, 1.0)
    assert [(e.start, e.end, e.peak, e.peak_score) for e in ev] == [(1, 2, 2, 6.0), (5, 5, 5, 9.0), (7, 7, 7, 7.0)]
    merged = events(s, 1.0, min_gap=1)
    assert [(e.start, e.end, e.peak, e.length) for e in merged] == [(1, 2, 2, 2), (5, 7, 5, 3)]
    assert events(np.zeros(4), 1.0) == []


def test_an_events_peak_is_the_middle_of_a_tied_top():
    """With a step scored by the max of its windows, the worst window's steps all tie at the
    top: the peak is that window's centre, not its first step."""
    s = np.zeros(40)
    s[10:30] = 2.0
    s[14:24] = 5.0  # one window of 10 steps, the worst
    (ev,) = events(s, 1.0)
    assert (ev.start, ev.end, ev.peak, ev.peak_score) == (10, 29, 18, 5.0)
    s[20] = 6.0  # a single highest step is the peak, ties or not
    assert events(s, 1.0)[0].peak == 20


def test_scores_with_nan_are_refused():
    with pytest.raises(InputError, match="NaN or infinite"):
        contamination_threshold([1.0, np.nan], 0.1)
