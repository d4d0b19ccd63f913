"""``Autoencoder``: the scikit-learn face of the dense and convolutional models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from aekit.data.batching import eval_batches
from aekit.data.checks import check_choice, check_float, check_int, check_is_fitted
from aekit.data.corruption import NOISES, Corruption, check_noise, data_range
from aekit.data.scaling import choose_scaling
from aekit.errors import InputError
from aekit.estimators import _shapes
from aekit.estimators._base import BaseAutoencoder, with_training_doc
from aekit.estimators._params import defaults
from aekit.losses.objective import Objective, ReconstructionObjective
from aekit.losses.penalties import ContractivePenalty, KLSparsity, L1Activity, Penalty, jacobian_norm
from aekit.losses.reconstruction import LOSSES, per_sample_error
from aekit.models.blocks import ACTIVATIONS
from aekit.models.conv import ConvSpec
from aekit.models.dense import DenseSpec
from aekit.models.stages import StageAE
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.layerwise import pretrain_layerwise
from aekit.train.loop import fingerprint_of, fit_module

_D = defaults("Autoencoder")
_OUTPUTS = ("auto", "sigmoid", "linear")
_SCALES = ("auto", "none", "minmax", "standard")
_SPARSITIES = (None, "l1", "kl")
# Default sparsity_weight per kind, in units of the reconstruction loss (a mean over
# features): see the sparsity_weight entry of the Autoencoder docstring.
_SPARSITY_WEIGHT = {"l1": 3e-5, "kl": 0.3}


@with_training_doc
class Autoencoder(BaseAutoencoder):
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
        activation of the batch (or a moving average, ``sparsity_decay``); needs
        ``code_activation="sigmoid"``.
    sparsity_weight : float, optional
        The L1 coefficient or β (>= 0). None = 3e-5 for "l1", 0.3 for "kl". The
        reconstruction term here is a mean over features, so β = 3 of Ng's notes (loss
        ``½‖x̂ − x‖²`` summed over D features) is ``3 · 2 / D`` here: 0.0077 on MNIST
        (D = 784), 0.094 on 8x8 patches. Chosen at the default Adam 5e-3 and batch 256
        on two sets of digits (the embedded 4,000, 20 epochs; 20,000 MNIST images, 5
        epochs; 784-32, MSE and BCE alike): "kl" with β = 0.3 and the batch-mean ρ̂
        (``sparsity_decay=0``) ends at a mean code activation of 0.051-0.055 for ρ = 0.05
        (test MSE 0.038-0.042); "l1" with 3e-5 (ReLU code) takes the mean code from
        6.1-6.8 to 2.6-4.7 at test MSE 0.012-0.017 (plain: 0.012-0.014), where 1e-3
        killed every code unit at this learning rate. Raise the weight to get closer
        to the target, lower it to reconstruct better. Ignored when ``sparsity=None``.
    sparsity_target : float, default=0.05
        ρ for "kl", the desired mean activation of each code unit, in (0, 1).
    sparsity_decay : float, default=0.0
        λ for "kl": ``ρ̂_t = λ·ρ̂_{t−1} + (1−λ)·(batch mean)``, in [0, 1); 0 = batch mean only.
        The default uses the batch mean: a running mean (λ = 0.99) lags the code behind
        the penalty, and at Adam 5e-3 the two oscillate (the mean code ended at 0.12-0.14
        for ρ = 0.05, and larger β diverged).
    center_inputs : bool, default=False
        Subtract the training mean from the input inside the encoder (a saved buffer;
        the output layer starts at the mean image either way). On full MNIST it helped a
        little, most with a one-cycle schedule (784-32-784, 50 epochs, test BCE 0.0898 vs
        0.0902 without); on the 4,000 embedded digits it hurt at every setting measured
        (test MSE 0.0232 vs 0.0213 with 20 epochs at 1e-3, 0.0159 vs 0.0128 under
        one-cycle 1e-2), hence off by default.
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
    %(training_params)s

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

    _KINDS: ClassVar[tuple[str, ...]] = ("dense", "conv")
    deterministic_encoder: ClassVar[bool] = True

    def __init__(self, latent_dim: int = _D["latent_dim"], *, model: str = _D["model"],
                 hidden: Sequence[int] = _D["hidden"], channels: Sequence[int] = _D["channels"],
                 activation: str = _D["activation"], code_activation: str | None = _D["code_activation"],
                 output: str = _D["output"], loss: str = _D["loss"], scale: str = _D["scale"],
                 image_shape: Sequence[int] | None = _D["image_shape"], noise: str | None = _D["noise"],
                 noise_level: float = _D["noise_level"], sparsity: str | None = _D["sparsity"],
                 sparsity_weight: float | None = _D["sparsity_weight"], sparsity_target: float = _D["sparsity_target"],
                 sparsity_decay: float = _D["sparsity_decay"], contractive: float = _D["contractive"],
                 center_inputs: bool = _D["center_inputs"], pretrain_epochs: int = _D["pretrain_epochs"],
                 epochs: int = _D["epochs"], batch_size: int = _D["batch_size"], lr: float = _D["lr"],
                 lr_schedule: str = _D["lr_schedule"], weight_decay: float = _D["weight_decay"],
                 validation_fraction: float = _D["validation_fraction"], early_stopping: int | None = _D["early_stopping"],
                 reduce_lr_patience: int | None = _D["reduce_lr_patience"],
                 clip_grad_norm: float | None = _D["clip_grad_norm"], shuffle: bool = _D["shuffle"],
                 device: str = _D["device"], random_state: int | None = _D["random_state"],
                 verbose: bool = _D["verbose"], compile: bool = _D["compile"]) -> None:
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
        self.compile = compile
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_int("latent_dim", self.latent_dim)
        check_choice("model", self.model, self._KINDS)  # other registry kinds have their own estimators
        _shapes.check_widths(self, "(128, 64)")
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_choice("output", self.output, _OUTPUTS)
        check_choice("loss", self.loss, LOSSES)
        check_choice("scale", self.scale, _SCALES)
        self._check_training_params()
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

    # ------------------------------------------------------------------ build
    def _make_spec(self, module_shape: tuple[int, ...], output: str) -> DenseSpec | ConvSpec:
        if self.model == "dense":
            return DenseSpec(n_features=module_shape[0], latent_dim=int(self.latent_dim),
                             hidden=_shapes.widths(self.hidden), activation=self.activation,
                             code_activation=self._code_activation(), output=output)  # type: ignore[arg-type]
        c, h, w = module_shape
        return ConvSpec(in_channels=c, height=h, width=w, latent_dim=int(self.latent_dim),
                        channels=_shapes.widths(self.channels), activation=self.activation,
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
        X, Xm, Xv = _shapes.fit_samples(self, X, validation_data)
        self.scaler_ = choose_scaling(Xm, self.scale).fit(Xm)
        Xs = self.scaler_.transform(Xm)
        in_unit = float(Xs.min()) >= 0.0 and float(Xs.max()) <= 1.0
        self.output_ = ("sigmoid" if in_unit else "linear") if self.output == "auto" else self.output
        if self.loss == "bce" and not in_unit:
            raise InputError(
                f"loss='bce' needs data in [0, 1], but the scaled training data span [{Xs.min():.3g}, {Xs.max():.3g}]. "
                "Use scale='minmax' (or 'auto'), or loss='mse'.")
        self.spec_ = self._make_spec(tuple(Xm.shape[1:]), self.output_)
        self.module_ = self._build(self.model, self.spec_)
        self.module_.init_from_data(torch.from_numpy(Xs.mean(axis=0, dtype=np.float64)),
                                    center=bool(self.center_inputs))
        if self.sparsity == "kl":
            # every k-th sample, at most 2,048: enough to set each code unit's mean activation
            sample = Xs[:: max(1, len(Xs) // 2048)][:2048]
            self.module_.init_code_mean(torch.as_tensor(np.asarray(sample), dtype=torch.float32),
                                        float(self.sparsity_target))
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
    def network_input(self, X: ArrayLike) -> np.ndarray:
        """X checked, shaped and scaled as the fitted network takes it (see :meth:`encoder_module`)."""
        return _shapes.network_input(self, X)

    def encoder_module(self) -> nn.Module:
        """The fitted network itself: its ``encode`` maps :meth:`network_input` to the codes."""
        check_is_fitted(self)
        return self.module_

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Codes for X.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._map(self.network_input(X), self.module_.encode)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Decode codes back to data space (original units, the per-sample shape seen in fit).

        Returns
        -------
        ndarray of shape (n_samples, *input_shape_)
        """
        return _shapes.decode(self, Z)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Reconstruct X (encode, then decode), in X's original units and shape."""
        return _shapes.reconstruct(self, X)

    reconstruct = predict

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """How typical each sample is: minus its mean reconstruction error (the training
        loss, on scaled data). Higher = more typical; the anomaly score is its negative.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        module = self.module_
        return self._map(self.network_input(X), lambda xb: -per_sample_error(
            module.decode_logits(module.encode(xb)), xb, self.loss, self.output_))  # type: ignore[operator]

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
        Xs = self.network_input(X)
        dev = self._device()
        self.module_.to(dev).eval()
        encode = self.module_.encode
        norms = [jacobian_norm(encode, xb).cpu().numpy() for xb in eval_batches(Xs, batch_size, dev)]  # type: ignore[arg-type]
        self.module_.cpu()
        return np.concatenate(norms)

    # ------------------------------------------------------------------ persistence
    def _model_kind(self) -> str:
        return str(self.model)

    def _fitted_config(self) -> dict[str, Any]:
        return {"input_shape": list(self.input_shape_), "output": self.output_, **super()._fitted_config(),
                "pretrain_history": self.pretrain_history_}

    def _load_fitted(self, fitted: dict[str, Any]) -> None:
        self.input_shape_ = tuple(fitted["input_shape"])
        self.output_ = fitted["output"]
        self.pretrain_history_ = fitted.get("pretrain_history", [])
