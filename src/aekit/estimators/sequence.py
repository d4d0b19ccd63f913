"""``SequenceAutoencoder``: the scikit-learn face of the recurrent (LSTM/GRU) autoencoder."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from aekit.data.batching import eval_batches
from aekit.data.checks import as_float_array, check_choice, check_int, check_is_fitted
from aekit.data.scaling import Scaler
from aekit.data.windows import check_finite_steps, pad_sequences, sliding_windows, with_mask_channel
from aekit.errors import InputError, ModelFileError
from aekit.io.model_file import save_model
from aekit.losses.sequence import MaskedSequenceObjective, per_sequence_error, split_mask
from aekit.models.recurrent import CELLS, RecurrentSpec
from aekit.models.registry import build, spec_from_dict, spec_to_dict
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.config import TrainConfig
from aekit.train.device import resolve_device
from aekit.train.loop import fingerprint_of, fit_module
from aekit.estimators._training import check_training_params, train_config

_SCALES = ("standard", "none")
_KIND = "recurrent"


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Run a block with torch's global RNG seeded, then give the caller's RNG back untouched."""
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield


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


class SequenceAutoencoder(TransformerMixin, BaseEstimator):
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
    epochs : int, default=30
    batch_size : int, default=64
    lr : float, default=1e-3
        Adam learning rate.
    lr_schedule : {"constant", "cosine", "onecycle"}, default="constant"
        How the learning rate moves over the run, step by step: constant; cosine decay
        to zero; or "onecycle", a linear warm-up over the first 10% of the steps to
        ``lr`` then cosine decay to zero, which trains faster at a higher peak ``lr``
        (e.g. 1e-2 for dense models). Not combinable with ``reduce_lr_patience``.
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
        Share of the training sequences held out at random for validation. Overlapping
        windows share steps, so such a hold-out is optimistic: pass ``validation_data``
        (e.g. the windows of a later stretch of the series) for an honest estimate.
    early_stopping : int, optional
        Patience in epochs; restores the best weights at the end.
    reduce_lr_patience : int, optional
        Halve the learning rate after this many epochs without improvement.
    clip_grad_norm : float or None, default=1.0
        Gradient-norm clipping, on by default: recurrent nets can have exploding gradients.
    shuffle : bool, default=True
    device : str, default="auto"
        "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "cuda:1", "mps".
    random_state : int, optional
        Seeds initialisation and shuffling; the caller's global RNG is not touched.
    verbose : bool, default=False
        Show a progress bar while training.

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

    def __init__(self, latent_dim: int = 16, *, cell: str = "lstm", hidden_size: int = 64, num_layers: int = 1,
                 window: int | None = None, stride: int = 1, scale: str = "standard", epochs: int = 30,
                 batch_size: int = 64, lr: float = 1e-3, lr_schedule: str = "constant",
                 weight_decay: float = 0.0,
                 validation_fraction: float = 0.0, early_stopping: int | None = None,
                 reduce_lr_patience: int | None = None, clip_grad_norm: float | None = 1.0, shuffle: bool = True,
                 device: str = "auto", random_state: int | None = None, verbose: bool = False) -> None:
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
        check_training_params(self)

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
            values, lengths = pad_sequences(X)
            if bool(np.all(lengths == values.shape[1])):
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

    def _train_config(self, checkpoint_dir: str | Path | None, resume: bool) -> TrainConfig:
        return train_config(self, checkpoint_dir, resume)

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
        if self.validation_fraction and validation_data is None:
            n = len(samples.values)
            if n < 2:
                raise InputError(f"validation_fraction={self.validation_fraction} needs at least 2 sequences, "
                                 f"got {n}.")
            order = np.random.default_rng(self.random_state).permutation(n)
            n_val = max(1, int(round(n * self.validation_fraction)))
            val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
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
        with _seeded(self.random_state):
            self.module_ = build(_KIND, self.spec_)
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

    @torch.no_grad()
    def _map(self, packed: np.ndarray, fn: Any, batch_size: int = 1024) -> np.ndarray:
        """``fn(values, mask, lengths)`` over (B, T, C + 1) batches, concatenated as NumPy."""
        dev = resolve_device(self.device)
        self.module_.to(dev).eval()
        outs = []
        for batch in eval_batches(packed, batch_size, dev):
            x, mask = split_mask(batch)
            outs.append(fn(x, mask, mask.sum(1).round().long()).float().cpu().numpy())
        self.module_.cpu()
        return np.concatenate(outs, axis=0)

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
        return self._map(packed, lambda x, mask, lengths: self.module_.encode(x, lengths))

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
        dev = resolve_device(self.device)
        self.module_.to(dev).eval()
        with torch.no_grad():
            out = np.concatenate([self.module_.decode(zb, steps).float().cpu().numpy()
                                  for zb in eval_batches(Zc, 1024, dev)])
        self.module_.cpu()
        return self._unscale(out)

    def predict(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Reconstruct X (encode, then decode) in original units.

        Returns
        -------
        ndarray of shape (n_sequences, T, C), or list of (T_i, C) arrays
            The shape of the input's samples: windows for windows or a cut series, a list
            of sequences of their own lengths for a list.
        """
        samples, packed = self._prepare(X)
        out = self._unscale(self._map(packed, lambda x, mask, lengths: self.module_(x, lengths)))
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
        return self._map(packed, lambda x, mask, lengths: -per_sequence_error(self.module_(x, lengths), x, mask))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (higher is better), for model selection."""
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path."""
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        config = {
            "estimator": type(self).__name__,
            "params": self.get_params(),
            "model": {"kind": _KIND, "spec": spec_to_dict(self.spec_)},
            "fitted": {"n_features_in": int(self.n_features_in_), "scaler": self.scaler_.to_config(),
                       "feature_names_in": None if names is None else [str(n) for n in names],
                       "epochs_run": len(self.history_), "history": self.history_},
        }
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        tensors.update({f"scaler.{k}": torch.from_numpy(np.asarray(v)) for k, v in self.scaler_.state().items()})
        return save_model(folder, config, tensors)

    @classmethod
    def _from_saved(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> "SequenceAutoencoder":
        try:
            est = cls(**config["params"])
            fitted = config["fitted"]
            kind = config["model"]["kind"]
            if kind != _KIND:
                raise ModelFileError(f"a saved {cls.__name__} must hold a {_KIND!r} model, this one holds {kind!r}; "
                                     "the file is corrupt or was edited. Retrain.")
            est.spec_ = spec_from_dict(kind, config["model"]["spec"])
            est.module_ = build(kind, est.spec_)
            est.module_.load_state_dict({k[len("module."):]: v for k, v in tensors.items()
                                         if k.startswith("module.")})
            est.module_.eval()
            est.scaler_ = Scaler.from_saved(fitted["scaler"],
                                            {k: tensors[f"scaler.{k}"].numpy() for k in ("offset", "scale")})
            est.n_features_in_ = int(fitted["n_features_in"])
            est.history_ = fitted.get("history", [])
            if fitted.get("feature_names_in"):
                est.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
        except (KeyError, TypeError, RuntimeError) as exc:
            raise ModelFileError(f"the saved {cls.__name__} is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; retrain.") from exc
        return est

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]  # the networks compute in float32
        return tags
