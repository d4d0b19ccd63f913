"""Detect anomalies: fit (or reuse) an :class:`~aekit.estimators.detector.AnomalyDetector`,
score, flag, write the evidence, and put Isolation Forest beside it when labels are known.

:func:`detect` is the work behind ``aekit detect``: tables, images, or one series with
``window=``, or a table with a time column (read as the time index: scores, plots and
events in time stamps); thresholds by contamination, or conformal p-values with ``alpha``
and a clean calibration set.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.ensemble import IsolationForest

from aekit.data.dataset import Dataset
from aekit.data.files import atomic_write_bytes
from aekit.data.windows import as_series, sliding_windows
from aekit.errors import InputError
from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.detector import AnomalyDetector
from aekit.estimators.sequence import SequenceAutoencoder
from aekit.estimators.vae import VariationalAutoencoder
from aekit.io.run_dir import create_run_dir, write_json
from aekit.metrics.anomaly import Event, pr_auc, roc_auc, window_to_timestep
from aekit.plots.anomaly import plot_score_histogram, plot_series_scores, plot_top_anomalies

#: Window of a series given without one (a table with a time column): steps per window,
#: at most a tenth of the series. Chosen once, before the NAB run of
#: ``benchmarks/bench_detect_nab.py`` (see :func:`default_window`).
DEFAULT_WINDOW = 32


def default_window(n_steps: int) -> int:
    """The window a series of ``n_steps`` steps is scored over when none is given:
    :data:`DEFAULT_WINDOW`, or a tenth of a shorter series (at least 2, at most ``n_steps``)."""
    return int(max(1, min(n_steps, max(2, min(DEFAULT_WINDOW, n_steps // 10)))))


def time_text(stamp: Any) -> str:
    """A time stamp as text: ISO date-time (to the second, or finer when it has a fraction), or the number."""
    if isinstance(stamp, np.datetime64):
        return str(pd.Timestamp(stamp).isoformat())
    return f"{stamp:g}" if isinstance(stamp, (float, np.floating)) else str(stamp)


@dataclass(frozen=True)
class DetectResult:
    """What :func:`detect` found.

    Attributes
    ----------
    scores : ndarray of shape (n,)
        Anomaly scores (higher = more anomalous), per sample, or per time step for a series.
    labels : ndarray of int, shape (n,)
        1 = flagged as anomalous.
    p_values : ndarray of shape (n,) or None
        Conformal p-values, when calibration data were given (or the detector was calibrated).
    threshold : float
        The detector's score threshold (``threshold_``; with ``alpha`` the labels come from
        the p-values instead).
    detector : AnomalyDetector
        The fitted detector (save it with ``detector.save(folder)``).
    events : tuple of Event
        Flagged runs of time steps (series only); ``start``, ``end``, ``peak`` are step
        numbers, :attr:`event_times` the same in time stamps.
    time_index : ndarray or None
        The time of each step (series read from a table with a time column).
    roc_auc, pr_auc : float or None
        Of ``scores`` against the given labels.
    baseline_roc_auc, baseline_pr_auc : float or None
        Isolation Forest (scikit-learn defaults) fitted on the same data, same labels
        (for a series: on the same windows, mapped to time steps the same way).
    fit_seconds, baseline_fit_seconds : float
        ``baseline_*`` are None when the baseline was skipped (``baseline=False``) or there
        are no labels.
    files : dict of str to Path
        What was written to ``out``.
    """

    scores: np.ndarray
    labels: np.ndarray
    p_values: np.ndarray | None
    threshold: float
    detector: AnomalyDetector
    events: tuple[Event, ...] = ()
    time_index: np.ndarray | None = None
    roc_auc: float | None = None
    pr_auc: float | None = None
    baseline_roc_auc: float | None = None
    baseline_pr_auc: float | None = None
    fit_seconds: float = 0.0
    baseline_fit_seconds: float | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(len(self.scores))

    @property
    def n_flagged(self) -> int:
        return int(self.labels.sum())

    @property
    def event_times(self) -> list[tuple[str, str, str]]:
        """Each event's (start, end, peak) as time stamps (text), or as step numbers without a time index."""
        if self.time_index is None:
            return [(str(e.start), str(e.end), str(e.peak)) for e in self.events]
        t = self.time_index
        return [(time_text(t[e.start]), time_text(t[e.end]), time_text(t[e.peak])) for e in self.events]


def _as_detector(model: Any, *, contamination: float, window: int | None, stride: int,
                 random_state: int | None) -> tuple[AnomalyDetector, bool]:
    """The detector to use and whether it is already fitted."""
    if isinstance(model, AnomalyDetector):
        return model, hasattr(model, "threshold_")
    if isinstance(model, SequenceAutoencoder) and window is None and model.window is not None:
        window, stride = int(model.window), int(model.stride)  # the windows it was trained on
    if model is None or isinstance(model, (Autoencoder, VariationalAutoencoder, SequenceAutoencoder)):
        return AnomalyDetector(model, contamination=contamination, window=window, stride=stride,
                               random_state=random_state), False
    raise InputError(f"model must be None, an AnomalyDetector or an aekit autoencoder (fitted or not), got "
                     f"{type(model).__name__}. Load a saved one with aekit.load(path).")


def _baseline(X: np.ndarray, window: int | None, stride: int, random_state: int | None,
              reduce: str = "max") -> tuple[np.ndarray, float]:
    """Isolation Forest scores (higher = more anomalous) on the same samples or windows (window
    scores mapped to steps by ``reduce``, as the detector maps its own)."""
    t0 = time.perf_counter()
    if window is None:
        flat = X.reshape(len(X), -1)
        return -IsolationForest(random_state=random_state).fit(flat).score_samples(flat), time.perf_counter() - t0
    windows = sliding_windows(X, window, stride)
    flat = windows.reshape(len(windows), -1)
    s = -IsolationForest(random_state=random_state).fit(flat).score_samples(flat)
    return (window_to_timestep(s, len(X), window, stride, reduce="mean" if reduce == "mean" else "max"),
            time.perf_counter() - t0)


def detect(data: ArrayLike | Dataset, *, model: Any = None, y: ArrayLike | None = None, contamination: float = 0.1,
           alpha: float | None = None, fdr: bool = False, calibration: ArrayLike | Dataset | None = None,
           window: int | None = None, stride: int = 1, time_index: ArrayLike | None = None,
           baseline: bool = True, out: str | os.PathLike[str] | None = None,
           overwrite: bool = False, top_k: int = 16, random_state: int | None = 0) -> DetectResult:
    """Score and flag anomalies in ``data``; write scores and pictures to ``out``.

    Parameters
    ----------
    data : array-like or Dataset
        A table (N, D), images (N, [C,] H, W), or one series (T, C) with ``window`` or a
        ``time_index``. A :class:`~aekit.data.Dataset` brings its labels along as ``y`` and
        its ``time_index`` (a table's time column) along as ``time_index``.
    model : AnomalyDetector or aekit autoencoder, optional
        A fitted detector is reused as it is; a fitted autoencoder is wrapped (its scores,
        a threshold fitted on ``data``); an unfitted one is fitted on ``data``. None: the
        default detector is fitted on ``data`` (no labels used).
    y : array-like, optional
        Ground truth (1 = anomaly), only to report ROC-AUC / PR-AUC beside Isolation
        Forest's; never used for fitting.
    contamination : float, default=0.1
        Expected share of anomalies in ``data`` (sets the threshold), in (0, 0.5].
    alpha : float, optional
        Flag ``p < alpha`` instead (conformal p-values; needs ``calibration``, or a
        calibrated detector): at most a share ``alpha`` of normal samples flagged on average.
    fdr : bool, default=False
        With ``alpha``: Benjamini–Hochberg, so at most a share ``alpha`` of the flagged are
        false alarms.
    calibration : array-like or Dataset, optional
        Clean samples (not in ``data``) for conformal p-values.
    window, stride : int
        Series mode (see :class:`AnomalyDetector`). A series given by its ``time_index``
        without a window is scored over :func:`default_window` steps (an unfitted
        ``AnomalyDetector`` without a window is copied with that window); a fitted
        ``SequenceAutoencoder`` brings its own window and stride.
    time_index : array-like of shape (T,), optional
        The time of each row (strictly increasing): ``data`` is one series, and the scores,
        the series plot and the events are in these time stamps.
    baseline : bool, default=True
        Fit Isolation Forest beside the detector when labels are given (False: skip it,
        e.g. on data too large to fit it twice).
    out : path, optional
        Folder to write ``scores.csv`` (score, label, p_value when calibrated; a
        ``timestamp`` column with a time index),
        ``score_histogram.png``, ``series.png`` (series) or ``top_anomalies.png`` (images),
        and ``detect.json`` (the numbers). Nothing is written when None.
    overwrite : bool, default=False
        Replace an earlier run in ``out``.
    top_k : int, default=16
        Images shown in ``top_anomalies.png``.
    random_state : int, optional, default=0
        Seeds the detector (when one is fitted here) and Isolation Forest.

    Returns
    -------
    DetectResult

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 5))
    >>> res = detect(X, contamination=0.05, out="runs/detect")   # doctest: +SKIP
    >>> res.n_flagged                                            # doctest: +SKIP
    25
    """
    image_shape = None
    if isinstance(data, Dataset):
        y = data.y if y is None else y
        image_shape = data.image_shape
        time_index = data.time_index if time_index is None else time_index
        data = data.X
    stamps = _time_index(time_index, data)
    if stamps is not None and window is None and not (isinstance(model, SequenceAutoencoder) and model.window):
        window = default_window(len(stamps))
        if isinstance(model, AnomalyDetector) and model.window is None and not hasattr(model, "threshold_"):
            model = clone(model).set_params(window=window, stride=stride)  # an unfitted one scores the series
    if isinstance(calibration, Dataset):
        calibration = calibration.X
    if alpha is not None and calibration is None and not (isinstance(model, AnomalyDetector)
                                                        and hasattr(model, "calibration_scores_")):
        raise InputError(f"alpha={alpha} flags by conformal p-values, which need clean calibration data: pass "
                         "calibration=X_clean (normal samples not in data), or use contamination= instead.")
    det, fitted = _as_detector(model, contamination=contamination, window=window, stride=stride,
                               random_state=random_state)
    t0 = time.perf_counter()
    if not fitted:
        det.fit(data)
    fit_seconds = time.perf_counter() - t0 if not fitted else 0.0
    if calibration is not None:
        det.calibrate(calibration)
    scores = det.decision_function(data)
    p = det.p_values(data) if hasattr(det, "calibration_scores_") else None
    labels = det.predict(data, alpha=alpha, fdr=fdr) if alpha is not None else (scores > det.threshold_).astype(int)
    series_mode = det.window is not None
    evs: tuple[Event, ...] = ()
    if series_mode:
        from aekit.metrics.anomaly import events as find_events

        evs = tuple(find_events(np.where(labels == 1, 1.0, 0.0), 0.5))
        evs = tuple(Event(e.start, e.end, e.start + int(np.argmax(scores[e.start:e.end + 1])),
                          float(scores[e.start:e.end + 1].max())) for e in evs)
    metrics: dict[str, Any] = {}
    base_roc = base_pr = base_s = None
    if y is not None:
        yv = np.asarray(y).astype(int).ravel()
        metrics.update(roc_auc=roc_auc(yv, scores), pr_auc=pr_auc(yv, scores))
        if baseline:
            raw = as_series(data) if series_mode else np.asarray(data, dtype=np.float32)
            base, base_s = _baseline(raw, det.window, int(det.stride), random_state, det.reduce)
            base_roc, base_pr = roc_auc(yv, base), pr_auc(yv, base)
    files: dict[str, Path] = {}
    if out is not None:
        folder = create_run_dir(out, overwrite=overwrite)
        table: dict[str, Any] = {} if stamps is None else {"timestamp": stamps}
        table.update(score=scores, label=labels)
        if p is not None:
            table["p_value"] = p
        buf = pd.DataFrame(table).to_csv(index_label="step" if series_mode else "index")
        atomic_write_bytes(folder / "scores.csv", buf.encode("utf-8"))
        files["scores"] = folder / "scores.csv"
        files["histogram"] = plot_score_histogram(
            scores, folder / "score_histogram.png", threshold=det.threshold_,
            labels=None if y is None else np.asarray(y).astype(int).ravel(),
            title=f"Anomaly scores: {int(labels.sum())} of {len(scores)} flagged")
        if series_mode:
            files["series"] = plot_series_scores(as_series(data), scores, folder / "series.png", time=stamps,
                                                 threshold=det.threshold_, events=evs)
        elif np.ndim(data) >= 3 or image_shape is not None:
            files["top_anomalies"] = plot_top_anomalies(np.asarray(data), scores, folder / "top_anomalies.png",
                                                        k=top_k, image_shape=image_shape)
        files["summary"] = write_json(folder / "detect.json", {
            "n_samples": len(scores), "n_flagged": int(labels.sum()), "threshold": det.threshold_,
            "rule": (f"p < {alpha}" if not fdr else f"Benjamini-Hochberg at {alpha}") if alpha is not None
            else f"score > threshold (contamination {det.contamination})",
            "method": det.method_, "fit_seconds": fit_seconds, **metrics,
            "isolation_forest": None if base_roc is None else {"roc_auc": base_roc, "pr_auc": base_pr,
                                                               "fit_seconds": base_s},
            "window": det.window, "stride": det.stride if series_mode else None,
            "events": [{"start": e.start, "end": e.end, "peak": e.peak, "peak_score": e.peak_score,
                        **({} if stamps is None else {"start_time": time_text(stamps[e.start]),
                                                      "end_time": time_text(stamps[e.end]),
                                                      "peak_time": time_text(stamps[e.peak])})} for e in evs]})
    return DetectResult(scores=scores, labels=labels, p_values=p, threshold=float(det.threshold_), detector=det,
                        events=evs, time_index=stamps, roc_auc=metrics.get("roc_auc"), pr_auc=metrics.get("pr_auc"),
                        baseline_roc_auc=base_roc, baseline_pr_auc=base_pr, fit_seconds=fit_seconds,
                        baseline_fit_seconds=base_s, files=files)


def _time_index(time_index: ArrayLike | None, data: Any) -> np.ndarray | None:
    """The time index as an array, one stamp per row of ``data``, strictly increasing; or None."""
    if time_index is None:
        return None
    t = np.asarray(time_index)
    if t.ndim != 1 or len(t) != len(data):
        raise InputError(f"time_index has shape {t.shape}; it needs one time stamp per row of the series "
                         f"({len(data)},).")
    if t.dtype.kind not in "Mmiuf":
        t = np.asarray(pd.to_datetime(pd.Series(t), errors="coerce")).astype("datetime64[ns]")
        if np.isnat(t).any():
            row = int(np.flatnonzero(np.isnat(t))[0])
            raise InputError(f"time_index has values that are not time stamps (first at row {row}: "
                             f"{np.asarray(time_index)[row]!r}); pass date-times or numbers.")
    step = np.diff(t)
    if len(step) and not (step > step.dtype.type(0)).all():
        row = int(np.flatnonzero(~(step > step.dtype.type(0)))[0]) + 1
        raise InputError(f"time_index must be strictly increasing (one row per time step, in order); row {row} "
                         f"({time_text(t[row])}) does not come after row {row - 1} ({time_text(t[row - 1])}). "
                         "Sort the rows by time and combine repeated stamps.")
    return t


__all__ = ["DEFAULT_WINDOW", "DetectResult", "default_window", "detect", "time_text"]
