"""``AnomalyDetector``: autoencoder anomaly scores with PyOD's vocabulary and scikit-learn's manners."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import NearestNeighbors

from aekit.data.checks import check_choice, check_features, check_float, check_int
from aekit.data.windows import as_series, sliding_windows
from aekit.errors import InputError, ModelFileError, NotFittedError
from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.sequence import SequenceAutoencoder
from aekit.estimators.vae import VariationalAutoencoder
from aekit.io.model_file import load_model, save_model
from aekit.metrics.anomaly import (Event, benjamini_hochberg, check_contamination, conformal_p_values,
                                   contamination_threshold, events, mad_threshold, window_to_timestep)

_METHODS = ("auto", "ensemble", "reconstruction", "elbo", "knn")
_THRESHOLDS = ("contamination", "mad")
_REDUCES = ("mean", "max")
# Gradient steps each ensemble member takes (epochs are derived from the row count), and the
# bounds on its epochs: enough for small tables (200 rows) to train, few for large ones.
_MEMBER_STEPS = 150
_MEMBER_EPOCHS = (5, 200)
_TINY = 1e-12
# Training rows the k-NN half of the ensemble measures distances to (a seeded random subset
# beyond this), so memory and time stay bounded on large tables.
_KNN_MAX_REFERENCE = 20_000


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread, then restore the caller's setting. The detector's networks
    are tiny, so threads only add synchronisation: one ensemble member took 50 s on 2
    threads and 0.9 s on 1 on a busy 2-core machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _robust_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column median and a spread that is never 0: the IQR, else the mean absolute
    deviation from the median, else 1 (a constant column)."""
    med = np.median(X, axis=0)
    q75, q25 = np.percentile(X, [75, 25], axis=0)
    spread = (q75 - q25) / 1.349  # the IQR of a standard normal is 1.349
    mad = np.mean(np.abs(X - med), axis=0) * 1.2533  # mean |x - median| of N(0, 1) is 0.798
    spread = np.where(spread > _TINY, spread, np.where(mad > _TINY, mad, 1.0))
    return med.astype(np.float32), spread.astype(np.float32)


class AnomalyDetector(BaseEstimator):
    """Unsupervised anomaly detection with autoencoders: scores, thresholds and p-values.

    ``fit(X)`` learns what normal looks like from unlabelled data that may hold some
    anomalies; ``decision_function`` scores new samples (higher = more anomalous),
    ``predict`` flags them (1 = anomaly, 0 = normal), and after :meth:`calibrate` on clean
    data, :meth:`p_values` gives conformal p-values whose false-alarm rate on normal data
    is at most ``alpha`` (``predict(X, alpha=...)``).

    The default (``method="auto"`` without an ``autoencoder``, on tables) is an ensemble of
    ``n_estimators`` small dense autoencoders (one tanh hidden layer, linear code), each
    trained on a random half-to-all of the features (feature bagging) with its own width,
    code size and seed (RandNet, Chen et al. 2017), on features standardised by median and
    IQR; the training input is clipped at ``±clip`` so a few extreme rows do not dominate
    the fit, while scoring sees the unclipped values, so extreme rows still score high. Each
    member is refitted once without the ``trim`` share of training rows it reconstructed
    worst, so anomalies in the training data are not learnt. Member errors are put on one
    scale (log error, centred and divided by the IQR of that member's training log errors,
    a rank-like normalisation that does not saturate beyond the training range) and averaged.
    That average is then mixed half and half (``knn_weight``) with a second family of
    detector: the log of the mean distance to the ``n_neighbors`` nearest training rows (or
    windows, in series mode) on the same robust-scaled features, put on the same scale
    (leave-one-out training distances; a row equal to a training row leaves that row out, so
    training rows score the same in ``fit`` and after it). Autoencoders see dependencies between features; k-NN
    sees local density.

    How the defaults were chosen: once, on 3 of the 12 ADBench tables (cardio, Pima, vowels;
    seed 0, the benchmark's 70/30 split), then frozen before the 12-set run of
    ``benchmarks/bench_detect.py``. Measured ROC-AUC (cardio / Pima / vowels): the ensemble
    0.905 / 0.675 / 0.823; without trimming 0.900 / 0.669 / 0.822; with no clipping
    0.909 / 0.675 / 0.823; clipping the scoring input too cost 0.08 on cardio (0.827), and
    in that first variant one autoencoder instead of the ensemble lost another 0.06 (0.770).
    Training budget: about 150 gradient steps per member (5 to 200 epochs), batch 256,
    Adam 3e-3, so a fit takes seconds.
    Isolation Forest, for scale: 0.919 / 0.680 / 0.691.
    The k-NN half (``knn_weight="auto"``) was chosen afterwards on data that is none of the 12
    ADBench tables (``benchmarks/bench_detect_knn.py``: ADBench's four synthetic anomaly types,
    wine, breast_cancer and a letter subset; 2 seeds): mean ROC-AUC 0.899 for the ensemble
    alone, 0.924 for k-NN alone, 0.912 with k-NN as a 9th member, 0.928 half and half, which
    was never more than 0.002 below the ensemble on any set.
    The series defaults (``window=``: the autoencoder ensemble alone on the robust-scaled
    windows, no k-NN half, and a step's score the *max* of the windows covering it) were
    chosen on generated series that are none of the 30 NAB series of
    ``benchmarks/bench_detect_nab.py`` (``benchmarks/bench_detect_series_choice.py``: daily and
    weekly seasonality, trend, AR(1) noise, two planted spikes, level shifts, flat stretches,
    faster cycles, variance bursts, phase shifts or outages per series; 21 series, windows of
    32 steps). Mean per-step PR-AUC with NAB's labelling (a window around each anomaly, 10%
    of the series): ensemble alone, max of the windows 0.561; half and half (as on tables),
    max 0.526; ensemble, mean 0.496. The k-NN half helps on the six other kinds (0.542
    against 0.535) but fails on outages, stretches held flat below the series' usual range
    (0.428 against 0.718): flat windows are each other's nearest neighbours, so a long
    outage looks dense, not rare. The outage kind was added after a NAB series aekit lost
    (cpu_utilization_asg_misconfiguration) showed that failure, so NAB informed which kinds
    are generated, not the candidates or the rule. With the planted steps alone as positives
    the max localises less well than the mean: it spreads a window's score over all its
    steps, so pass ``reduce="mean"`` to localise short anomalies tightly.

    Parameters
    ----------
    autoencoder : aekit estimator, optional
        An aekit autoencoder to score with: ``Autoencoder`` (dense or conv),
        ``VariationalAutoencoder`` or ``SequenceAutoencoder``. Fitted: used as it is
        (``fit`` only learns the threshold from its scores on X). Unfitted: a copy is fitted
        on X. None: the detector trains its own models (see ``method``).
    method : {"auto", "ensemble", "reconstruction", "elbo", "knn"}, default="auto"
        The anomaly score. "ensemble": the feature-bagged ensemble above. "reconstruction":
        one autoencoder's reconstruction error (a VAE's negative ELBO). "elbo": the negative
        ELBO of a Gaussian VAE (or of the given VAE). "knn": mean distance, in code space, to
        the ``n_neighbors`` nearest training codes. "auto": "ensemble" for tables without
        an ``autoencoder``, else "reconstruction".
    contamination : float, default=0.1
        Expected share of anomalies in the training data, in (0, 0.5]; sets ``threshold_``
        when ``threshold="contamination"``.
    threshold : {"contamination", "mad"}, default="contamination"
        "contamination": the ``1 - contamination`` quantile of the training scores (PyOD's
        rule). "mad": ``median + mad_k · 1.4826 · MAD`` of the training scores, no
        contamination needed.
    mad_k : float, default=3.0
    n_estimators : int, default=8
        Ensemble members (``method="ensemble"``).
    trim : float, default=0.1
        Share of worst-reconstructed training rows left out when each model is refitted, in
        [0, 0.5); 0 = one pass on all rows.
    clip : float, optional, default=5.0
        Robust z-scores of the *training* rows are clipped to ``[-clip, clip]`` before our own
        models train on them (tables and windowed series; images are scaled by the models).
        None = no clipping.
    n_neighbors : int, default=10
        Neighbours for ``method="knn"`` and for the k-NN half of the ensemble.
    knn_weight : float or "auto", default="auto"
        Weight, in [0, 1], of the k-NN distance score mixed into ``method="ensemble"`` (the
        rest is the autoencoders' average). "auto": 0.5 on tables and images, 0 on series
        windows (see above: k-NN misses long flat outages).
    knn_exclusion : int, "auto" or None, default=None
        Series mode: the k-NN distance of a training window ignores the windows that start
        within this many steps of it (its own shifted copies, the "trivial matches" of
        matrix-profile discord search; see ``_knn_log_distance``). "auto": a quarter of the
        window (STUMPY's default). None or 0: only the window itself is ignored. Only used
        with a k-NN half (``knn_weight > 0``; series default 0). Off by default: on the
        generated series of ``bench_detect_series_choice.py`` a zone of a quarter or all of
        the window changed the half-and-half mean PR-AUC by at most 0.005, where series repeat
        a daily pattern many times, so the nearest windows are a period away anyway; it can
        matter on slow, smooth series with few repeats.
    window : int, optional
        Series mode: ``fit``, ``decision_function`` and the rest take one series ``(T, C)``
        (or ``(T,)``), cut into windows of this many steps; scores are per time step (the
        max, or mean, of the scores of the windows covering it; see ``reduce``).
    stride : int, default=1
        Steps between window starts (series mode).
    reduce : {"max", "mean"}, default="max"
        How the windows covering a time step combine into its score: "max" flags every step
        of an anomalous window (chosen as above); "mean" localises short anomalies more tightly.
    epochs : int, optional
        Training epochs of our own models; None = about 150 gradient steps per model
        (between 5 and 200 epochs).
    batch_size : int, default=256
    lr : float, default=3e-3
    device : str, default="cpu"
        Where our own models train and score; the tiny ensemble members are fastest on CPU.
    random_state : int, optional
        Seeds feature subsets, widths and training; the caller's global RNG is not touched.
    verbose : bool, default=False

    Attributes
    ----------
    method_ : str
        The score in use ("auto" resolved).
    decision_scores_ : ndarray of shape (n_samples,)
        Anomaly scores of the training data (per time step in series mode).
    threshold_ : float
        Scores above it are flagged.
    labels_ : ndarray of shape (n_samples,)
        1 = anomaly, 0 = normal, for the training data.
    models_ : list of estimators
        The fitted autoencoders (one, or the ensemble members).
    features_ : list of ndarray
        The feature subset each model sees.
    calibration_scores_ : ndarray
        Scores of the clean calibration data (after :meth:`calibrate`), sorted.
    n_features_in_ : int
        Values per sample (channels in series mode).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 5))
    >>> det = AnomalyDetector(n_estimators=2, epochs=5, random_state=0).fit(X)
    >>> bool(det.decision_function(X + 10).mean() > det.decision_function(X).mean())
    True
    """

    def __init__(self, autoencoder: Any = None, *, method: str = "auto", contamination: float = 0.1,
                 threshold: str = "contamination", mad_k: float = 3.0, n_estimators: int = 8, trim: float = 0.1,
                 clip: float | None = 5.0, n_neighbors: int = 10, knn_weight: float | str = "auto",
                 knn_exclusion: int | str | None = None, window: int | None = None, stride: int = 1,
                 reduce: str = "max", epochs: int | None = None, batch_size: int = 256, lr: float = 3e-3,
                 device: str = "cpu", random_state: int | None = None, verbose: bool = False) -> None:
        self.autoencoder = autoencoder
        self.method = method
        self.contamination = contamination
        self.threshold = threshold
        self.mad_k = mad_k
        self.n_estimators = n_estimators
        self.trim = trim
        self.clip = clip
        self.n_neighbors = n_neighbors
        self.knn_weight = knn_weight
        self.knn_exclusion = knn_exclusion
        self.window = window
        self.stride = stride
        self.reduce = reduce
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_choice("method", self.method, _METHODS)
        check_contamination(self.contamination)
        check_choice("threshold", self.threshold, _THRESHOLDS)
        check_float("mad_k", self.mad_k, low=0.0)
        check_int("n_estimators", self.n_estimators)
        check_float("trim", self.trim, low=0.0, high=0.5, high_inclusive=False)
        check_float("clip", self.clip, low=0.0, low_inclusive=False, allow_none=True)
        check_int("n_neighbors", self.n_neighbors)
        if self.knn_weight != "auto":
            if isinstance(self.knn_weight, str):
                raise InputError(f"knn_weight must be 'auto' or a number in [0, 1], got {self.knn_weight!r}.")
            check_float("knn_weight", self.knn_weight, low=0.0, high=1.0)
        check_int("window", self.window, allow_none=True)
        ex = self.knn_exclusion
        if not (ex is None or (isinstance(ex, str) and ex == "auto")) and (
                isinstance(ex, bool) or not isinstance(ex, (int, np.integer)) or ex < 0):
            raise InputError(f"knn_exclusion must be 'auto', None or an int >= 0 (steps), got {ex!r}.")
        check_int("stride", self.stride)
        check_choice("reduce", self.reduce, _REDUCES)
        check_int("epochs", self.epochs, allow_none=True)
        check_int("batch_size", self.batch_size)
        check_float("lr", self.lr, low=0.0, low_inclusive=False)
        if self.random_state is not None:
            check_int("random_state", self.random_state, minimum=0)
        ae = self.autoencoder
        if ae is not None and not isinstance(ae, (Autoencoder, VariationalAutoencoder, SequenceAutoencoder)):
            raise InputError(f"autoencoder must be an aekit Autoencoder, VariationalAutoencoder or "
                             f"SequenceAutoencoder (fitted or not), got {type(ae).__name__}.")
        if self.method == "ensemble" and ae is not None:
            raise InputError("method='ensemble' trains its own small autoencoders, so it cannot use the given "
                             "autoencoder. Use method='reconstruction' or 'knn' with it, or autoencoder=None.")
        if self.method == "elbo" and ae is not None and not isinstance(ae, VariationalAutoencoder):
            raise InputError(f"method='elbo' needs a VariationalAutoencoder, got {type(ae).__name__}. Use "
                             "method='reconstruction', or pass a VariationalAutoencoder.")
        if isinstance(ae, SequenceAutoencoder) and self.window is None:
            raise InputError("a SequenceAutoencoder scores windows of a series: set window= (and stride=), e.g. "
                             "AnomalyDetector(autoencoder=seq_ae, window=50).")

    def _resolved_score(self, image: bool) -> str:
        if self.method != "auto":
            return self.method
        return "ensemble" if self.autoencoder is None and not image else "reconstruction"

    # ------------------------------------------------------------------ samples
    def _samples(self, X: Any, *, reset: bool, what: str = "X") -> tuple[np.ndarray, int]:
        """Model input: windows (N, window, C) in series mode, else X as checked; and T (or N)."""
        if self.window is None:
            arr = check_features(X, estimator=self, reset=reset)
            return arr, len(arr)
        series = as_series(X, what=what, owner=type(self).__name__)
        n_steps, n_channels = series.shape
        if n_steps < int(self.window):
            raise InputError(f"{what} has {n_steps} time steps, fewer than window={self.window}. Pass a series of at "
                             f"least {self.window} steps, or a smaller window.")
        if reset:
            self.n_features_in_ = n_channels
            self.input_shape_ = (n_channels,)
        elif n_channels != self.n_features_in_:
            raise InputError(f"{what} has {n_channels} channels, but {type(self).__name__} was fitted on "
                             f"{self.n_features_in_}. Pass a series with the same channels, in the same order.")
        return sliding_windows(series, int(self.window), int(self.stride)), n_steps

    def _model_input(self, S: np.ndarray, model: Any, features: np.ndarray | None, *,
                     training: bool = False) -> np.ndarray:
        """What one model is fed: robustly scaled columns for our table models, clipped for
        training only (so a few extreme rows do not dominate the fit, yet still score high)."""
        if isinstance(model, SequenceAutoencoder):
            return S
        if not self.scaled_:
            return S if self.window is None else S.reshape(len(S), -1)
        flat = S.reshape(len(S), -1)
        Z = (flat - self.center_) / self.spread_
        if training and self.clip is not None:
            Z = np.clip(Z, -float(self.clip), float(self.clip))
        return np.ascontiguousarray(Z[:, features] if features is not None else Z, dtype=np.float32)

    # ------------------------------------------------------------------ models
    def _member_epochs(self, n_rows: int, batch: int) -> int:
        if self.epochs is not None:
            return int(self.epochs)
        per_epoch = int(np.ceil(n_rows / batch))
        return int(np.clip(np.ceil(_MEMBER_STEPS / per_epoch), *_MEMBER_EPOCHS))

    def _own_model(self, kind: str, n_in: int, n_rows: int, image: bool, seed: int,
                   rng: np.random.Generator | None) -> Any:
        batch = int(min(self.batch_size, n_rows))
        common: dict[str, Any] = dict(epochs=self._member_epochs(n_rows, batch), batch_size=batch, lr=float(self.lr),
                                      device=self.device, random_state=seed, verbose=bool(self.verbose))
        if image:
            latent = 32
            return (VariationalAutoencoder(latent, hidden=(256,), **common) if kind == "elbo" else
                    Autoencoder(latent, hidden=(256,), **common))
        if rng is not None:  # an ensemble member: its own width and code size
            hidden = int(rng.integers(max(2, n_in // 2), 2 * n_in + 1))
            latent = int(max(1, round(n_in * rng.uniform(0.25, 0.6))))
        else:
            hidden, latent = max(4, 2 * n_in), max(1, n_in // 2)
        if kind == "elbo":
            return VariationalAutoencoder(latent, hidden=(hidden,), likelihood="gaussian", scale="none", **common)
        # A linear code: tanh codes saturate, which hides how far out a sample lies from k-NN.
        return Autoencoder(latent, hidden=(hidden,), activation="tanh", code_activation="linear", output="linear",
                           scale="none", **common)

    @staticmethod
    def _raw_scores(model: Any, X: np.ndarray, kind: str, neighbours: Any = None, k: int = 10,
                    exclude_self: bool = False) -> np.ndarray:
        """Anomaly score of each row from one model (higher = more anomalous)."""
        if kind != "knn":
            return -np.asarray(model.score_samples(X), dtype=np.float64)
        codes = np.asarray(model.transform(X), dtype=np.float64).reshape(len(X), -1)
        dist, _ = neighbours.kneighbors(codes, n_neighbors=k + int(exclude_self))
        return dist[:, int(exclude_self):].mean(axis=1)

    def _fit_one(self, kind: str, model: Any, Xm: np.ndarray) -> Any:
        """Fit a model, then (trim > 0) refit it without its worst-reconstructed rows."""
        model.fit(Xm)
        if self.trim > 0 and len(Xm) >= 20:
            errors = -np.asarray(model.score_samples(Xm))
            keep = errors <= np.quantile(errors, 1.0 - float(self.trim))
            model = clone(model).fit(Xm[keep])
        return model

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: Any = None, *, calibration: ArrayLike | None = None) -> "AnomalyDetector":
        """Learn normal data from X (no labels; some anomalies are fine) and the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, [C,] H, W), or one series (T, C) with ``window``
        y : ignored
        calibration : array-like, optional
            Clean samples not in X; :meth:`calibrate` is called with them.

        Returns
        -------
        self
        """
        self._check_params()
        for attr in ("calibration_scores_", "models_"):
            if hasattr(self, attr):
                delattr(self, attr)
        S, _ = self._samples(X, reset=True)
        image = self.window is None and S.ndim > 2
        kind = self._resolved_score(image)
        self.method_ = kind
        self.scaled_ = self.autoencoder is None and not image
        if self.scaled_:
            self.center_, self.spread_ = _robust_stats(S.reshape(len(S), -1))
        rng = np.random.default_rng(self.random_state)
        with torch.random.fork_rng(devices=[]), _one_thread():
            self.models_, self.features_ = self._fit_models(kind, S, image, rng)
            if kind == "knn":
                model = self.models_[0]
                codes = np.asarray(model.transform(self._model_input(S, model, None)), dtype=np.float64)
                self.train_codes_ = codes.reshape(len(codes), -1)
                self._neighbours = NearestNeighbors().fit(self.train_codes_)
            self.knn_weight_ = 0.0
            if kind == "ensemble":
                parts = [self._member_log_error(m, self._model_input(S, m, f))
                         for m, f in zip(self.models_, self.features_)]
                self.member_center_ = np.array([np.median(p) for p in parts])
                self.member_spread_ = np.array([max(np.subtract(*np.percentile(p, [75, 25])), _TINY) for p in parts])
                self._fit_knn_half(S, parts, rng)
            self.decision_scores_ = self._decision(S, X, training=True)
        self._set_threshold()
        if calibration is not None:
            self.calibrate(calibration)
        return self

    def _fit_models(self, kind: str, S: np.ndarray, image: bool,
                    rng: np.random.Generator) -> tuple[list[Any], list[np.ndarray | None]]:
        """The given autoencoder (fitted on a copy if it is not), the ensemble, or one own model."""
        ae = self.autoencoder
        if ae is not None:
            if hasattr(ae, "module_"):
                return [ae], [None]
            return [self._fit_one(kind, clone(ae), self._model_input(S, ae, None, training=True))], [None]
        n_cols = int(np.prod(S.shape[1:]))
        if kind != "ensemble":
            model = self._own_model(kind, n_cols, len(S), image, int(rng.integers(2**31 - 1)), None)
            return [self._fit_one(kind, model, self._model_input(S, model, None, training=True))], [None]
        models: list[Any] = []
        features: list[np.ndarray | None] = []
        for _ in range(int(self.n_estimators)):
            # Feature bagging: each member sees a random half-to-all of the columns.
            n_sub = n_cols if n_cols <= 3 else int(rng.integers((n_cols + 1) // 2, n_cols + 1))
            cols = np.sort(rng.choice(n_cols, n_sub, replace=False))
            member = self._own_model("reconstruction", n_sub, len(S), False, int(rng.integers(2**31 - 1)), rng)
            models.append(self._fit_one("reconstruction", member, self._model_input(S, member, cols, training=True)))
            features.append(cols)
        return models, features

    def _fit_knn_half(self, S: np.ndarray, parts: list[np.ndarray], rng: np.random.Generator) -> None:
        """The k-NN half of the ensemble: reference rows, and the training scales of both halves."""
        weight = float(self.knn_weight) if self.knn_weight != "auto" else 0.0 if self.window is not None else 0.5
        if weight <= 0.0 or len(S) < 3:
            return
        ens = np.mean([(p - c) / s for p, c, s in zip(parts, self.member_center_, self.member_spread_)], axis=0)
        Z = self._model_input(S, None, None)
        rows = np.arange(len(Z))
        if len(Z) > _KNN_MAX_REFERENCE:
            rows = np.sort(rng.choice(len(Z), _KNN_MAX_REFERENCE, replace=False))
            Z = Z[rows]
        self.knn_reference_ = np.ascontiguousarray(Z, dtype=np.float32)
        self.knn_reference_rows_ = rows  # each reference window's position in the training series
        self.knn_exclusion_ = self._exclusion_windows()
        self._knn = NearestNeighbors().fit(self.knn_reference_)
        own = self._knn_log_distance(self.knn_reference_)  # each row leaves itself out
        self.knn_scale_ = np.array([np.median(ens), max(np.subtract(*np.percentile(ens, [75, 25])), _TINY),
                                    np.median(own), max(np.subtract(*np.percentile(own, [75, 25])), _TINY)])
        self.knn_weight_ = weight

    def _exclusion_windows(self) -> int:
        """Windows on each side of a training window's own position that its k-NN distance
        ignores (0 on tables): ``knn_exclusion`` steps, "auto" = a quarter of the window."""
        if self.window is None or self.knn_exclusion is None:
            return 0
        steps = int(self.window) // 4 if self.knn_exclusion == "auto" else int(self.knn_exclusion)
        return steps // int(self.stride)

    def _knn_log_distance(self, Z: np.ndarray) -> np.ndarray:
        """Log mean distance to the k nearest reference rows.

        A row equal to a reference row leaves that one out, so a training row scores the
        same in ``fit`` and afterwards. In series mode it also leaves out the reference
        windows within ``knn_exclusion_`` windows of that position: windows a few steps
        apart share most of their steps, so without this a window's nearest neighbours are
        its own shifted copies and a long anomalous stretch looks normal (the "trivial
        matches" that matrix-profile discord search excludes, Yeh et al. 2016). Windows of a
        new series have no such copies among the reference, and are scored as they are.
        """
        k = min(int(self.n_neighbors), len(self.knn_reference_) - 1)
        zone = int(getattr(self, "knn_exclusion_", 0))
        if zone == 0:
            dist, _ = self._knn.kneighbors(Z, n_neighbors=k + 1)
            mean = np.where(dist[:, 0] == 0.0, dist[:, 1:].mean(axis=1), dist[:, :k].mean(axis=1))
            return np.log(np.maximum(mean, _TINY))
        positions = self.knn_reference_rows_
        n_ask = min(len(positions), k + 2 * zone + 1)
        dist, idx = self._knn.kneighbors(Z, n_neighbors=n_ask)
        own = positions[idx[:, 0]]
        near_self = np.abs(positions[idx] - own[:, None]) <= zone
        kept = ~(near_self & (dist[:, :1] == 0.0))  # only a window found among the reference has copies there
        kept &= np.cumsum(kept, axis=1) <= k  # the first k neighbours left after the drop
        count = kept.sum(axis=1)
        mean = np.where(count > 0, (dist * kept).sum(axis=1) / np.maximum(count, 1), dist[:, -1])
        return np.log(np.maximum(mean, _TINY))

    @staticmethod
    def _member_log_error(model: Any, Xm: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(-np.asarray(model.score_samples(Xm), dtype=np.float64), _TINY))

    def _set_threshold(self) -> None:
        s = self.decision_scores_
        self.threshold_ = (contamination_threshold(s, self.contamination) if self.threshold == "contamination"
                           else mad_threshold(s, self.mad_k))
        if not (s > self.threshold_).any() and (s < self.threshold_).any():
            # The top scores tie (with reduce="max" every step of the worst window gets its
            # score), and a quantile inside a tie flags none of them: flag the tie together.
            self.threshold_ = float(s[s < self.threshold_].max())
        self.labels_ = (s > self.threshold_).astype(int)

    def _decision(self, S: np.ndarray, X: Any, *, training: bool = False) -> np.ndarray:
        """Per-sample (or per-step) anomaly scores of prepared samples S."""
        kind = self.method_
        if kind == "ensemble":
            parts = [(self._member_log_error(m, self._model_input(S, m, f)) - c) / s
                     for m, f, c, s in zip(self.models_, self.features_, self.member_center_, self.member_spread_)]
            scores = np.mean(parts, axis=0)
            if self.knn_weight_ > 0:
                e_c, e_s, k_c, k_s = self.knn_scale_
                knn = (self._knn_log_distance(self._model_input(S, None, None)) - k_c) / k_s
                scores = (1.0 - self.knn_weight_) * (scores - e_c) / e_s + self.knn_weight_ * knn
        else:
            model = self.models_[0]
            neighbours = getattr(self, "_neighbours", None)
            scores = self._raw_scores(model, self._model_input(S, model, None), kind, neighbours,
                                      min(int(self.n_neighbors), len(self.train_codes_) - int(training))
                                      if kind == "knn" else 0, exclude_self=training)
        if self.window is not None:
            n_steps = as_series(X).shape[0]
            scores = window_to_timestep(scores, n_steps, int(self.window), int(self.stride),
                                        reduce="max" if self.reduce == "max" else "mean")
        return np.asarray(scores, dtype=np.float64)

    # ------------------------------------------------------------------ use
    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call 'fit' with training data "
                                 "first, or load a saved detector with aekit.load(path).")

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Anomaly score of each sample: higher = more anomalous (PyOD's sign).

        Returns
        -------
        ndarray of shape (n_samples,), or (T,) per time step in series mode
        """
        self._check_fitted()
        S, _ = self._samples(X, reset=False)
        with _one_thread():
            return self._decision(S, X)

    def score_timesteps(self, series: ArrayLike) -> np.ndarray:
        """Per-time-step anomaly scores of a series (series mode): higher = more anomalous.

        Returns
        -------
        ndarray of shape (T,)
        """
        if self.window is None:
            raise InputError("score_timesteps needs series mode: create the detector with window= (e.g. window=50) "
                             "and fit it on a series (T, C).")
        return self.decision_function(series)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """How normal each sample is: scikit-learn's sign, higher = more normal
        (``-decision_function``).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return -self.decision_function(X)

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (higher = the data look more normal to the detector)."""
        return float(np.mean(self.score_samples(X)))

    def calibrate(self, X_clean: ArrayLike) -> "AnomalyDetector":
        """Store the scores of clean samples (not used in ``fit``) for conformal p-values.

        Parameters
        ----------
        X_clean : array-like
            Normal samples only, drawn like the data to be tested (a series in series mode).
            Each p-value is at least ``1 / (n + 1)``: use a few hundred samples or more.

        Returns
        -------
        self
        """
        self._check_fitted()
        if X_clean is None or np.size(X_clean) == 0:
            raise InputError("the calibration set is empty; conformal p-values need clean samples not used in fit "
                             "(a few hundred or more; p-values cannot go below 1 / (n + 1)).")
        S, _ = self._samples(X_clean, reset=False, what="calibration")
        with _one_thread():
            self.calibration_scores_ = np.sort(self._decision(S, X_clean))
        return self

    def p_values(self, X: ArrayLike) -> np.ndarray:
        """Conformal p-values ``(1 + #{calibration scores >= s}) / (n_cal + 1)``.

        For a normal sample exchangeable with the calibration data, ``P(p <= alpha) <= alpha``
        (Bates et al. 2023). Needs :meth:`calibrate` (or ``fit(X, calibration=...)``).

        Returns
        -------
        ndarray of shape (n_samples,)
            Small = anomalous.
        """
        self._check_fitted()
        if not hasattr(self, "calibration_scores_"):
            raise NotFittedError("p_values needs clean calibration data: call calibrate(X_clean) or "
                                 "fit(X, calibration=X_clean) first.")
        return conformal_p_values(self.decision_function(X), self.calibration_scores_)

    def predict(self, X: ArrayLike, *, alpha: float | None = None, fdr: bool = False) -> np.ndarray:
        """Flag anomalies: 1 = anomaly, 0 = normal.

        Parameters
        ----------
        X : array-like
        alpha : float, optional
            None: flag scores above ``threshold_``. A level in (0, 1): flag ``p < alpha``
            (conformal p-values; needs :meth:`calibrate`), so at most a share ``alpha`` of
            normal samples is flagged on average.
        fdr : bool, default=False
            With ``alpha``: flag by Benjamini–Hochberg instead, so that at most a share
            ``alpha`` of the *flagged* samples are false alarms, on average over batches.

        Returns
        -------
        ndarray of int, shape (n_samples,)
        """
        if alpha is None:
            self._check_fitted()
            return (self.decision_function(X) > self.threshold_).astype(int)
        check_float("alpha", alpha, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        p = self.p_values(X)
        return (benjamini_hochberg(p, alpha) if fdr else p < alpha).astype(int)

    def fit_predict(self, X: ArrayLike, y: Any = None) -> np.ndarray:
        """``fit(X)`` then the training labels ``labels_``."""
        return self.fit(X).labels_

    def events(self, series: ArrayLike, *, min_gap: int = 0) -> list[Event]:
        """Runs of time steps scoring above ``threshold_`` (series mode).

        Returns
        -------
        list of aekit.metrics.anomaly.Event
            ``start``, ``end`` (inclusive steps), ``peak`` step and ``peak_score``.
        """
        return events(self.score_timesteps(series), self.threshold_, min_gap=min_gap)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Any) -> Any:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path.

        Each model is saved through its own ``save`` and nested under ``models`` (JSON) and
        ``model.<i>.`` (tensors): no pickle.
        """
        self._check_fitted()
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params(deep=False).items()}
        params["autoencoder"] = None
        nested, tensors = [], {}
        for i, model in enumerate(self.models_):
            with tempfile.TemporaryDirectory() as tmp:
                model.save(tmp)
                cfg, tens = load_model(tmp)
            nested.append(cfg)
            tensors.update({f"model.{i}.{k}": v for k, v in tens.items()})
        arrays: dict[str, np.ndarray] = {"decision_scores": self.decision_scores_}
        if self.scaled_:
            arrays.update(center=self.center_, spread=self.spread_)
        if self.method_ == "ensemble":
            arrays.update(member_center=self.member_center_, member_spread=self.member_spread_)
        if self.method_ == "knn":
            arrays["train_codes"] = self.train_codes_
        if self.knn_weight_ > 0:
            arrays.update(knn_reference=self.knn_reference_, knn_scale=self.knn_scale_,
                          knn_reference_rows=np.asarray(self.knn_reference_rows_, dtype=np.int64))
        if hasattr(self, "calibration_scores_"):
            arrays["calibration_scores"] = self.calibration_scores_
        for i, f in enumerate(self.features_):
            if f is not None:
                arrays[f"features.{i}"] = np.asarray(f, dtype=np.int64)
        tensors.update({f"detector.{k}": torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()})
        config = {"estimator": type(self).__name__, "params": params, "models": nested,
                  "fitted": {"method": self.method_, "scaled": bool(self.scaled_), "threshold": float(self.threshold_),
                             "n_features_in": int(self.n_features_in_), "input_shape": list(self.input_shape_),
                             "wrapped": self.autoencoder is not None, "knn_weight": float(self.knn_weight_),
                             "knn_exclusion": int(getattr(self, "knn_exclusion_", 0)),
                             "arrays": sorted(arrays)}}
        return save_model(folder, config, tensors)

    @classmethod
    def _from_saved(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> "AnomalyDetector":
        from aekit.estimators.persistence import ESTIMATORS

        try:
            params: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                      for k, v in config["params"].items()}
            est = cls(**params)
            fitted = config["fitted"]
            models = []
            for i, cfg in enumerate(config["models"]):
                prefix = f"model.{i}."
                sub = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
                models.append(ESTIMATORS[cfg["estimator"]]._from_saved(cfg, sub))
            arrays = {name: tensors[f"detector.{name}"].numpy() for name in fitted["arrays"]}
            est.models_ = models
            est.features_ = [arrays.get(f"features.{i}") for i in range(len(models))]
            est.method_ = fitted["method"]
            est.scaled_ = bool(fitted["scaled"])
            est.threshold_ = float(fitted["threshold"])
            est.n_features_in_ = int(fitted["n_features_in"])
            est.input_shape_ = tuple(fitted["input_shape"])
            est.decision_scores_ = arrays["decision_scores"]
            est.labels_ = (est.decision_scores_ > est.threshold_).astype(int)
            if est.scaled_:
                est.center_, est.spread_ = arrays["center"], arrays["spread"]
            if est.method_ == "ensemble":
                est.member_center_, est.member_spread_ = arrays["member_center"], arrays["member_spread"]
            if est.method_ == "knn":
                est.train_codes_ = arrays["train_codes"]
                est._neighbours = NearestNeighbors().fit(est.train_codes_)
            est.knn_weight_ = float(fitted.get("knn_weight", 0.0))  # files before the k-NN half: none
            if est.knn_weight_ > 0:
                est.knn_reference_, est.knn_scale_ = arrays["knn_reference"], arrays["knn_scale"]
                est.knn_reference_rows_ = arrays.get("knn_reference_rows", np.arange(len(est.knn_reference_)))
                est.knn_exclusion_ = int(fitted.get("knn_exclusion", 0))  # files before the exclusion: none
                est._knn = NearestNeighbors().fit(est.knn_reference_)
            if "calibration_scores" in arrays:
                est.calibration_scores_ = arrays["calibration_scores"]
            if fitted.get("wrapped"):
                est.autoencoder = models[0]
        except (KeyError, TypeError, IndexError) as exc:
            raise ModelFileError(f"the saved {cls.__name__} is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; refit.") from exc
        return est

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        return tags


__all__ = ["AnomalyDetector"]
