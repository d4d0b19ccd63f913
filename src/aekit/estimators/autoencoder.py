"""``Autoencoder``: the scikit-learn face of the dense and convolutional models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from aekit.data.batching import eval_batches
from aekit.data.checks import (check_choice, check_features, check_float, check_int, check_is_fitted,
                               as_float_array)
from aekit.data.corruption import NOISES, Corruption, check_noise, data_range
from aekit.data.scaling import Scaler, choose_scaling
from aekit.errors import InputError
from aekit.io.model_file import save_model
from aekit.losses.objective import Objective, ReconstructionObjective
from aekit.losses.penalties import ContractivePenalty, KLSparsity, L1Activity, Penalty, jacobian_norm
from aekit.losses.reconstruction import LOSSES, per_sample_error
from aekit.models.blocks import ACTIVATIONS, upgrade_uncentred_state
from aekit.models.conv import ConvSpec
from aekit.models.dense import DenseSpec
from aekit.models.registry import build, spec_from_dict, spec_to_dict
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.config import TrainConfig
from aekit.train.device import resolve_device
from aekit.train.layerwise import StageAE, pretrain_layerwise
from aekit.train.loop import fingerprint_of, fit_module
from aekit.estimators._training import check_training_params, train_config

_OUTPUTS = ("auto", "sigmoid", "linear")
_SCALES = ("auto", "none", "minmax", "standard")
_SPARSITIES = (None, "l1", "kl")
# Default sparsity_weight per kind, in units of the reconstruction loss (a mean over
# features): see the sparsity_weight entry of the Autoencoder docstring.
_SPARSITY_WEIGHT = {"l1": 1e-3, "kl": 0.01}


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Run a block with torch's global RNG seeded, then give the caller's RNG back untouched."""
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield


class Autoencoder(TransformerMixin, BaseEstimator):
    """An autoencoder with the scikit-learn estimator interface.

    ``fit`` learns to reconstruct X through a ``latent_dim`` code; ``transform`` gives
    the codes, ``inverse_transform`` decodes codes, ``predict`` reconstructs, and
    ``score_samples`` says how typical each sample is.

    Parameters
    ----------
    latent_dim : int, default=32
        Size of the code. Larger than the input is allowed (overcomplete) but such a
        model can learn to copy its input: add noise or a sparsity penalty then.
    model : {"dense", "conv"}, default="dense"
        Fully connected, or convolutional (needs image input: X of shape (N, C, H, W),
        (N, H, W), or flat with ``image_shape``).
    hidden : tuple of int, default=()
        Dense encoder hidden widths, outermost first; the decoder mirrors them.
        ``()`` with ``latent_dim=32`` on MNIST is the classic 784-32-784 model.
    channels : tuple of int, default=(32, 64)
        Convolutional stages (each conv + 2x2 pooling).
    activation : str, default="relu"
        Hidden-layer and code activation ("relu", "tanh", "sigmoid", "elu", "leaky_relu",
        "gelu", "linear").
    code_activation : str, optional
        Activation of the code layer alone, from the same list; None = ``activation``.
        ``sparsity="kl"`` needs "sigmoid" (codes in (0, 1)); a single-layer dense encoder
        with a sigmoid code gets the closed-form contractive penalty.
    output : {"auto", "sigmoid", "linear"}, default="auto"
        Output activation. "auto" uses a sigmoid when the scaled training data lie in
        [0, 1], else linear.
    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss, averaged over features. BCE needs data in [0, 1].
    scale : {"auto", "none", "minmax", "standard"}, default="auto"
        Feature scaling fitted on the training data and inverted on output. "auto":
        none if X is already in [0, 1], else min-max (global for images and 8-bit
        pixels, per feature for tables).
    image_shape : tuple (C, H, W), optional
        Shape of one sample when X comes flattened and ``model="conv"``.
    noise : {None, "gaussian", "mask", "salt_pepper"}, default=None
        Denoising: corrupt each training batch with fresh noise and reconstruct the clean
        input (see :mod:`aekit.data.corruption`). "gaussian" adds ``noise_level · N(0, 1)``
        and clips to the training data's range ([0, 1] for data in [0, 1], after scaling);
        "mask" zeroes each value with probability ``noise_level``; "salt_pepper" sets each
        value to the range's minimum or maximum with probability ``noise_level``.
        Validation, ``transform`` and ``predict`` see clean input.
    noise_level : float, default=0.3
        The Gaussian factor (>= 0), or the probability in [0, 1] for "mask" and
        "salt_pepper". Ignored when ``noise=None``.
    sparsity : {None, "l1", "kl"}, default=None
        Sparse autoencoder: an activity penalty on the code, logged as "sparsity" beside
        "recon" in ``history_`` (see :mod:`aekit.losses.penalties`). "l1":
        ``sparsity_weight · mean over the batch of Σ_j |h_j|``. "kl":
        ``sparsity_weight · Σ_j KL(sparsity_target ‖ ρ̂_j)`` where ρ̂ is the mean code
        activation, a moving average over batches with decay ``sparsity_decay``; needs
        ``code_activation="sigmoid"``.
    sparsity_weight : float, optional
        The L1 coefficient or β (>= 0). None = 1e-3 for "l1", 0.01 for "kl". The
        reconstruction term here is a mean over features, so β = 3 of Ng's notes (loss
        ``½‖x̂ − x‖²`` summed over D features) is ``3 · 2 / D`` here: 0.0077 on MNIST
        (D = 784), 0.094 on 8x8 patches. Measured on the embedded MNIST digits (784-64,
        1,000 test digits): "kl" with β = 0.01 (sigmoid code, BCE, 2,000 training digits,
        40 epochs, batch 64) took the mean code activation from 0.90 to 0.13 and the test
        MSE from 0.054 to 0.037, and β = 0.3 reached ρ = 0.05 at MSE 0.075; "l1" with
        1e-3 (ReLU code, MSE, 4,000 digits, 15 epochs, batch 128) took the mean code from
        3.25 to 0.19 at MSE 0.040 instead of 0.022. Raise the weight to get closer
        to the target, lower it to reconstruct better. Ignored when ``sparsity=None``.
    sparsity_target : float, default=0.05
        ρ for "kl", the desired mean activation of each code unit, in (0, 1).
    sparsity_decay : float, default=0.99
        λ for "kl": ``ρ̂_t = λ·ρ̂_{t−1} + (1−λ)·(batch mean)``, in [0, 1); 0 = batch mean only.
    center_inputs : bool, default=True
        Subtract the training mean from the input inside the encoder (a saved buffer;
        the output layer starts at the mean image either way). On full MNIST it helped,
        most with a one-cycle schedule (784-32-784, 50 epochs, test BCE 0.0898 vs 0.0902
        without); on 4,000 digits at a constant lr 1e-3 it hurt (0.1058 vs 0.0983): turn
        it off for small data trained at a low constant lr.
    contractive : float, default=0.0
        Contractive autoencoder: λ of the penalty ``λ · ‖∂h/∂x‖²_F`` on the encoder
        Jacobian (mean over the batch), logged as "contractive". Closed form for a
        single sigmoid layer, exact autograd otherwise (one pass per code unit, so it
        costs more with a larger ``latent_dim``). 0 = off.
    pretrain_epochs : int, default=0
        Deep (stacked) autoencoder: greedy layer-wise pre-training with this many epochs
        per stage before ``epochs`` of end-to-end fine-tuning (see
        :mod:`aekit.train.layerwise`); with ``noise`` each stage is a denoising
        autoencoder (a stacked denoising autoencoder). Sparsity and contractive penalties
        apply to the stage that trains the code layer. Dense models only. 0 = off.
    epochs : int, default=20
    batch_size : int, default=256
    lr : float, default=1e-3
        Adam learning rate.
    lr_schedule : {"constant", "cosine", "onecycle"}, default="constant"
        How the learning rate moves over the run, step by step: constant; cosine decay
        to zero; or "onecycle", a linear warm-up over the first 10% of the steps to
        ``lr`` then cosine decay to zero, which trains faster at a higher peak ``lr``
        (e.g. 1e-2 for dense models). Not combinable with ``reduce_lr_patience``.
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
        Share of the training rows held out for validation (the loss that early
        stopping and lr reduction watch); 0 = use ``validation_data`` or none.
    early_stopping : int, optional
        Patience in epochs; restores the best weights at the end.
    reduce_lr_patience : int, optional
        Halve the learning rate after this many epochs without improvement.
    clip_grad_norm : float, optional
    shuffle : bool, default=True
    device : str, default="auto"
        "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "cuda:1", "mps".
    random_state : int, optional
        Seeds initialisation, shuffling and any noise; the caller's global RNG is not touched.
    verbose : bool, default=False
        Show a progress bar while training.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (``DenseAE`` or ``ConvAE``), in eval mode.
    spec_ : DenseSpec or ConvSpec
    scaler_ : Scaler
    history_ : list of dict
        One record per epoch (``loss``, ``val_loss``, ``lr``, ``seconds``, ...) of the
        end-to-end training (the fine-tuning when pre-training ran). With a penalty the
        records also hold ``recon`` and ``sparsity`` / ``contractive``.
    pretrain_history_ : list of dict
        One record per epoch of greedy pre-training, with a ``stage`` field (1 = the
        layer next to the data); empty when ``pretrain_epochs=0``.
    n_features_in_ : int
    input_shape_ : tuple of int
        The per-sample shape seen in ``fit``.
    output_ : str
        The resolved output activation.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((256, 20))
    >>> ae = Autoencoder(latent_dim=4, epochs=2, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (256, 4)
    """

    def __init__(self, latent_dim: int = 32, *, model: str = "dense", hidden: Sequence[int] = (),
                 channels: Sequence[int] = (32, 64), activation: str = "relu",
                 code_activation: str | None = None, output: str = "auto",
                 loss: str = "mse", scale: str = "auto", image_shape: Sequence[int] | None = None,
                 noise: str | None = None, noise_level: float = 0.3, sparsity: str | None = None,
                 sparsity_weight: float | None = None, sparsity_target: float = 0.05,
                 sparsity_decay: float = 0.99, contractive: float = 0.0, center_inputs: bool = True,
                 pretrain_epochs: int = 0,
                 epochs: int = 20, batch_size: int = 256, lr: float = 1e-3, lr_schedule: str = "constant",
                 weight_decay: float = 0.0,
                 validation_fraction: float = 0.0, early_stopping: int | None = None,
                 reduce_lr_patience: int | None = None, clip_grad_norm: float | None = None,
                 shuffle: bool = True, device: str = "auto", random_state: int | None = None,
                 verbose: bool = False) -> None:
        self.latent_dim = latent_dim
        self.model = model
        self.hidden = hidden
        self.channels = channels
        self.activation = activation
        self.code_activation = code_activation
        self.output = output
        self.loss = loss
        self.scale = scale
        self.image_shape = image_shape
        self.noise = noise
        self.noise_level = noise_level
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target
        self.sparsity_decay = sparsity_decay
        self.contractive = contractive
        self.center_inputs = center_inputs
        self.pretrain_epochs = pretrain_epochs
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
        check_choice("model", self.model, ("dense", "conv"))  # other registry kinds have their own estimators
        for name in ("hidden", "channels"):
            widths = getattr(self, name)
            if isinstance(widths, (int, np.integer)):
                widths = (widths,)
            if not isinstance(widths, (tuple, list)) or not all(
                    isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in widths):
                raise InputError(f"{name} must be a tuple of ints >= 1 (e.g. (128, 64)), got {getattr(self, name)!r}.")
        if self.model == "conv" and len(tuple(self.channels)) == 0:
            raise InputError("channels must name at least one convolutional stage for model='conv', e.g. (32, 64).")
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_choice("output", self.output, _OUTPUTS)
        check_choice("loss", self.loss, LOSSES)
        check_choice("scale", self.scale, _SCALES)
        check_training_params(self)
        self._check_family_params()

    def _check_family_params(self) -> None:
        """Denoising, sparse, contractive and layer-wise settings, alone and together."""
        check_choice("code_activation", self.code_activation, (None, *ACTIVATIONS))
        check_choice("noise", self.noise, (None, *NOISES))
        check_float("noise_level", self.noise_level, low=0.0)
        if self.noise is not None:
            check_noise(self.noise, self.noise_level)
        check_choice("sparsity", self.sparsity, _SPARSITIES)
        check_float("sparsity_weight", self.sparsity_weight, low=0.0, allow_none=True)
        check_float("sparsity_target", self.sparsity_target, low=0.0, high=1.0, low_inclusive=False,
                    high_inclusive=False)
        check_float("sparsity_decay", self.sparsity_decay, low=0.0, high=1.0, high_inclusive=False)
        check_float("contractive", self.contractive, low=0.0)
        check_int("pretrain_epochs", self.pretrain_epochs, minimum=0)
        code_act = self._code_activation()
        if self.sparsity == "kl" and code_act != "sigmoid":
            how = "" if self.code_activation is not None else f" (from activation={self.activation!r})"
            raise InputError(
                f"sparsity='kl' needs code activations in (0, 1), but code_activation={self.code_activation!r} "
                f"gives a {code_act!r} code{how}. Set code_activation='sigmoid', or use sparsity='l1'.")
        if self.pretrain_epochs and self.model != "dense":
            raise InputError(
                f"pretrain_epochs={self.pretrain_epochs} (greedy layer-wise pre-training) works with "
                f"model='dense' only, got model={self.model!r}. Set pretrain_epochs=0, or use model='dense'.")

    def _code_activation(self) -> str:
        return self.activation if self.code_activation is None else self.code_activation

    def _widths(self, name: str) -> tuple[int, ...]:
        w = getattr(self, name)
        return (int(w),) if isinstance(w, (int, np.integer)) else tuple(int(v) for v in w)

    # ------------------------------------------------------------------ shapes
    def _module_shape(self) -> tuple[int, ...]:
        """Per-sample shape the module takes: (D,) for dense, (C, H, W) for conv."""
        shape = tuple(self.input_shape_)
        if self.model == "dense":
            return (int(np.prod(shape)),)
        if len(shape) == 3:
            return shape
        if len(shape) == 2:
            return (1, *shape)
        if self.image_shape is None:
            raise InputError(
                f"model='conv' needs images, but X has flat samples of {shape[0]} values. Pass X shaped "
                "(N, C, H, W) or (N, H, W), or give image_shape=(C, H, W), e.g. image_shape=(1, 28, 28).")
        ishape = tuple(int(v) for v in self.image_shape)
        if len(ishape) != 3 or int(np.prod(ishape)) != shape[0]:
            raise InputError(f"image_shape {tuple(self.image_shape)} does not fit samples of {shape[0]} values; "
                             "it must be (C, H, W) with C*H*W equal to the number of features.")
        return ishape

    def _to_module(self, X: np.ndarray) -> np.ndarray:
        return X.reshape((X.shape[0], *self._module_shape()))

    # ------------------------------------------------------------------ build
    def _make_spec(self, module_shape: tuple[int, ...], output: str) -> DenseSpec | ConvSpec:
        if self.model == "dense":
            return DenseSpec(n_features=module_shape[0], latent_dim=int(self.latent_dim),
                             hidden=self._widths("hidden"), activation=self.activation,
                             code_activation=self._code_activation(), output=output)  # type: ignore[arg-type]
        c, h, w = module_shape
        return ConvSpec(in_channels=c, height=h, width=w, latent_dim=int(self.latent_dim),
                        channels=self._widths("channels"), activation=self.activation,
                        code_activation=self._code_activation(), output=output)  # type: ignore[arg-type]

    def _penalties(self) -> tuple[Penalty, ...]:
        penalties: list[Penalty] = []
        if self.sparsity is not None:
            weight = _SPARSITY_WEIGHT[self.sparsity] if self.sparsity_weight is None else float(self.sparsity_weight)
            penalties.append(L1Activity(weight) if self.sparsity == "l1" else
                             KLSparsity(float(self.sparsity_target), weight, float(self.sparsity_decay)))
        if self.contractive:
            penalties.append(ContractivePenalty(float(self.contractive)))
        return tuple(penalties)

    def _objective(self, value_range: tuple[float, float] = (0.0, 1.0)) -> Objective:
        """Reconstruction of the clean input + the penalties, from a corrupted input if ``noise``.

        ``value_range`` is the scaled training data's range, where Gaussian noise is clipped.
        """
        corrupt = None if self.noise is None else Corruption(self.noise, float(self.noise_level), *value_range)
        return ReconstructionObjective(loss=self.loss, output=self.output_, corrupt=corrupt,
                                       penalties=self._penalties())

    def _stage_objective(self, stage: StageAE, data: Any) -> Objective:
        """Objective of one greedy pre-training stage: its own output, corruption on its own
        input; the penalties only where the stage trains the code layer."""
        loss = self.loss if stage.index == 0 or (self.loss == "bce" and stage.output == "sigmoid") else "mse"
        corrupt = None if self.noise is None else Corruption(self.noise, float(self.noise_level), *data_range(data))
        return ReconstructionObjective(loss=loss, output=stage.output, corrupt=corrupt,
                                       penalties=self._penalties() if stage.is_last else ())

    def _train_config(self, checkpoint_dir: str | Path | None, resume: bool) -> TrainConfig:
        return train_config(self, checkpoint_dir, resume)

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: Any = None, *, validation_data: ArrayLike | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False,
            callbacks: Sequence[Callback] = ()) -> "Autoencoder":
        """Train on X (y is ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
        y : ignored
        validation_data : array-like, optional
            Held-out samples of the same shape as X (overrides ``validation_fraction``).
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
        X = check_features(X, estimator=self, reset=True)
        Xm = self._to_module(X)
        if self.validation_fraction and validation_data is None:
            if len(Xm) < 2:
                raise InputError(f"validation_fraction={self.validation_fraction} needs at least 2 samples, got {len(Xm)}.")
            rng = np.random.default_rng(self.random_state)
            order = rng.permutation(len(Xm))
            n_val = max(1, int(round(len(Xm) * self.validation_fraction)))
            Xv, Xm = Xm[order[:n_val]], Xm[order[n_val:]]
        elif validation_data is not None:
            Xv = self._to_module(check_features(validation_data, estimator=self, reset=False))
        else:
            Xv = None
        self.scaler_ = choose_scaling(Xm, self.scale).fit(Xm)
        Xs = self.scaler_.transform(Xm)
        in_unit = float(Xs.min()) >= 0.0 and float(Xs.max()) <= 1.0
        self.output_ = ("sigmoid" if in_unit else "linear") if self.output == "auto" else self.output
        if self.loss == "bce" and not in_unit:
            raise InputError(
                f"loss='bce' needs data in [0, 1], but the scaled training data span [{Xs.min():.3g}, {Xs.max():.3g}]. "
                "Use scale='minmax' (or 'auto'), or loss='mse'.")
        self.spec_ = self._make_spec(tuple(Xm.shape[1:]), self.output_)
        with _seeded(self.random_state):
            self.module_ = build(self.model, self.spec_)
        self.module_.init_from_data(torch.from_numpy(Xs.mean(axis=0, dtype=np.float64)),
                                    center=bool(self.center_inputs))
        Xvs = None if Xv is None else self.scaler_.transform(Xv)
        fingerprint = fingerprint_of(self.get_params(), list(X.shape))
        config = self._train_config(checkpoint_dir, resume)
        callbacks = [*([ProgressBar()] if self.verbose else []), *callbacks]
        self.pretrain_history_: list[dict[str, Any]] = []
        if self.pretrain_epochs:
            self.pretrain_history_ = pretrain_layerwise(
                self.module_, Xs, self._stage_objective,  # type: ignore[arg-type]
                replace(config, epochs=int(self.pretrain_epochs),
                        checkpoint_dir=None if checkpoint_dir is None else str(Path(checkpoint_dir) / "pretrain")),
                val=Xvs, callbacks=callbacks, fingerprint=fingerprint)
        self.history_ = fit_module(
            self.module_, Xs, self._objective((0.0, 1.0) if in_unit else data_range(Xs)), config, val=Xvs,
            callbacks=callbacks, fingerprint=fingerprint)
        self.module_.cpu()
        return self

    # ------------------------------------------------------------------ use
    def _prepare(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self)
        Xc = check_features(X, estimator=self, reset=False)
        return self.scaler_.transform(self._to_module(Xc))

    def _device(self) -> torch.device:
        return resolve_device(self.device)

    @torch.no_grad()
    def _map(self, data: np.ndarray, fn: Any, batch_size: int = 4096) -> np.ndarray:
        dev = self._device()
        self.module_.to(dev).eval()
        outs = [fn(xb).float().cpu().numpy() for xb in eval_batches(data, batch_size, dev)]
        self.module_.cpu()
        return np.concatenate(outs, axis=0)

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Codes for X.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._map(self._prepare(X), self.module_.encode)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Decode codes back to data space (original units, the per-sample shape seen in fit).

        Returns
        -------
        ndarray of shape (n_samples, *input_shape_)
        """
        check_is_fitted(self)
        Zc = as_float_array(Z, what="Z", owner=type(self).__name__, max_ndim=2)
        if Zc.shape[1] != self.spec_.latent_dim:
            raise InputError(f"Z has {Zc.shape[1]} columns but this model's codes have latent_dim="
                             f"{self.spec_.latent_dim}; pass the output of transform().")
        out = self._map(Zc, self.module_.decode)
        return self.scaler_.inverse_transform(out).reshape((len(Zc), *self.input_shape_))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Reconstruct X (encode, then decode), in X's original units and shape."""
        Xs = self._prepare(X)
        out = self._map(Xs, self.module_)
        return self.scaler_.inverse_transform(out).reshape((len(Xs), *self.input_shape_))

    reconstruct = predict

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """How typical each sample is: minus its mean reconstruction error (the training
        loss, on scaled data). Higher = more typical; the anomaly score is its negative.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        Xs = self._prepare(X)
        dev = self._device()
        self.module_.to(dev).eval()
        scores = []
        with torch.no_grad():
            for xb in eval_batches(Xs, 4096, dev):
                logits = self.module_.decode_logits(self.module_.encode(xb))
                scores.append(-per_sample_error(logits, xb, self.loss, self.output_).cpu().numpy())
        self.module_.cpu()
        return np.concatenate(scores)

    def jacobian_norm(self, X: ArrayLike, batch_size: int = 256) -> np.ndarray:
        """Frobenius norm of the encoder Jacobian ``‖∂h/∂x‖_F`` at each sample.

        What the contractive penalty shrinks: how fast the code moves with the input.
        Derivatives are with respect to the *scaled* input the network sees (see
        ``scaler_``), computed exactly by autograd.

        Returns
        -------
        ndarray of shape (n_samples,)
            Take ``.mean()`` for one number per model.
        """
        Xs = self._prepare(X)
        dev = self._device()
        self.module_.to(dev).eval()
        encode = self.module_.encode
        norms = [jacobian_norm(encode, xb).cpu().numpy() for xb in eval_batches(Xs, batch_size, dev)]  # type: ignore[arg-type]
        self.module_.cpu()
        return np.concatenate(norms)

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (higher is better), for model selection."""
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path."""
        check_is_fitted(self)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        config = {
            "estimator": type(self).__name__,
            "params": params,
            "model": {"kind": self.model, "spec": spec_to_dict(self.spec_)},
            "fitted": {"input_shape": list(self.input_shape_), "n_features_in": int(self.n_features_in_),
                       "output": self.output_, "scaler": self.scaler_.to_config(),
                       "feature_names_in": list(getattr(self, "feature_names_in_", [])) or None,
                       "epochs_run": len(self.history_), "history": self.history_,
                       "pretrain_history": getattr(self, "pretrain_history_", [])},
        }
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        tensors.update({f"scaler.{k}": torch.from_numpy(np.asarray(v)) for k, v in self.scaler_.state().items()})
        return save_model(folder, config, tensors)

    @classmethod
    def _from_saved(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> "Autoencoder":
        from aekit.errors import ModelFileError

        try:
            params = config["params"]
            est = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
            fitted = config["fitted"]
            kind = config["model"]["kind"]
            est.spec_ = spec_from_dict(kind, config["model"]["spec"])
            est.module_ = build(kind, est.spec_)
            module_state = {k[len("module."):]: v for k, v in tensors.items() if k.startswith("module.")}
            est.module_.load_state_dict(upgrade_uncentred_state(est.module_, module_state))
            est.module_.eval()
            est.scaler_ = Scaler.from_saved(fitted["scaler"], {k: tensors[f"scaler.{k}"].numpy() for k in ("offset", "scale")})
            est.input_shape_ = tuple(fitted["input_shape"])
            est.n_features_in_ = int(fitted["n_features_in"])
            est.output_ = fitted["output"]
            est.history_ = fitted.get("history", [])
            est.pretrain_history_ = fitted.get("pretrain_history", [])
            if fitted.get("feature_names_in"):
                est.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
        except (KeyError, TypeError, RuntimeError) as exc:
            raise ModelFileError(f"the saved {cls.__name__} is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; retrain.") from exc
        return est

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]  # the networks compute in float32
        return tags
