"""Anomaly scores to decisions: thresholds, conformal p-values, AUCs, windows to time steps.

Arrays in, floats or arrays out; no torch. Every score here is an *anomaly* score:
higher = more anomalous.

Shape:
    - scores: ``(N,)``; calibration scores: ``(n_cal,)``; p-values: ``(N,)`` in ``(0, 1]``
    - window scores ``(N_windows,)`` with ``window``, ``stride`` -> step scores ``(T,)``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from aekit.errors import InputError

#: MAD -> standard deviation of a normal distribution (1 / Phi^-1(3/4)).
_MAD_TO_SD = 1.4826


def _scores(values: ArrayLike, name: str = "scores", *, allow_empty: bool = False) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InputError(f"{name} must be 1-D (one score per sample), got shape {arr.shape}.")
    if arr.size == 0 and not allow_empty:
        raise InputError(f"{name} is empty; pass at least one score.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(f"{name} has {int(bad.sum())} NaN or infinite values (first at index "
                         f"{int(np.argmax(bad))}); scores must be finite numbers.")
    return arr


def check_contamination(contamination: float) -> float:
    """Refuse a contamination outside (0, 0.5]; return it as a float."""
    ok = isinstance(contamination, (int, float, np.integer, np.floating)) and not isinstance(contamination, bool) \
        and np.isfinite(contamination) and 0.0 < contamination <= 0.5
    if not ok:
        raise InputError(f"contamination must be a share of anomalies in (0, 0.5], got {contamination!r}. "
                         "Use e.g. 0.05 for 5%; for more than half the data 'anomalous', swap the roles "
                         "of the classes.")
    return float(contamination)


def contamination_threshold(scores: ArrayLike, contamination: float = 0.1) -> float:
    """The score above which the top ``contamination`` share of ``scores`` lies.

    The ``1 - contamination`` quantile of the (training) scores, as PyOD's ``threshold_``.

    Parameters
    ----------
    scores : array-like of shape (N,)
        Anomaly scores of the training data, higher = more anomalous.
    contamination : float, default=0.1
        Expected share of anomalies, in (0, 0.5].

    Returns
    -------
    float

    Examples
    --------
    >>> round(contamination_threshold(np.arange(100.0), 0.1), 6)
    89.1
    """
    s = _scores(scores)
    return float(np.quantile(s, 1.0 - check_contamination(contamination)))


def mad_threshold(scores: ArrayLike, k: float = 3.0) -> float:
    """Label-free threshold: ``median + k · 1.4826 · MAD`` of the scores.

    With normal-looking scores, ``k = 3`` flags about 0.1% of normal data; the median and MAD
    barely move when a minority of the scores are anomalies. When over half the scores tie
    (MAD = 0), the mean absolute deviation from the median stands in.

    Parameters
    ----------
    scores : array-like of shape (N,)
    k : float, default=3.0
        Number of robust standard deviations above the median, >= 0.

    Returns
    -------
    float
    """
    s = _scores(scores)
    if not (isinstance(k, (int, float, np.integer, np.floating)) and np.isfinite(k) and k >= 0):
        raise InputError(f"k must be a finite number >= 0, got {k!r}.")
    med = float(np.median(s))
    mad = float(np.median(np.abs(s - med)))
    if mad == 0.0:
        mad = float(np.mean(np.abs(s - med)))
    return med + float(k) * _MAD_TO_SD * mad


def conformal_p_values(scores: ArrayLike, calibration_scores: ArrayLike) -> np.ndarray:
    """Marginal conformal p-values: ``p = (1 + #{calibration >= s}) / (n_cal + 1)``.

    If the calibration scores come from clean (normal) data exchangeable with a new normal
    sample, ``P(p <= alpha) <= alpha`` for that sample: flagging ``p < alpha`` keeps the
    false-alarm rate at most ``alpha`` (Bates, Candès, Lei, Romano, Sesia, "Testing for
    outliers with conformal p-values", Annals of Statistics 2023).

    Parameters
    ----------
    scores : array-like of shape (N,)
        Anomaly scores of the samples to test, higher = more anomalous.
    calibration_scores : array-like of shape (n_cal,)
        Scores of clean samples *not used to fit* the model.

    Returns
    -------
    ndarray of shape (N,)
        In ``[1 / (n_cal + 1), 1]``; small = unlike the calibration data.

    Examples
    --------
    >>> conformal_p_values([0.5, 10.0], [1.0, 2.0, 3.0])
    array([1.  , 0.25])
    """
    s = _scores(scores, allow_empty=True)
    cal = _scores(calibration_scores, "calibration_scores", allow_empty=True)
    if cal.size == 0:
        raise InputError("calibration_scores is empty; conformal p-values need scores of at least one clean "
                         "sample (a few hundred give useful p-values: the smallest is 1 / (n_cal + 1)).")
    cal = np.sort(cal)
    n_ge = cal.size - np.searchsorted(cal, s, side="left")
    return (1.0 + n_ge) / (cal.size + 1.0)


def benjamini_hochberg(p_values: ArrayLike, alpha: float = 0.1) -> np.ndarray:
    """Which hypotheses Benjamini–Hochberg rejects at false discovery rate ``alpha``.

    Conformal p-values of one batch are positively dependent (they share the calibration
    set); BH still controls the FDR for them (Bates et al. 2023, Theorem 3).

    Parameters
    ----------
    p_values : array-like of shape (N,)
    alpha : float, default=0.1
        Target false discovery rate, in (0, 1).

    Returns
    -------
    ndarray of bool, shape (N,)
        True = rejected (flagged as anomalous).
    """
    p = _scores(p_values, "p_values", allow_empty=True)
    _check_alpha(alpha)
    n = p.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    below = p[order] <= alpha * np.arange(1, n + 1) / n
    flagged = np.zeros(n, dtype=bool)
    if below.any():
        flagged[order[: int(np.nonzero(below)[0].max()) + 1]] = True
    return flagged


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool)
            and np.isfinite(alpha) and 0.0 < alpha < 1.0):
        raise InputError(f"alpha must be a level in (0, 1), e.g. 0.05, got {alpha!r}.")


def _labels_and_scores(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).ravel()
    s = _scores(scores)
    if y.shape[0] != s.shape[0]:
        raise InputError(f"y_true has {y.shape[0]} labels but scores has {s.shape[0]}; pass one label per score.")
    if not np.isin(y, (0, 1)).all():
        raise InputError("y_true must be binary: 0 = normal, 1 = anomaly.")
    y = y.astype(int)
    if y.min() == y.max():
        raise InputError(f"y_true holds only {'anomalies' if y[0] else 'normal samples'}; an AUC needs both classes.")
    return y, s


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve of anomaly ``scores`` for labels ``y_true`` (1 = anomaly).

    0.5 = chance, 1 = every anomaly scores above every normal sample (scikit-learn's
    ``roc_auc_score``).
    """
    from sklearn.metrics import roc_auc_score

    y, s = _labels_and_scores(y_true, scores)
    return float(roc_auc_score(y, s))


def pr_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the precision–recall curve (average precision; scikit-learn's
    ``average_precision_score``). Chance level is the share of anomalies."""
    from sklearn.metrics import average_precision_score

    y, s = _labels_and_scores(y_true, scores)
    return float(average_precision_score(y, s))


def window_to_timestep(window_scores: ArrayLike, n_steps: int, window: int, stride: int = 1, *,
                       reduce: Literal["mean", "max"] = "mean") -> np.ndarray:
    """Per-time-step scores from the scores of the windows covering each step.

    Window ``i`` covers steps ``[i·stride, i·stride + window)``. A step's score is the mean
    (or max) of the scores of the windows covering it. Steps no window covers (the at most
    ``stride - 1`` trailing steps after the last full window) take the score of the last
    window.

    Parameters
    ----------
    window_scores : array-like of shape (N_windows,)
    n_steps : int
        Length T of the series the windows were cut from.
    window, stride : int
    reduce : {"mean", "max"}, default="mean"

    Returns
    -------
    ndarray of shape (n_steps,)

    Examples
    --------
    >>> window_to_timestep([1.0, 3.0], n_steps=4, window=3, stride=1)
    array([1., 2., 2., 3.])
    """
    w = _scores(window_scores, "window_scores")
    if reduce not in ("mean", "max"):
        raise InputError(f"reduce must be 'mean' or 'max', got {reduce!r}.")
    for name, v in (("n_steps", n_steps), ("window", window), ("stride", stride)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} must be an int >= 1, got {v!r}.")
    expected = 1 + (n_steps - window) // stride if n_steps >= window else 0
    if w.size != expected:
        raise InputError(f"{w.size} window scores do not fit a series of {n_steps} steps cut with window={window}, "
                         f"stride={stride} ({expected} windows expected).")
    starts = np.arange(w.size) * stride
    if reduce == "mean":
        total = np.zeros(n_steps + 1)
        count = np.zeros(n_steps + 1)
        # Difference arrays: +score at a window's start, -score one past its end.
        np.add.at(total, starts, w)
        np.add.at(total, starts + window, -w)
        np.add.at(count, starts, 1.0)
        np.add.at(count, starts + window, -1.0)
        total, count = np.cumsum(total)[:n_steps], np.cumsum(count)[:n_steps]
        out = np.divide(total, count, out=np.full(n_steps, np.nan), where=count > 0.5)
    else:
        out = np.full(n_steps, -np.inf)
        for i, s in enumerate(w):
            seg = out[starts[i]:starts[i] + window]
            np.maximum(seg, s, out=seg)
        out[np.isneginf(out)] = np.nan
    uncovered = np.isnan(out)
    out[uncovered] = w[-1]
    return out


@dataclass(frozen=True)
class Event:
    """A run of consecutive flagged time steps: ``start`` and ``end`` inclusive, with the
    step and value of its highest score."""

    start: int
    end: int
    peak: int
    peak_score: float

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def events(scores: ArrayLike, threshold: float, *, min_gap: int = 0) -> list[Event]:
    """Runs of time steps whose score exceeds ``threshold``.

    Parameters
    ----------
    scores : array-like of shape (T,)
        Per-time-step anomaly scores.
    threshold : float
        A step is flagged when its score is ``> threshold``.
    min_gap : int, default=0
        Merge two runs separated by at most this many unflagged steps.

    Returns
    -------
    list of Event
        In time order. An event's ``peak`` is the step with its highest score, the middle
        one when several steps tie for it.

    Examples
    --------
    >>> [(e.start, e.end, e.peak) for e in events([0, 5, 6, 0, 0, 9], 1.0)]
    [(1, 2, 2), (5, 5, 5)]
    >>> [e.peak for e in events([0, 2, 7, 7, 7, 7, 7, 2, 0], 1.0)]  # a tie: its middle step
    [4]
    """
    s = _scores(scores, allow_empty=True)
    if isinstance(min_gap, bool) or not isinstance(min_gap, (int, np.integer)) or min_gap < 0:
        raise InputError(f"min_gap must be an int >= 0, got {min_gap!r}.")
    flagged = np.concatenate([[False], s > threshold, [False]])
    edges = np.diff(flagged.astype(np.int8))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1
    runs: list[list[int]] = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        if runs and a - runs[-1][1] - 1 <= min_gap:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    out = []
    for a, b in runs:
        # Where several steps share the top score (a series detector that gives each step
        # the max of its windows gives every step of the worst window that score), the peak
        # is the middle one: the worst window's centre, not its first step.
        top = np.flatnonzero(s[a:b + 1] == s[a:b + 1].max())
        peak = a + int(top[(len(top) - 1) // 2])
        out.append(Event(int(a), int(b), peak, float(s[peak])))
    return out


__all__ = ["Event", "benjamini_hochberg", "check_contamination", "conformal_p_values", "contamination_threshold",
           "events", "mad_threshold", "pr_auc", "roc_auc", "window_to_timestep"]
