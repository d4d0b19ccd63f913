"""``SequenceAutoencoder``: the scikit-learn face of the recurrent (LSTM/GRU) autoencoder."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import ArrayLike

from aekit.data.checks import as_float_array, check_choice, check_feature_names, check_int, check_is_fitted
from aekit.data.scaling import Scaler
from aekit.data.windows import check_finite_steps, pad_sequences, sliding_windows, with_mask_channel
from aekit.errors import InputError
from aekit.estimators._base import BaseAutoencoder, with_training_doc
from aekit.estimators._params import defaults
from aekit.losses.sequence import MaskedSequenceObjective, per_sequence_error, split_mask
from aekit.models.recurrent import CELLS, RecurrentSpec
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.loop import fingerprint_of, fit_module

_D = defaults("SequenceAutoencoder")
_SCALES = ("standard", "none")
_KIND = "recurrent"


class _Samples:
    """Input in any of the three forms, as padded values, lengths (None = all full) and the form."""

    def __init__(self, values: np.ndarray, lengths: np.ndarray | None, form: str) -> None:
        self.values = values  # (N, T, C) float32, padding zero
        self.lengths = lengths  # (N,) int64, or None when every sample is full length
        self.form = form  # "windows", "series" or "list"

    def mask(self) -> np.ndarray:
        """(N, T) bool, True on real steps."""
        n, steps = self.values.shape[:2]
        if self.lengths is None:
            return np.ones((n, steps), dtype=bool)
        return np.arange(steps)[None, :] < self.lengths[:, None]


@with_training_doc
class SequenceAutoencoder(BaseAutoencoder):
    """A recurrent (LSTM or GRU) autoencoder for multivariate time series, scikit-learn style.

    Each sample is a sequence of ``T`` steps with ``C`` channels. ``fit`` learns to
    reconstruct the sequences through a ``latent_dim`` code; ``transform`` gives one code
    per sequence, ``predict`` the reconstruction (original units), and ``score_samples``
    how typical each sequence is, the basis of time-series anomaly detection.

    X can be given in three forms, in ``fit`` and in every other method alike (only the
    channel count must match what ``fit`` saw; the length may differ):

    - windows, an array ``(N, T, C)``;
    - one long series ``(T, C)`` (or ``(T,)``) with ``window`` (and ``stride``) set: it is
      cut into ``1 + (T - window) // stride`` windows (:func:`aekit.data.sliding_windows`);
    - a list of sequences ``(T_i, C)`` of different lengths: they are padded to the
      longest, and the padded steps count nowhere (not in the codes, the loss or the scores).

    Each channel is standardised with the mean and standard deviation of the training
    steps; the scaler is saved with the model and undone on output.

    Parameters
    ----------
    latent_dim : int, default=16
        Size of the code of one sequence.
    cell : {"lstm", "gru"}, default="lstm"
        The recurrent unit of encoder and decoder.
    hidden_size : int, default=64
        Units per recurrent layer.
    num_layers : int, default=1
        Stacked recurrent layers in the encoder and in the decoder.
    window : int, optional
        Steps per window when X is one long series (T, C). Windows (N, T, C) are used as
        they are, so a model fitted on a series also scores ready-cut windows. Must be
        None for lists of sequences.
    stride : int, default=1
        Steps between window starts (``window`` only). ``stride < window`` gives
        overlapping windows.
    scale : {"standard", "none"}, default="standard"
        Per-channel standardisation fitted on the training steps, or none.
    %(training_params)s

    Attributes
    ----------
    module_ : RecurrentAE
        The trained network, in eval mode.
    spec_ : RecurrentSpec
        Its architecture; ``spec_.seq_len`` is the training length (longest sequence).
    scaler_ : Scaler
        The per-channel scaling (``offset`` = means, ``scale`` = standard deviations).
    history_ : list of dict
        One record per epoch (``loss``, ``val_loss``, ``lr``, ``seconds``, ...).
    n_features_in_ : int
        Number of channels C.
    feature_names_in_ : ndarray of str
        Channel names, when ``fit`` got a DataFrame series with string column names.

    Notes
    -----
    Training defaults differ from the other estimators' for recurrent nets: 30 epochs
    and batches of 64 (a series gives few windows), and gradient-norm clipping at 1.0
    (recurrent nets can have exploding gradients). ``validation_fraction`` holds out
    sequences at random; overlapping windows share steps, so that hold-out is
    optimistic: pass ``validation_data`` (e.g. the windows of a later stretch of the
    series) for an honest estimate.

    See Also
    --------
    aekit.data.sliding_windows, aekit.data.pad_sequences, aekit.data.read_series
    aekit.Autoencoder : dense and convolutional autoencoders for fixed-size samples.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(400)[:, None]
    >>> series = np.sin(t / [5.0, 9.0]) + 0.1 * np.random.default_rng(0).normal(size=(400, 2))
    >>> ae = SequenceAutoencoder(latent_dim=4, hidden_size=16, window=20, stride=5, epochs=2,
    ...                          random_state=0).fit(series)
    >>> ae.transform(series).shape        # one code per window
    (77, 4)
    >>> ae.predict(series).shape          # reconstructed windows, original units
    (77, 20, 2)
    """

    _KINDS: ClassVar[tuple[str, ...]] = (_KIND,)

    def __init__(self, latent_dim: int = _D["latent_dim"], *, cell: str = _D["cell"], hidden_size: int = _D["hidden_size"],
                 num_layers: int = _D["num_layers"], window: int | None = _D["window"], stride: int = _D["stride"],
                 scale: str = _D["scale"], epochs: int = _D["epochs"], batch_size: int = _D["batch_size"],
                 lr: float = _D["lr"], lr_schedule: str = _D["lr_schedule"], weight_decay: float = _D["weight_decay"],
                 validation_fraction: float = _D["validation_fraction"], early_stopping: int | None = _D["early_stopping"],
                 reduce_lr_patience: int | None = _D["reduce_lr_patience"],
                 clip_grad_norm: float | None = _D["clip_grad_norm"], shuffle: bool = _D["shuffle"],
                 device: str = _D["device"], random_state: int | None = _D["random_state"],
                 verbose: bool = _D["verbose"], compile: bool = _D["compile"]) -> None:
        self.latent_dim = latent_dim
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.window = window
        self.stride = stride
        self.scale = scale
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
        check_int("latent_dim", self.latent_dim)
        check_choice("cell", self.cell, CELLS)
        check_int("hidden_size", self.hidden_size)
        check_int("num_layers", self.num_layers)
        check_int("window", self.window, allow_none=True)
        check_int("stride", self.stride)
        check_choice("scale", self.scale, _SCALES)
        self._check_training_params()

    def _samples(self, X: Any, *, reset: bool, what: str = "X") -> _Samples:
        """Validate X in any of its three forms; record (``reset``) or check the channel count."""
        owner = type(self).__name__
        if reset and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if isinstance(X, (list, tuple)):
            if self.window is not None:
                raise InputError(
                    f"window={self.window} cuts one long series (T, C), but {what} is a list of {len(X)} sequences. "
                    "Set window=None to pad the sequences to a common length, or cut each one with "
                    "aekit.data.sliding_windows and stack the windows.")
            values, full_lengths = pad_sequences(X)
            lengths: np.ndarray | None = full_lengths
            if bool(np.all(full_lengths == values.shape[1])):
                lengths = None  # all full: the mask is all ones anyway
            samples = _Samples(values, lengths, "list")
        else:
            if isinstance(X, (str, os.PathLike)):
                raise InputError(f"{what} is a path ({str(X)!r}); read the series first with "
                                 "aekit.data.read_series(path) (CSV: columns = channels, rows = time steps).")
            if isinstance(X, (bytes, dict)) or X is None:
                raise InputError(f"{what} must be windows (N, T, C), one series (T, C) with window=, or a list of "
                                 f"(T_i, C) sequences; got {type(X).__name__}.")
            ndim = np.ndim(X)
            if ndim == 3:  # windows already: ``window`` applies to series only
                arr = np.asarray(X)
                check_finite_steps(arr, what=what, owner=owner)
                samples = _Samples(as_float_array(arr, what=what, owner=owner, min_ndim=3, max_ndim=3), None,
                                   "windows")
            elif ndim in (1, 2):
                if self.window is None:
                    raise InputError(
                        f"{what} has shape {np.shape(X)}: one series (T, C), rows = time steps. Set window= (and "
                        "stride=) to cut it into windows, e.g. SequenceAutoencoder(window=50); or pass windows "
                        "(N, T, C) (univariate windows (N, T) as X[..., None]).")
                if reset and hasattr(X, "columns") and all(isinstance(c, str) for c in X.columns):
                    self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
                elif not reset:
                    check_feature_names(getattr(self, "feature_names_in_", None), getattr(X, "columns", None),
                                        what=what, owner=owner)
                samples = _Samples(sliding_windows(X, self.window, self.stride), None, "series")
            else:
                raise InputError(f"{what} has shape {np.shape(X)}; pass windows (N, T, C), one series (T, C) with "
                                 "window=, or a list of (T_i, C) sequences.")
        n_channels = samples.values.shape[2]
        if reset:
            self.n_features_in_ = n_channels
        elif n_channels != self.n_features_in_:
            raise InputError(f"{what} has {n_channels} channels, but {owner} was fitted on {self.n_features_in_}. "
                             "Pass sequences with the same channels, in the same order, as at fit time.")
        return samples

    # ------------------------------------------------------------------ data
    def _packed(self, samples: _Samples) -> np.ndarray:
        """Scaled values with the mask channel last: (N, T, C + 1), padding zero."""
        n, steps, c = samples.values.shape
        scaled = self.scaler_.transform(samples.values.reshape(-1, c)).reshape(n, steps, c)
        if samples.lengths is not None:
            scaled[~samples.mask()] = 0.0
        return with_mask_channel(scaled, samples.lengths)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, *, validation_data: Any = None, checkpoint_dir: str | Path | None = None,
            resume: bool = False, callbacks: Sequence[Callback] = ()) -> "SequenceAutoencoder":
        """Train on X (y is ignored).

        Parameters
        ----------
        X : array-like (N, T, C), array-like (T, C) with ``window``, or list of (T_i, C)
        y : ignored
        validation_data : same forms as X, optional
            Held-out sequences (overrides ``validation_fraction``).
        checkpoint_dir : path, optional
            Write a checkpoint there after every epoch.
        resume : bool, default=False
            Continue from the checkpoint in ``checkpoint_dir`` if one exists.
        callbacks : sequence, optional
            Extra training hooks (see :class:`aekit.train.Callback`).

        Returns
        -------
        self
        """
        self._check_params()
        samples = self._samples(X, reset=True)
        mask = samples.mask()
        split = None if validation_data is not None else self._validation_split(len(samples.values), "sequences")
        if split is not None:
            val_idx, train_idx = np.sort(split[0]), np.sort(split[1])  # keep the windows in time order
            lengths = samples.lengths
            val = _Samples(samples.values[val_idx], None if lengths is None else lengths[val_idx], samples.form)
            samples = _Samples(samples.values[train_idx], None if lengths is None else lengths[train_idx],
                               samples.form)
            mask = samples.mask()
        elif validation_data is not None:
            val = self._samples(validation_data, reset=False, what="validation_data")
        else:
            val = None
        self.scaler_ = Scaler(self.scale, per_feature=True).fit(samples.values[mask])  # (real steps, C)
        train = self._packed(samples)
        self.spec_ = RecurrentSpec(n_channels=int(self.n_features_in_), seq_len=int(samples.values.shape[1]),
                                   latent_dim=int(self.latent_dim), hidden_size=int(self.hidden_size),
                                   num_layers=int(self.num_layers), cell=self.cell)  # type: ignore[arg-type]
        self.module_ = self._build(_KIND, self.spec_)
        fingerprint = fingerprint_of(self.get_params(), list(train.shape))
        self.history_ = fit_module(
            self.module_, train, MaskedSequenceObjective(), self._train_config(checkpoint_dir, resume),
            val=None if val is None else self._packed(val),
            callbacks=[*([ProgressBar()] if self.verbose else []), *callbacks], fingerprint=fingerprint)
        self.module_.cpu()
        return self

    # ------------------------------------------------------------------ use
    def _prepare(self, X: Any) -> tuple[_Samples, np.ndarray]:
        check_is_fitted(self)
        samples = self._samples(X, reset=False)
        return samples, self._packed(samples)

    def network_input(self, X: Any) -> np.ndarray:
        """X checked and scaled as the fitted network takes it: (N, T, C + 1), the mask channel last."""
        return self._prepare(X)[1]

    def _map_packed(self, packed: np.ndarray, fn: Callable[..., torch.Tensor]) -> np.ndarray:
        """``fn(values, mask, lengths)`` over (B, T, C + 1) batches, concatenated as NumPy."""
        def run(batch: torch.Tensor) -> torch.Tensor:
            x, mask = split_mask(batch)
            return fn(x, mask, mask.sum(1).round().long())

        return self._map(packed, run, batch_size=1024)

    def _unscale(self, out: np.ndarray) -> np.ndarray:
        n, steps, c = out.shape
        return self.scaler_.inverse_transform(out.reshape(-1, c)).reshape(n, steps, c)

    def transform(self, X: Any) -> np.ndarray:
        """One code per sequence (per window when X is a series cut by ``window``).

        Returns
        -------
        ndarray of shape (n_sequences, latent_dim)
        """
        _, packed = self._prepare(X)
        return self._map_packed(packed, lambda x, mask, lengths: self.module_.encode(x, lengths))

    def inverse_transform(self, Z: ArrayLike, *, steps: int | None = None) -> np.ndarray:
        """Decode codes into sequences, in original units.

        Parameters
        ----------
        Z : array-like of shape (n_sequences, latent_dim)
        steps : int, optional
            Steps to unroll; default the training length ``spec_.seq_len``.

        Returns
        -------
        ndarray of shape (n_sequences, steps, n_features_in_)
        """
        check_is_fitted(self)
        check_int("steps", steps, allow_none=True)
        Zc = as_float_array(Z, what="Z", owner=type(self).__name__, max_ndim=2)
        if Zc.shape[1] != self.spec_.latent_dim:
            raise InputError(f"Z has {Zc.shape[1]} columns but this model's codes have latent_dim="
                             f"{self.spec_.latent_dim}; pass the output of transform().")
        return self._unscale(self._map(Zc, lambda zb: self.module_.decode(zb, steps), batch_size=1024))

    def predict(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Reconstruct X (encode, then decode) in original units.

        Returns
        -------
        ndarray of shape (n_sequences, T, C), or list of (T_i, C) arrays
            The shape of the input's samples: windows for windows or a cut series, a list
            of sequences of their own lengths for a list.
        """
        samples, packed = self._prepare(X)
        out = self._unscale(self._map_packed(packed, lambda x, mask, lengths: self.module_(x, lengths)))
        if samples.form == "list":
            lengths = samples.lengths if samples.lengths is not None else [out.shape[1]] * len(out)
            return [seq[:n] for seq, n in zip(out, lengths)]
        return out

    reconstruct = predict

    def score_samples(self, X: Any) -> np.ndarray:
        """How typical each sequence is: minus its mean squared reconstruction error over its
        real steps and channels, in standardised units (so every channel counts alike).
        Higher = more typical; the anomaly score is its negative.

        Returns
        -------
        ndarray of shape (n_sequences,)
        """
        _, packed = self._prepare(X)
        return self._map_packed(packed, lambda x, mask, lengths: -per_sequence_error(self.module_(x, lengths), x, mask))

    # ------------------------------------------------------------------ persistence
    def _model_kind(self) -> str:
        return _KIND

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
