"""``AutoencoderImputer``: fill missing values with a denoising autoencoder (MIDA-style)."""

from __future__ import annotations

from dataclasses import asdict
import itertools
import math
import numbers
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from aekit.data.checks import check_choice, check_float, check_int, check_is_fitted
from aekit.errors import InputError, ModelFileError
from aekit.estimators._base import seeded
from aekit.estimators._gaussian import conditional_mean, fit_gaussian
from aekit.estimators._params import TRAINING
from aekit.estimators._training import check_training_params, train_config
from aekit.io.model_file import save_model
from aekit.losses.masked import InpaintObjective, MaskedImputationObjective, fill_values
from aekit.models.blocks import ACTIVATIONS
from aekit.models.inpaint import InpaintSpec, InpaintUNet
from aekit.models.masked_mlp import MaskedMLP, MaskedMLPSpec
from aekit.models.registry import check_state_shapes
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.device import memory_format_for, resolve_device
from aekit.train.loop import fingerprint_of, fit_module

_SCALES = ("standard", "robust", "minmax")
_NETWORKS = ("auto", "dense", "conv")
#: Gradient steps ``epochs="auto"`` aims at, whatever the table's size (see the class docstring).
#: Where a default differs from the shared TRAINING table: lr (3e-3 reached 0.098 on letter where
#: 1e-3 reached 0.107 in the same 1,500 steps) and epochs ("auto", by steps).
_AUTO_STEPS = 1500
_AUTO_MAX_EPOCHS = 1000
#: The Gaussian candidate of ``blend`` costs k³ per row: tables only, not images.
_BLEND_MAX_COLUMNS = 256
#: A column's blend weight is its own with at least this many held-out entries, else the pooled one.
_BLEND_MIN_ENTRIES = 20
#: KNN compares every row with every fit row: its candidate is left out above this many rows.
_KNN_MAX_ROWS = 20_000
#: Images ``epochs="auto"`` trains the convolutional network on, whatever the data set's size
#: (see the class docstring for how it was chosen).
_AUTO_CONV_IMAGES = 100_000


def _knn(rows: np.ndarray) -> Any:
    """scikit-learn's KNNImputer (5 neighbours, its default) over ``rows`` (NaN = missing)."""
    from sklearn.impute import KNNImputer

    return KNNImputer(n_neighbors=5, keep_empty_features=True).fit(rows)


def simplex_weights(preds: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0``, ``sum(w) = 1`` minimising ``||preds @ w - target||²``.

    ``preds`` is ``(n, C)``: C candidates' predictions of the same ``n`` entries. Exact by
    enumeration of the active set (every non-empty subset of the C candidates, solved
    under the sum-to-one constraint, kept when its weights are >= 0): C is 2 or 3 here.
    With no entries the weights are equal.
    """
    n, c = preds.shape
    if n == 0:
        return np.full(c, 1.0 / c)
    best, best_err = np.eye(c)[0], np.inf
    for size in range(1, c + 1):
        for subset in itertools.combinations(range(c), size):
            p = preds[:, subset]
            # w = e_0 + B v with the sum-to-one constraint: p @ w = p0 + (p[:, 1:] - p0) v
            base, dirs = p[:, 0], p[:, 1:] - p[:, :1]
            v = np.linalg.lstsq(dirs, target - base, rcond=None)[0] if size > 1 else np.zeros(0)
            w_sub = np.concatenate([[1.0 - v.sum()], v])
            if (w_sub < -1e-12).any():
                continue
            err = float(np.sum((p @ w_sub - target) ** 2))
            if err < best_err - 1e-15:
                best_err, best = err, np.zeros(c)
                best[list(subset)] = np.clip(w_sub, 0.0, None)
    return best / best.sum()


def _json_value(v: Any) -> Any:
    """A category as a JSON value (numpy scalars to Python ones)."""
    return v.item() if isinstance(v, np.generic) else v


class AutoencoderImputer(TransformerMixin, BaseEstimator):
    """Fill missing values with a denoising autoencoder that sees the missingness mask.

    ``fit`` learns, from the observed entries alone, to predict entries it is not shown:
    each training step hides a random share (``drop_rate``) of the observed entries, feeds
    the network the scaled values with every hidden or missing entry at 0 (the column mean)
    together with the mask, and scores its output on the observed entries. ``transform``
    fills only the missing entries: every observed value comes back bit-identical. The
    fill is refined ``n_refine`` times by feeding the filled table back (the network is
    trained for that second look, see :mod:`aekit.losses.masked`).

    Self-validated blend (``blend``): before training, ``fit`` holds out a random share
    (``holdout``) of the observed numeric entries from everything it fits. Beside the
    network it fits two classic imputers on the same entries, a multivariate normal by EM
    (its conditional mean, the linear imputer ``IterativeImputer(BayesianRidge)``
    approximates) and ``KNNImputer(5)`` on the scaled columns, and per column it finds the
    convex weights of the three fills that make the least error on the held-out entries.
    ``transform`` fills each numeric entry with that blend. On a near-linear table the
    weight goes to the Gaussian, on a table with local structure to the network or the
    neighbours, with no per-table setting; the held-out errors are in ``validation_rmse_``.

    Numeric columns are centred and scaled (``scale``); categorical columns are one-hot
    encoded, learned with a cross-entropy and filled with their most likely category.
    A row with every value missing gets what the network predicts from no evidence at all,
    close to the column means (numeric) and the most frequent categories.

    Parameters
    ----------
    missing_values : float, int, str or None, default=np.nan
        The placeholder for a missing entry. With NaN, ``None`` and ``pd.NA`` count too.
    categorical_columns : sequence of str or int, optional
        Columns to treat as categories (names for a DataFrame, positions for an array).
        Pandas ``category`` columns are categorical anyway. Text (object) columns must be
        named here: they are refused otherwise.
    hidden : tuple of int, default=(128, 128)
        Widths of the hidden layers. No bottleneck is needed: hiding inputs keeps the
        network from copying them. 256-256 was 0.001-0.003 better on letter and spam at
        three times the cost.
    activation : str, default="relu"
    dropout : float, default=0.0
        Dropout after each hidden layer, in [0, 1).
    linear_skip : bool, default=True
        Add a linear map of ``[x, mask]`` to the network's output (see
        :class:`aekit.models.masked_mlp.MaskedMLP`).
    network : {"auto", "dense", "conv"}, default="auto"
        "dense": the masked MLP (``hidden``, ``dropout``, ``linear_skip``). "conv": the
        convolutional inpainting network (``conv_channels``), for images only (a table is
        refused). "auto": conv for images without categorical columns, else dense.
    conv_channels : tuple of int, default=(16, 32, 64)
        Feature maps per stage of the convolutional network; each stage halves the image's
        size (see :class:`aekit.models.inpaint.InpaintSpec`).
    scale : {"standard", "robust", "minmax"}, default="standard"
        How numeric columns are scaled, from their observed values: centred on the mean and
        divided by the standard deviation; centred on the median and divided by the
        interquartile range; or centred on the mean and divided by the range. Images are
        scaled as a whole (one centre and spread over all observed pixels), since their
        pixels share one unit.
    drop_rate : float, default=0.3
        Share of the observed entries (of whole columns, for a one-hot group) hidden from
        the network at each training step, in (0, 1).
    visible_weight : float, default=1.0
        Loss weight of the observed entries the network could see, relative to the hidden ones.
    blend : bool, default=True
        Blend the network with the Gaussian and KNN candidates per numeric column, weighed
        on held-out entries (above). Applies to inputs with at most 256 numeric columns
        (the Gaussian solves a k×k system per row; KNN is dropped above 20,000 rows, as it
        compares every row with every fit row and keeps the fit rows for ``transform``).
    holdout : float, default=0.1
        Share of the observed numeric entries held out of training to weigh the blend, in
        (0, 0.5]; a column keeps at least half of its observed values.
    n_refine : int, default=0
        Iterative refinement: how many times ``transform`` feeds its fill back to the
        network, which is then also trained for that second look (twice the cost per
        step). Off by default: measured, it made the fill worse (letter: 0.098 with 3
        refinements, 0.094 without).
    sample_posterior : bool, default=False
        ``transform`` returns one random draw from the predictive distribution instead of
        the best guess (see :meth:`sample`), as in ``IterativeImputer(sample_posterior=True)``.
    keep_empty_features : bool, default=False
        A column with no observed value in ``fit`` is refused (there is nothing to learn it
        from); with True it is kept and filled with 0, as scikit-learn's imputers do.
    epochs : int or "auto", default="auto"
        "auto" trains for about 1,500 steps of ``batch_size`` rows whatever the table's size
        (at least 20, at most 1,000 epochs): the shared default of 20 epochs is 20 steps on
        a 178-row table, far too few. Half as many steps cost 0.004 RMSE on letter. The
        convolutional network: about 100,000 images (at most 1,000 epochs; Notes).
    lr : float, default=3e-3
        Adam learning rate; higher than the shared 1e-3 because the step budget is fixed
        (letter: 0.098 at 3e-3, 0.107 at 1e-3).
    batch_size, lr_schedule, weight_decay, validation_fraction, early_stopping, \
reduce_lr_patience, clip_grad_norm, shuffle, device, random_state, verbose, compile
        The shared training parameters (:data:`aekit.estimators._params.TRAINING`).
        ``validation_fraction`` holds out rows, scored with the same masked loss.

    Attributes
    ----------
    module_ : MaskedMLP or InpaintUNet
        The trained network, ``[x, mask]`` -> values (raw scores on one-hot columns).
    spec_ : MaskedMLPSpec or InpaintSpec
    network_ : {"dense", "conv"}
        The network ``network`` resolved to for the data seen in ``fit``.
    columns_ : list
        Column names (a DataFrame's) or positions.
    kinds_ : list of {"numeric", "categorical"}
    categories_ : dict
        Column -> list of its categories, for the categorical ones.
    center_, scale_ : ndarray
        The numeric columns' scaling, ``x_scaled = (x - center_) / scale_``.
    data_min_, data_max_ : ndarray
        The numeric columns' observed range in fit; fills are clipped to it.
    residual_std_ : ndarray
        Each numeric column's spread of error on entries the fill never saw (the held-out
        ones with ``blend``; else entries hidden from the fitted network), in scaled units
        (what :meth:`sample` draws noise with).
    blend_candidates_ : list of str
        ``["network", "gaussian", "knn"]``, or a prefix of it where the blend does not apply.
    blend_weight_ : ndarray of shape (n_numeric_columns, n_candidates)
        Each numeric column's convex weights of the candidates.
    validation_rmse_ : dict or None
        RMSE (scaled units) on the held-out entries of each candidate and of the blend, and
        how many entries were held out; None without a blend.
    gaussian_mean_, gaussian_cov_ : ndarray or None
        The Gaussian candidate, refitted on every observed entry after the weighing.
    knn_data_ : ndarray or None
        The scaled numeric fit rows (NaN = missing) the KNN candidate fills from.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame with string column names.
    input_shape_ : tuple of int
        The per-sample shape seen in ``fit`` (``(H, W)`` or ``(C, H, W)`` for images).
    history_ : list of dict
        One record per epoch: ``loss``, ``hidden`` (error on the entries the network had to
        fill), ``visible``, ``refined``, ``lr``, ``seconds``.

    Notes
    -----
    How the defaults were chosen: once, for every table, on two tables only (UCI letter and
    spam, 2,000-row subsamples, 20% missing completely at random, one seed, RMSE of the
    fill on min-max scaled data; ``benchmarks/bench_impute.py`` has the tables), then
    frozen before the full benchmark on five tables and four mechanisms (BENCHMARKS.md).
    From a 128-128 network trained 1,500 steps at lr 3e-3 (letter 0.0935, spam 0.0616),
    one change at a time: visible_weight 1.0 instead of 0.1 (0.0910, 0.0597: these are the
    defaults); 256-256 hidden (0.0901, 0.0605, three times slower); standard scaling against min-max (0.098 against 0.108 on
    letter); drop_rate 0.3 against 0.15 (0.101) and 0.5 (0.0964, 0.0629); the linear
    shortcut on (0.098 against 0.100 without); refinement off (above). Dropout 0.1 and
    weight decay 1e-4 moved the RMSE by less than 0.001 and stayed off. Clipping fills to
    the observed range took spam from 0.0630 to 0.0616. For comparison on the same data,
    IterativeImputer with ExtraTrees reached 0.0844 (letter) and 0.0600 (spam), with
    BayesianRidge 0.1198 and 0.0659.

    The blend (added after the defaults above were frozen, with no setting of its own
    beyond the 10% held out) was checked on tables outside the benchmark: scikit-learn's
    digits, iris, ``make_friedman1`` (with its target as a column) and
    ``make_low_rank_matrix``, 20% MCAR and MAR, one seed. RMSE without → with the blend:
    digits 0.1525 → 0.1396 (MCAR), 0.1586 → 0.1462 (MAR); friedman1 0.2721 → 0.2638,
    0.2874 → 0.2721; low-rank 0.1147 → 0.1020, 0.1176 → 0.1044; iris 0.0972 → 0.1005
    (worse: 150 rows leave 42 held-out entries, too few for per-column weights, so one
    pooled weight is used), 0.1172 → 0.1071.

    Images (``(N, H, W)`` or ``(N, C, H, W)``) are scaled as a whole and, by default
    (``network="auto"``), filled by a convolutional network,
    :class:`aekit.models.inpaint.InpaintUNet`, on ``[image ⊙ mask, mask]``: each training
    step hides, among the observed pixels, either scattered pixels (5% to 50% of them) or
    one block (an eighth to a half of the image's side), half the images each, and scores
    the error on those hidden pixels only (:class:`aekit.losses.masked.InpaintObjective`).
    ``epochs="auto"`` then trains on about 100,000 images' worth of steps whatever the data
    set's size (10 epochs of 10,000 images, about 5 minutes on one CPU thread for 28×28).
    Chosen once on MNIST *training* images (fit on the first 10,000 with holes, PSNR over
    the removed pixels of images 50,000-50,999, never the test images): with 25% of the
    pixels missing 22.87 dB after 100,000 images (23.00 after 140,000), with a 10×10 block
    10.94 dB (11.17); the width (16, 32, 64) is the cheapest tried (32, 64, 64 cost three
    times as much per step) and lr stays the imputer's 3e-3. ``network="dense"`` keeps the
    masked MLP on images (half of its training rows hide one square, see
    :mod:`aekit.losses.masked`). On the MNIST test images (``benchmarks/bench_impute.py
    --mnist``, BENCHMARKS.md) the convolutional default reached 22.43 dB and 10.99 dB where
    ``IterativeImputer(BayesianRidge)`` reached 17.30 and 9.47 and the dense network 16.33
    and 8.53. ``n_refine`` applies to the dense network only.

    Multiple imputation uses noise draws: the best-guess fill plus Gaussian noise with each
    numeric column's residual spread (measured after ``fit`` on observed entries hidden from
    the network), and categories drawn from the predicted probabilities. It is what
    ``IterativeImputer(sample_posterior=True)`` does with its regressions' predictive
    normal, calibrated per column on held-out entries, and costs nothing at training time,
    where a variational variant would trade fill accuracy for its prior.

    Images: pass ``(N, H, W)`` or ``(N, C, H, W)`` arrays with NaN for missing pixels, or a
    boolean ``mask`` (True = missing) of the same shape.

    What :meth:`save` stores: the network's weights, the scaling, and for the blend the
    Gaussian's mean and covariance and, for the KNN candidate, the scaled numeric fit rows
    themselves (up to 20,000 rows: above that KNN is left out), so a saved imputer holds a
    scaled copy of up to 20,000 rows of its training data. Do not share the folder where
    the training rows are private.

    References
    ----------
    Gondara & Wang, "MIDA: Multiple Imputation using Denoising Autoencoders", PAKDD 2018.
    Little & Rubin, "Statistical Analysis with Missing Data", ch. 11 (EM for the normal).
    Breiman, "Stacked regressions", Machine Learning 24, 1996 (convex, held-out weights).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 4)) @ np.ones((4, 6))
    >>> X[::7, 2] = np.nan
    >>> imp = AutoencoderImputer(epochs=5, random_state=0).fit(X)
    >>> bool(np.isnan(imp.transform(X)).any())
    False
    """

    def __init__(self, *, missing_values: Any = np.nan, categorical_columns: Sequence[Any] | None = None,
                 hidden: Sequence[int] = (128, 128), activation: str = "relu", dropout: float = 0.0,
                 linear_skip: bool = True, network: str = "auto",
                 conv_channels: Sequence[int] = (16, 32, 64),
                 scale: str = "standard", drop_rate: float = 0.3, visible_weight: float = 1.0,
                 n_refine: int = 0, blend: bool = True, holdout: float = 0.1,
                 sample_posterior: bool = False, keep_empty_features: bool = False,
                 epochs: int | str = "auto", batch_size: int = TRAINING["batch_size"],
                 lr: float = 3e-3, lr_schedule: str = TRAINING["lr_schedule"],
                 weight_decay: float = TRAINING["weight_decay"],
                 validation_fraction: float = TRAINING["validation_fraction"],
                 early_stopping: int | None = TRAINING["early_stopping"],
                 reduce_lr_patience: int | None = TRAINING["reduce_lr_patience"],
                 clip_grad_norm: float | None = TRAINING["clip_grad_norm"], shuffle: bool = TRAINING["shuffle"],
                 device: str = TRAINING["device"], random_state: int | None = TRAINING["random_state"],
                 verbose: bool = TRAINING["verbose"], compile: bool = TRAINING["compile"]) -> None:
        self.missing_values = missing_values
        self.categorical_columns = categorical_columns
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.linear_skip = linear_skip
        self.network = network
        self.conv_channels = conv_channels
        self.scale = scale
        self.drop_rate = drop_rate
        self.visible_weight = visible_weight
        self.n_refine = n_refine
        self.blend = blend
        self.holdout = holdout
        self.sample_posterior = sample_posterior
        self.keep_empty_features = keep_empty_features
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.reduce_lr_patience = reduce_lr_patience
        self.clip_grad_norm = clip_grad_norm
        self.shuffle = shuffle
        self.compile = compile
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        for name, widths, example in (("hidden", self.hidden, "(256, 256)"),
                                      ("conv_channels", self.conv_channels, "(16, 32, 64)")):
            if not isinstance(widths, (tuple, list)) or (name == "conv_channels" and not widths) or not all(
                    isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in widths):
                raise InputError(f"{name} must be a tuple of ints >= 1 (e.g. {example}), got {widths!r}.")
        check_choice("network", self.network, _NETWORKS)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_float("dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False)
        check_choice("scale", self.scale, _SCALES)
        check_float("drop_rate", self.drop_rate, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_float("visible_weight", self.visible_weight, low=0.0)
        check_int("n_refine", self.n_refine, minimum=0)
        if not isinstance(self.blend, (bool, np.bool_)):
            raise InputError(f"blend must be True or False, got {self.blend!r}.")
        check_float("holdout", self.holdout, low=0.0, high=0.5, low_inclusive=False)
        if self.epochs != "auto":
            check_int("epochs", self.epochs)
        check_training_params(SimpleNamespace(**{**self.get_params(), "epochs": 1}))
        if self.categorical_columns is not None and (isinstance(self.categorical_columns, (str, bytes))
                                                     or not isinstance(self.categorical_columns, Sequence)):
            raise InputError(f"categorical_columns must be a list of column names or positions, "
                             f"got {self.categorical_columns!r}; e.g. categorical_columns=['colour'].")

    # ------------------------------------------------------------------ reading tables
    def _is_nan_marker(self) -> bool:
        mv = self.missing_values
        return mv is None or (isinstance(mv, float) and math.isnan(mv)) or mv is pd.NA

    def _missing(self, values: np.ndarray) -> np.ndarray:
        if self._is_nan_marker():
            return np.asarray(pd.isna(values), dtype=bool)
        with np.errstate(invalid="ignore"):
            hit = np.asarray(values == self.missing_values, dtype=bool)
        return hit | np.asarray(pd.isna(values), dtype=bool) if values.dtype.kind in "fO" else hit

    def _read(self, X: Any, mask: ArrayLike | None, *, fitting: bool) -> tuple[pd.DataFrame | None, np.ndarray, list[Any], np.ndarray]:
        """``(frame or None, 2-D values, column labels, missing mask)``; images are flattened."""
        owner = type(self).__name__
        if isinstance(X, pd.Series):
            X = X.to_frame()
        frame = X if isinstance(X, pd.DataFrame) else None
        if frame is not None:
            if frame.shape[0] == 0 or frame.shape[1] == 0:
                raise InputError(f"X is empty (shape {frame.shape}); {owner} needs at least one row and one column.")
            values = frame.to_numpy(dtype=object) if any(
                not pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns) else frame.to_numpy()
            columns = list(frame.columns)
            shape: tuple[int, ...] = (frame.shape[1],)
        else:
            if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
                raise InputError("X is a sparse matrix; sparse input is not supported by "
                                 f"{owner}. Convert it with X.toarray() if it fits in memory.")
            try:
                arr = np.asarray(X)
            except Exception as exc:
                raise InputError(f"X could not be read as an array: {exc}. Pass a NumPy array, "
                                 "a pandas DataFrame or a list of equal-length rows.") from exc
            if arr.ndim < 2 or arr.ndim > 4:
                hint = " A single sample: X.reshape(1, -1); a single feature: X.reshape(-1, 1)." if arr.ndim < 2 else ""
                raise InputError(f"X must be 2-D (a table) or 3-D/4-D (images), got shape {arr.shape}.{hint}")
            if arr.shape[0] == 0 or int(np.prod(arr.shape[1:])) == 0:
                raise InputError(f"X is empty (shape {arr.shape}); {owner} needs at least one row and one column.")
            if arr.dtype.kind == "c":
                raise InputError(f"X is complex ({arr.dtype}); pass real numbers, e.g. X.real.")
            shape = tuple(int(s) for s in arr.shape[1:])
            values = arr.reshape(arr.shape[0], -1)
            columns = list(range(values.shape[1]))
        missing = self._missing(values)
        if mask is not None:
            m = np.asarray(mask)
            if m.dtype != bool or int(np.prod(m.shape)) != values.size or m.shape[0] != values.shape[0]:
                raise InputError(f"mask must be a boolean array shaped like X ({(values.shape[0], *shape)}; "
                                 f"True = missing), got dtype {m.dtype} and shape {m.shape}.")
            missing = missing | m.reshape(values.shape)
        if fitting:
            self.input_shape_ = shape
            self.n_features_in_ = values.shape[1]
            if frame is not None and all(isinstance(c, str) for c in columns):
                self.feature_names_in_ = np.asarray(columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            self._check_columns(frame, values, columns, shape)
        return frame, values, columns, missing

    def _check_columns(self, frame: pd.DataFrame | None, values: np.ndarray, columns: list[Any],
                       shape: tuple[int, ...]) -> None:
        fitted = list(self.columns_)
        names = getattr(self, "feature_names_in_", None)
        if frame is not None and names is not None:
            if columns != fitted:
                extra = [c for c in columns if c not in fitted]
                lacking = [c for c in fitted if c not in columns]
                what = "; ".join(p for p in (f"missing {lacking}" if lacking else "",
                                             f"unexpected {extra}" if extra else "") if p) or "a different order"
                raise InputError(f"X's columns differ from those seen in fit ({what}). Pass the columns "
                                 f"{fitted} in that order, e.g. X[{fitted!r}].")
        elif values.shape[1] != self.n_features_in_:
            raise InputError(f"X has {values.shape[1]} features (sample shape {shape}), but {type(self).__name__} "
                             f"was fitted on {self.n_features_in_} (shape {tuple(self.input_shape_)}). Pass data "
                             "with the same columns, in the same order, as at fit time.")

    def _resolve_kinds(self, frame: pd.DataFrame | None, values: np.ndarray, columns: list[Any],
                       missing: np.ndarray) -> list[str]:
        declared = list(self.categorical_columns or [])
        unknown = [c for c in declared if c not in columns]
        if unknown:
            where = "its column names" if frame is not None else "positions 0 .. n_features - 1"
            raise InputError(f"categorical_columns names {unknown}, which X does not have (expected {where}: "
                             f"{columns[:10]}{' ...' if len(columns) > 10 else ''}). Fix categorical_columns.")
        kinds, text = [], []
        for j, c in enumerate(columns):
            col = frame[c] if frame is not None else None
            if c in declared or (col is not None and isinstance(col.dtype, pd.CategoricalDtype)):
                kinds.append("categorical")
                continue
            kinds.append("numeric")
            if col is not None:
                numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
            else:
                numeric = values.dtype.kind in "fiub"
            if not numeric:
                observed = values[~missing[:, j], j]
                try:
                    observed.astype(np.float64)
                except (TypeError, ValueError):
                    text.append(c)
        if text:
            names = ", ".join(map(repr, text[:10])) + (" ..." if len(text) > 10 else "")
            raise InputError(
                f"X has non-numeric column{'s' if len(text) > 1 else ''} {names} that {type(self).__name__} "
                f"was not told are categorical. Pass categorical_columns={text[:10]!r} to fill them with a "
                "category, convert them with .astype('category'), or drop them.")
        return kinds

    # ------------------------------------------------------------------ encoding
    def _numeric_values(self, values: np.ndarray, missing: np.ndarray) -> np.ndarray:
        idx = self._numeric_idx
        out = np.zeros((values.shape[0], len(idx)), np.float64)
        if len(idx):
            block = values[:, idx]
            block = np.where(missing[:, idx], 0, block) if block.dtype.kind == "O" else block
            out = np.asarray(block, dtype=np.float64)
            out = np.where(missing[:, idx], np.nan, out)
        return out

    def _encode(self, values: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled model inputs ``x`` (missing = 0) and their observed mask, both (N, D) float32."""
        n = values.shape[0]
        x = np.zeros((n, self.n_model_features_), np.float32)
        m = np.zeros_like(x)
        num = self._numeric_values(values, missing)
        k = len(self._numeric_idx)
        if k:
            scaled = (num - self.center_) / self.scale_
            obs = ~missing[:, self._numeric_idx]
            x[:, :k] = np.where(obs, scaled, 0.0)
            m[:, :k] = obs
        for (start, stop), j in zip(self.groups_, self._categorical_idx):
            cats = self.categories_[self.columns_[j]]
            lookup = {v: i for i, v in enumerate(cats)}
            obs = ~missing[:, j]
            codes = np.array([lookup.get(_json_value(v), -1) if o else -1 for v, o in zip(values[:, j], obs)])
            known = codes >= 0  # a category unseen in fit is treated as missing
            x[np.flatnonzero(known), start + codes[known]] = 1.0
            m[:, start:stop] = known[:, None]
        return x, m

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: Any = None, *, mask: ArrayLike | None = None,
            callbacks: Sequence[Callback] = ()) -> "AutoencoderImputer":
        """Learn to fill X's missing entries from its observed ones (y is ignored).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W)
            May hold missing entries (``missing_values``); may also be complete.
        y : ignored
        mask : bool array shaped like X, optional
            True marks an entry as missing, in addition to ``missing_values``.
        callbacks : sequence, optional
            Extra training hooks (see :class:`aekit.train.Callback`).

        Returns
        -------
        self
        """
        self._check_params()
        frame, values, columns, missing = self._read(X, mask, fitting=True)
        self.columns_ = columns
        self.kinds_ = self._resolve_kinds(frame, values, columns, missing)
        self._set_layout()
        empty = [c for j, c in enumerate(columns) if missing[:, j].all()]
        if empty and not self.keep_empty_features:
            names = ", ".join(map(repr, empty[:10])) + (" ..." if len(empty) > 10 else "")
            raise InputError(
                f"column{'s' if len(empty) > 1 else ''} {names} of X {'have' if len(empty) > 1 else 'has'} no "
                f"observed value in the {len(values)} rows given to fit, so there is nothing to learn "
                f"{'their' if len(empty) > 1 else 'its'} values from. Drop {'them' if len(empty) > 1 else 'it'}, "
                "or pass keep_empty_features=True to keep such columns and fill them with 0.")
        self.empty_columns_ = empty
        self.categories_: dict[Any, list[Any]] = {}
        for j in self._categorical_idx:
            c = columns[j]
            observed = values[~missing[:, j], j]
            if frame is not None and isinstance(frame[c].dtype, pd.CategoricalDtype):
                cats = [_json_value(v) for v in frame[c].cat.categories]
            else:
                cats = sorted({_json_value(v) for v in observed}, key=lambda v: (str(type(v)), v))
            if not cats:
                raise InputError(f"categorical column {c!r} has no observed value in fit, so it has no "
                                 "categories to fill with. Drop it, or fit on rows where it is observed.")
            self.categories_[c] = cats
        self._set_groups()
        self.network_ = self._resolve_network()
        num = self._numeric_values(values, missing)
        if len(self.input_shape_) >= 2 and np.isfinite(num).any():
            # Images: every pixel is in the same unit. Scaling each by its own spread would
            # blow up rare strokes on near-constant border pixels (MNIST: a pixel inked in 1
            # image of 10,000 gets z = 100) and let them dominate the loss: one scale for all.
            center, spread = self._fit_scaling(num[np.isfinite(num)].reshape(-1, 1))
            self.center_, self.scale_ = np.full(num.shape[1], center[0]), np.full(num.shape[1], spread[0])
        else:
            self.center_, self.scale_ = self._fit_scaling(num)
        with np.errstate(all="ignore"):  # all-NaN columns (kept empty) give NaN bounds, unused
            self.data_min_, self.data_max_ = np.nanmin(num, axis=0, initial=np.inf), np.nanmax(num, axis=0, initial=-np.inf)
        if self.network_ == "conv" and np.isfinite(num).any():
            # A convolution fills every position alike: the range of all observed pixels,
            # not each position's own (a pixel never inked in fit may be inked in a new image).
            self.data_min_ = np.full(num.shape[1], np.nanmin(num))
            self.data_max_ = np.full(num.shape[1], np.nanmax(num))
        x, m = self._encode(values, missing)
        # Self-validation: hide a share of the observed numeric entries from both candidates
        # (the network and the Gaussian), to weigh them per column on entries neither saw.
        held = self._holdout_entries(m)
        m_fit = m if held is None else m * ~held
        x_fit = x * m_fit

        self.spec_ = self._make_spec()
        with seeded(self.random_state):
            self.module_ = self._build(self.spec_)
        data = self._network_input(x_fit, m_fit)
        val = None
        if self.validation_fraction:
            order = np.random.default_rng(self.random_state).permutation(len(data))
            n_val = max(1, int(round(len(data) * self.validation_fraction)))
            if n_val >= len(data):
                raise InputError(f"validation_fraction={self.validation_fraction} leaves no training rows "
                                 f"out of {len(data)}; lower it or pass more rows.")
            val, data = data[order[:n_val]], data[order[n_val:]]
        epochs = self._epochs(len(data), conv=self.network_ == "conv")
        config = train_config(SimpleNamespace(**{**self.get_params(), "epochs": epochs}))
        callbacks = [*([ProgressBar()] if self.verbose else []), *callbacks]
        self.history_ = fit_module(self.module_, data, self._objective(), config, val=val, callbacks=callbacks,
                                   fingerprint=fingerprint_of(self.get_params(), list(data.shape)))
        self.module_.cpu().eval()
        self._fit_blend(x, m, m_fit, held)
        return self

    def _resolve_network(self) -> str:
        """"dense" or "conv" for this input (``network``, with "auto": conv for numeric images)."""
        images = len(self.input_shape_) >= 2 and not self._categorical_idx
        if self.network == "conv" and not images:
            what = "categorical columns" if self._categorical_idx else f"a table (shape (N, {self.n_features_in_}))"
            raise InputError(f"network='conv' fills images, (N, H, W) or (N, C, H, W) arrays, but X is {what}. "
                             "Pass network='dense' (or 'auto'), or reshape X to images.")
        return "conv" if self.network == "conv" or (self.network == "auto" and images) else "dense"

    def _make_spec(self) -> MaskedMLPSpec | InpaintSpec:
        if self.network_ == "conv":
            c = 1 if len(self.input_shape_) == 2 else int(self.input_shape_[0])
            return InpaintSpec(in_channels=c, channels=tuple(int(w) for w in self.conv_channels),
                               activation=self.activation)
        return MaskedMLPSpec(n_features=self.n_model_features_, hidden=tuple(int(w) for w in self.hidden),
                             activation=self.activation, dropout=float(self.dropout),
                             linear_skip=bool(self.linear_skip))

    @staticmethod
    def _build(spec: MaskedMLPSpec | InpaintSpec) -> torch.nn.Module:
        return InpaintUNet(spec) if isinstance(spec, InpaintSpec) else MaskedMLP(spec)

    def _image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of the fitted images."""
        return (1, *self.input_shape_) if len(self.input_shape_) == 2 else tuple(self.input_shape_)  # type: ignore[return-value]

    def _network_input(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """The network's input from rows ``x`` (missing = 0) and ``m``: ``(N, 2·D)`` for the
        dense network, ``(N, 2·C, H, W)`` for the convolutional one."""
        if self.network_ == "conv":
            shape = (len(x), *self._image_shape())
            return np.concatenate([x.reshape(shape), m.reshape(shape)], axis=1)
        return np.concatenate([x, m], axis=1)

    def _holdout_entries(self, m: np.ndarray) -> np.ndarray | None:
        """``(N, D)`` bool, True = an observed numeric entry held out of training to set the
        blend; None when there is no blend (``blend=False``, no or too many numeric columns)."""
        k = len(self._numeric_idx)
        if not self.blend or k == 0 or k > _BLEND_MAX_COLUMNS:
            return None
        # Its own stream: holes the user drew with np.random.default_rng(random_state) (as
        # benchmarks do) would otherwise line up with these draws (MCAR at 20% with the same
        # seed left nothing to hold out at 10%).
        gen = np.random.default_rng([0 if self.random_state is None else self.random_state, 12])
        held = np.zeros(m.shape, bool)
        obs = m[:, :k] > 0
        held[:, :k] = obs & (gen.random(obs.shape) < float(self.holdout))
        # never a column's last observed values: each keeps at least half of them
        too_many = held[:, :k].sum(0) > obs.sum(0) / 2
        held[:, :k][:, too_many] = False
        return held if held.any() else None

    def _fit_blend(self, x: np.ndarray, m: np.ndarray, m_fit: np.ndarray, held: np.ndarray | None) -> None:
        """Fit the classic candidates, weigh them against the network per numeric column on
        the held-out entries, and set ``residual_std_`` from the blend's held-out errors."""
        k = len(self._numeric_idx)
        self.gaussian_mean_ = self.gaussian_cov_ = self.knn_data_ = None
        self.blend_candidates_ = ["network"]
        self.blend_weight_ = np.ones((k, 1))
        self.validation_rmse_ = None
        if held is None:
            self.residual_std_ = self._residual_std(x, m)
            return
        rows = np.flatnonzero(held.any(axis=1))
        xr, mr = x[rows] * m_fit[rows], m_fit[rows]
        obs_fit, x_num = m_fit[:, :k] > 0, x[:, :k].astype(np.float64)
        preds = {"network": self._predict(np.ascontiguousarray(xr), np.ascontiguousarray(mr))[:, :k].astype(np.float64)}
        mu, cov = fit_gaussian(x_num, obs_fit)
        preds["gaussian"] = conditional_mean(x_num[rows], obs_fit[rows], mu, cov)
        use_knn = len(x) <= _KNN_MAX_ROWS
        if use_knn:
            knn = _knn(np.where(obs_fit, x_num, np.nan))
            preds["knn"] = knn.transform(np.where(obs_fit[rows], x_num[rows], np.nan))
        names = list(preds)
        h, t = held[rows, :k], x_num[rows]
        stack = np.stack([preds[c] for c in names], axis=-1)  # (rows, k, C)
        n_held = h.sum(0)
        pooled = simplex_weights(stack[h], t[h])
        w = np.stack([simplex_weights(stack[h[:, j], j], t[h[:, j], j]) if n_held[j] >= _BLEND_MIN_ENTRIES
                      else pooled for j in range(k)])  # (k, C)
        blended = (stack * w[None]).sum(-1)
        err = np.where(h, blended - t, 0.0) ** 2
        std = np.sqrt(err.sum(0) / np.maximum(n_held, 1))
        self.residual_std_ = np.where(n_held >= _BLEND_MIN_ENTRIES, std, np.sqrt(err.sum() / max(h.sum(), 1)))
        total = max(int(h.sum()), 1)
        self.validation_rmse_ = {**{c: float(np.sqrt((np.where(h, preds[c] - t, 0.0) ** 2).sum() / total))
                                    for c in names},
                                 "blend": float(np.sqrt(err.sum() / total)), "entries": int(h.sum())}
        self.blend_candidates_, self.blend_weight_ = names, w
        # the classic candidates are cheap: refit them on every observed entry for transform
        self.gaussian_mean_, self.gaussian_cov_ = fit_gaussian(x_num, m[:, :k] > 0)
        if use_knn:
            self.knn_data_ = np.where(m[:, :k] > 0, x_num, np.nan)

    def _epochs(self, n_rows: int, conv: bool = False) -> int:
        if self.epochs != "auto":
            return int(self.epochs)
        if conv:
            return int(min(_AUTO_MAX_EPOCHS, max(1, math.ceil(_AUTO_CONV_IMAGES / n_rows))))
        batches = max(1, math.ceil(n_rows / int(self.batch_size)))
        return int(min(_AUTO_MAX_EPOCHS, max(TRAINING["epochs"], math.ceil(_AUTO_STEPS / batches))))

    def _set_layout(self) -> None:
        self._numeric_idx = [j for j, k in enumerate(self.kinds_) if k == "numeric"]
        self._categorical_idx = [j for j, k in enumerate(self.kinds_) if k == "categorical"]

    def _set_groups(self) -> None:
        """Model columns: the numeric ones first, then one one-hot group per categorical."""
        start = len(self._numeric_idx)
        groups, column_of = [], list(range(start))
        for g, j in enumerate(self._categorical_idx):
            size = len(self.categories_[self.columns_[j]])
            groups.append((start, start + size))
            column_of += [len(self._numeric_idx) + g] * size  # one original column per group
            start += size
        self.groups_ = tuple(groups)
        self.n_model_features_ = start
        self._column_of = torch.tensor(column_of, dtype=torch.long)
        self._numeric_mask = torch.tensor([i < len(self._numeric_idx) for i in range(start)], dtype=torch.bool)

    def _fit_scaling(self, num: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if num.shape[1] == 0:
            return np.zeros(0), np.ones(0)
        empty = np.isnan(num).all(axis=0)
        safe = np.where(empty[None, :], 0.0, num)
        if self.scale == "robust":
            center = np.nanmedian(safe, axis=0)
            q75, q25 = np.nanpercentile(safe, [75, 25], axis=0)
            spread = q75 - q25
            spread = np.where(spread > 1e-12, spread, np.nanstd(safe, axis=0))
        elif self.scale == "minmax":
            center = np.nanmean(safe, axis=0)
            spread = np.nanmax(safe, axis=0) - np.nanmin(safe, axis=0)
        else:
            center = np.nanmean(safe, axis=0)
            spread = np.nanstd(safe, axis=0)
        spread = np.where(spread > 1e-12, spread, 1.0)  # constant columns stay put
        return center.astype(np.float64), spread.astype(np.float64)

    def _objective(self) -> MaskedImputationObjective | InpaintObjective:
        if self.network_ == "conv":
            return InpaintObjective()
        # The second look is trained only when transform will refine.
        return MaskedImputationObjective(column_of=self._column_of, numeric=self._numeric_mask, groups=self.groups_,
                                         drop_rate=float(self.drop_rate), visible_weight=float(self.visible_weight),
                                         refine=int(self.n_refine) > 0,
                                         image_shape=tuple(self.input_shape_) if len(self.input_shape_) >= 2
                                         and not self._categorical_idx else ())

    @torch.no_grad()
    def _residual_std(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Per numeric column: RMS error on observed entries hidden from the network (fixed seed)."""
        k = len(self._numeric_idx)
        if k == 0:
            return np.zeros(0)
        gen = np.random.default_rng([0 if self.random_state is None else self.random_state, 13])  # own stream
        hide = (gen.random(x.shape) < float(self.drop_rate)) & (m > 0)
        m_in = m * ~hide
        pred = self._predict(x * m_in, m_in)
        err = np.where(hide[:, :k], (pred[:, :k] - x[:, :k]) ** 2, 0.0)
        n = hide[:, :k].sum(axis=0)
        return np.sqrt(err.sum(axis=0) / np.maximum(n, 1)).astype(np.float64)

    # ------------------------------------------------------------------ transform
    @torch.no_grad()
    def _predict(self, x: np.ndarray, m: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """The network's values for every entry after ``n_refine`` refinements (scaled units,
        probabilities on one-hot columns)."""
        dev = resolve_device(self.device)
        net = self.module_.to(dev).eval()
        numeric = self._numeric_mask.to(dev)
        outs = []
        if self.network_ == "conv":  # n_refine is the dense network's
            # the layout training used (NHWC on CPU/CUDA), so a loaded imputer fills bit-alike
            net = net.to(memory_format=memory_format_for(net, dev))  # type: ignore[call-overload]
            for start in range(0, len(x), 512):
                xm = self._network_input(x[start:start + 512], m[start:start + 512])
                outs.append(net(torch.from_numpy(xm).to(dev)).float().cpu().numpy().reshape(len(xm), -1))
            self.module_.cpu()
            return np.concatenate(outs) if outs else np.zeros((0, x.shape[1]), np.float32)
        for start in range(0, len(x), batch_size):
            xb = torch.from_numpy(x[start:start + batch_size]).to(dev)
            mb = torch.from_numpy(m[start:start + batch_size]).to(dev)
            vals = fill_values(net(torch.cat([xb, mb], 1)), numeric, self.groups_)
            for _ in range(int(self.n_refine)):
                vals = fill_values(net(torch.cat([xb * mb + vals * (1 - mb), mb], 1)), numeric, self.groups_)
            outs.append(vals.float().cpu().numpy())
        self.module_.cpu()
        return np.concatenate(outs) if outs else np.zeros((0, x.shape[1]), np.float32)

    def transform(self, X: ArrayLike, *, mask: ArrayLike | None = None) -> Any:
        """Fill X's missing entries; every observed entry is returned unchanged.

        Parameters
        ----------
        X : DataFrame or array-like
            The same columns as in ``fit`` (any rows).
        mask : bool array shaped like X, optional
            True marks an entry as missing, in addition to ``missing_values``.

        Returns
        -------
        DataFrame or ndarray
            A DataFrame with X's columns and index when X is one; otherwise an array of
            X's shape (float64, or X's float dtype).
        """
        return self._fill(X, mask, self._rng() if self.sample_posterior else None)[0]

    def fit_transform(self, X: ArrayLike, y: Any = None, *, mask: ArrayLike | None = None) -> Any:
        """``fit(X, mask=mask).transform(X, mask=mask)``."""
        return self.fit(X, mask=mask).transform(X, mask=mask)

    def sample(self, X: ArrayLike, n_draws: int = 5, *, mask: ArrayLike | None = None,
               random_state: int | None = None) -> list[Any]:
        """Multiple imputation: ``n_draws`` plausible fills of X, each a full table.

        Each draw is the best-guess fill plus Gaussian noise with the column's
        ``residual_std_`` on numeric entries, and a category drawn from the predicted
        probabilities on categorical ones; observed entries are the same in every draw.

        Parameters
        ----------
        X : DataFrame or array-like
        n_draws : int, default=5
        mask : bool array shaped like X, optional
        random_state : int, optional
            Seeds the draws; None = the estimator's ``random_state``.

        Returns
        -------
        list of DataFrame or ndarray
            ``n_draws`` tables shaped like :meth:`transform`'s output.
        """
        check_int("n_draws", n_draws)
        rng = self._rng(random_state)
        return [self._fill(X, mask, rng)[0] for _ in range(int(n_draws))]

    def _rng(self, seed: int | None = None) -> np.random.Generator:
        return np.random.default_rng(self.random_state if seed is None else seed)

    def _fill(self, X: Any, mask: ArrayLike | None, rng: np.random.Generator | None) -> tuple[Any, np.ndarray]:
        check_is_fitted(self)
        frame, values, columns, missing = self._read(X, mask, fitting=False)
        if not missing.any():  # nothing to fill: X as it came, no network pass
            out = frame.copy() if frame is not None else self._as_output_array(values).reshape(
                (len(values), *self.input_shape_))
            return out, missing
        x, m = self._encode(values, missing)
        rows = np.flatnonzero(missing.any(axis=1))
        pred = self._predict(np.ascontiguousarray(x[rows]), np.ascontiguousarray(m[rows]))
        k = len(self._numeric_idx)
        num_fill = pred[:, :k].astype(np.float64)
        if k and len(self.blend_candidates_) > 1:
            num_fill = self._blend(num_fill, x[rows, :k].astype(np.float64), m[rows, :k] > 0)
        if rng is not None and k:
            num_fill = num_fill + rng.standard_normal(num_fill.shape) * self.residual_std_
        # A fill outside the range observed in fit is not plausible (and overshoots on
        # heavy-tailed columns): clip to it, as IterativeImputer's min_value/max_value do.
        num_fill = np.clip(num_fill * self.scale_ + self.center_, self.data_min_, self.data_max_)
        for jj, j in enumerate(self._numeric_idx):
            if self.columns_[j] in self.empty_columns_:
                num_fill[:, jj] = 0.0
        cat_fill = []
        for (start, stop), j in zip(self.groups_, self._categorical_idx):
            probs = pred[:, start:stop].astype(np.float64)
            if rng is not None:
                probs = probs / probs.sum(axis=1, keepdims=True)
                codes = (probs.cumsum(axis=1) > rng.random((len(probs), 1))).argmax(axis=1)
            else:
                codes = probs.argmax(axis=1)
            cats = self.categories_[self.columns_[j]]
            cat_fill.append(np.array([cats[c] for c in codes], dtype=object))
        if frame is not None:
            out = frame.copy()
            for jj, j in enumerate(self._numeric_idx):
                hit = missing[rows, j]
                if hit.any():
                    col = out.columns[j]
                    s = out[col]
                    if not pd.api.types.is_float_dtype(s):
                        s = s.astype(np.float64)
                    s.iloc[rows[hit]] = num_fill[hit, jj].astype(s.dtype)
                    out[col] = s
            for jj, j in enumerate(self._categorical_idx):
                hit = missing[rows, j]
                if hit.any():
                    col = out.columns[j]
                    s = out[col].copy()
                    if isinstance(s.dtype, pd.CategoricalDtype):
                        s = s.cat.add_categories([c for c in self.categories_[col] if c not in s.cat.categories])
                    elif not pd.api.types.is_object_dtype(s):
                        s = s.astype(object)
                    s.iloc[rows[hit]] = cat_fill[jj][hit]
                    out[col] = s
            return out, missing
        arr = self._as_output_array(values)
        for jj, j in enumerate(self._numeric_idx):
            hit = missing[rows, j]
            arr[rows[hit], j] = num_fill[hit, jj]
        for jj, j in enumerate(self._categorical_idx):
            hit = missing[rows, j]
            arr[rows[hit], j] = cat_fill[jj][hit]
        return arr.reshape((len(values), *self.input_shape_)), missing

    def _blend(self, net: np.ndarray, x_num: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """The network's numeric fill blended with the classic candidates' (scaled units)."""
        preds = {"network": net}
        if self.gaussian_mean_ is not None and self.gaussian_cov_ is not None:
            preds["gaussian"] = conditional_mean(x_num, obs, self.gaussian_mean_, self.gaussian_cov_)
        if self.knn_data_ is not None:
            knn = _knn(self.knn_data_)
            preds["knn"] = knn.transform(np.where(obs, x_num, np.nan))
        stack = np.stack([preds[c] for c in self.blend_candidates_], axis=-1)
        return (stack * self.blend_weight_[None]).sum(-1)

    def _as_output_array(self, values: np.ndarray) -> np.ndarray:
        if values.dtype.kind == "f":
            return values.copy()
        if self._categorical_idx or values.dtype.kind == "O":
            try:
                return values.astype(np.float64)
            except (TypeError, ValueError):
                return values.astype(object)
        return values.astype(np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The input's column names: an imputer keeps its columns."""
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return np.asarray(names, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Any) -> Any:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path."""
        check_is_fitted(self)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        spec = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self.spec_).items()}
        if self._is_nan_marker():
            params["missing_values"] = None if self.missing_values is None else "nan"
        config = {
            "estimator": type(self).__name__,
            "params": params,
            "model": {"kind": "inpaint_unet" if self.network_ == "conv" else "masked_mlp", "spec": spec},
            "fitted": {"columns": [_json_value(c) for c in self.columns_], "kinds": self.kinds_,
                       "categories": [[_json_value(c), cats] for c, cats in self.categories_.items()],
                       "empty_columns": [_json_value(c) for c in self.empty_columns_],
                       "input_shape": list(self.input_shape_), "n_features_in": int(self.n_features_in_),
                       "feature_names_in": list(getattr(self, "feature_names_in_", [])) or None,
                       "history": self.history_, "validation_rmse": self.validation_rmse_,
                       "blend_candidates": self.blend_candidates_},
        }
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        tensors.update({"center": torch.from_numpy(self.center_), "scale": torch.from_numpy(self.scale_),
                        "residual_std": torch.from_numpy(self.residual_std_),
                        "data_min": torch.from_numpy(self.data_min_), "data_max": torch.from_numpy(self.data_max_),
                        "blend_weight": torch.from_numpy(np.asarray(self.blend_weight_, np.float64))})
        if self.gaussian_mean_ is not None:
            tensors.update({"gaussian_mean": torch.from_numpy(self.gaussian_mean_),
                            "gaussian_cov": torch.from_numpy(self.gaussian_cov_)})
        if self.knn_data_ is not None:  # KNN fills from the fit rows themselves
            # (no NaN in a model file: the holes travel as a mask)
            tensors["knn_data"] = torch.from_numpy(np.nan_to_num(self.knn_data_, nan=0.0))
            tensors["knn_observed"] = torch.from_numpy(~np.isnan(self.knn_data_))
        return save_model(folder, config, tensors)

    @classmethod
    def _from_saved(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> "AutoencoderImputer":
        try:
            params: dict[str, Any] = dict(config["params"])
            if params.get("missing_values") == "nan":
                params["missing_values"] = np.nan
            kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) and k in ("hidden", "conv_channels")
                                      else v for k, v in params.items()}
            est = cls(**kwargs)
            fitted, model = config["fitted"], config["model"]
            est.columns_ = list(fitted["columns"])
            est.kinds_ = list(fitted["kinds"])
            est.categories_ = {c: list(cats) for c, cats in fitted["categories"]}
            est.empty_columns_ = list(fitted["empty_columns"])
            est.input_shape_ = tuple(fitted["input_shape"])
            est.n_features_in_ = int(fitted["n_features_in"])
            if fitted.get("feature_names_in"):
                est.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
            est.history_ = fitted.get("history", [])
            est._set_layout()
            est._set_groups()
            spec = dict(model["spec"])
            if model["kind"] == "inpaint_unet":
                est.network_ = "conv"
                est.spec_ = InpaintSpec(**{**spec, "channels": tuple(spec["channels"])})
            elif model["kind"] == "masked_mlp":
                est.network_ = "dense"
                est.spec_ = MaskedMLPSpec(**{**spec, "hidden": tuple(spec["hidden"])})
            else:
                raise ValueError(f"unknown network kind {model['kind']!r}")
            state = {k[len("module."):]: v for k, v in tensors.items() if k.startswith("module.")}
            check_state_shapes(lambda: est._build(est.spec_), state, what="the saved AutoencoderImputer")
            est.module_ = est._build(est.spec_)
            est.module_.load_state_dict(state)
            est.module_.eval()
            est.center_ = tensors["center"].numpy().astype(np.float64)
            est.scale_ = tensors["scale"].numpy().astype(np.float64)
            est.residual_std_ = tensors["residual_std"].numpy().astype(np.float64)
            est.data_min_ = tensors["data_min"].numpy().astype(np.float64)
            est.data_max_ = tensors["data_max"].numpy().astype(np.float64)
            est.blend_weight_ = tensors["blend_weight"].numpy().astype(np.float64)
            est.blend_candidates_ = list(fitted["blend_candidates"])
            est.validation_rmse_ = fitted.get("validation_rmse")
            est.gaussian_mean_ = est.gaussian_cov_ = est.knn_data_ = None
            k = len(est._numeric_idx)
            if "gaussian" in est.blend_candidates_:
                est.gaussian_mean_ = tensors["gaussian_mean"].numpy().astype(np.float64)
                est.gaussian_cov_ = tensors["gaussian_cov"].numpy().astype(np.float64)
                if est.gaussian_mean_.shape != (k,) or est.gaussian_cov_.shape != (k, k):
                    raise ValueError(f"the Gaussian's tensors do not fit {k} numeric columns")
            if "knn" in est.blend_candidates_:
                est.knn_data_ = np.where(tensors["knn_observed"].numpy().astype(bool),
                                         tensors["knn_data"].numpy().astype(np.float64), np.nan)
                if est.knn_data_.ndim != 2 or est.knn_data_.shape[1] != k:
                    raise ValueError(f"the KNN rows do not fit {k} numeric columns")
            if est.blend_weight_.shape != (k, len(est.blend_candidates_)):
                raise ValueError(f"the blend weights do not fit {k} columns and {est.blend_candidates_}")
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"the saved {cls.__name__} is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; refit.") from exc
        return est

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = self.random_state is None
        return tags
