"""``VariationalAutoencoder``: a VAE / beta-VAE with the scikit-learn estimator interface."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from aekit.data.batching import eval_batches
from aekit.data.checks import check_choice, check_features, check_float, check_int, check_is_fitted
from aekit.data.scaling import choose_scaling
from aekit.errors import InputError
from aekit.estimators.autoencoder import _SCALES, Autoencoder, _seeded
from aekit.io.model_file import save_model
from aekit.losses.elbo import ELBOObjective, KLWarmup, elbo_terms, importance_log_likelihood
from aekit.losses.penalties import jacobian_norm
from aekit.models.blocks import ACTIVATIONS
from aekit.models.registry import build, spec_to_dict
from aekit.models.vae import LIKELIHOODS, ConvVAESpec, VAESpec
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.loop import fingerprint_of, fit_module
from aekit.estimators._training import check_training_params

_KINDS = {"dense": "vae", "conv": "conv_vae"}  # estimator ``model`` -> registry name
_SCORE_DRAWS = 16  # latent draws behind score_samples (shared by all rows, so it is deterministic)


class VariationalAutoencoder(Autoencoder):
    """A variational autoencoder (VAE), or a beta-VAE, with the scikit-learn interface.

    The encoder gives a Gaussian posterior q(z|x) = N(mu, sigma^2); training maximises the
    evidence lower bound ``ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))``, with the KL
    weighted by ``beta``. ``transform`` gives the posterior means, ``inverse_transform``
    and ``sample`` decode codes (the prior's draws for ``sample``) to the decoder's mean,
    ``score_samples`` is the ELBO of each sample and ``log_likelihood`` an importance-
    sampled estimate of log p(x). All likelihoods are in nats per sample.

    Parameters
    ----------
    latent_dim : int, default=32
        Size of the code z.
    model : {"dense", "conv"}, default="dense"
        MLP, or convolutional (images: X of shape (N, C, H, W), (N, H, W), or flat with
        ``image_shape``).
    hidden : tuple of int, default=(512,)
        Dense encoder hidden widths, outermost first; the decoder mirrors them. The default
        is pythae's default MLP (784-512-[mu, logvar] / latent-512-784 on MNIST).
    channels : tuple of int, default=(32, 64)
        Convolutional stages (each conv + 2x2 pooling), for ``model="conv"``.
    activation : str, default="relu"
        Hidden-layer activation.
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE). 1 trains on the ELBO; larger
        values trade reconstruction for a code closer to the prior (smaller KL).
    likelihood : {"bernoulli", "gaussian"}, default="bernoulli"
        Decoder distribution p(x|z). "bernoulli" needs (scaled) data in [0, 1]: binary
        data, or grey levels under the usual cross-entropy convention. "gaussian" models
        any real data, with variance ``obs_var``.
    obs_var : float, optional
        Gaussian decoder variance, in scaled units; None (default) learns one per feature
        (bounded below by about 1e-6). Ignored by "bernoulli".
    center_inputs : bool, default=True
        Subtract the training mean from the input inside the encoder (a saved buffer;
        the output layer starts at the mean image either way). On full MNIST it helped,
        most with a one-cycle schedule (784-32-784, 50 epochs, test BCE 0.0898 vs 0.0902
        without); on 4,000 digits at a constant lr 1e-3 it hurt (0.1058 vs 0.0983): turn
        it off for small data trained at a low constant lr.
    kl_warmup : int, default=0
        Raise the KL weight linearly from 0 to ``beta`` over this many epochs (fewer
        inactive latent units). The history's ``loss`` (and ``val_loss``, which early
        stopping watches) is the annealed one: give ``early_stopping`` more patience than this.
    binarize : bool, default=False
        Dynamic binarisation: every training batch is resampled as binary data with the
        grey levels as probabilities (the standard for "binarised MNIST" likelihoods).
        Validation data are binarised once. Needs ``likelihood="bernoulli"``.
    scale : {"auto", "none", "minmax", "standard"}, default="auto"
        Feature scaling, as in :class:`Autoencoder`; "auto" leaves data in [0, 1] alone
        and min-max scales anything else.
    image_shape : tuple (C, H, W), optional
    epochs : int, default=20
    batch_size : int, default=128
    lr : float, default=1e-3
    lr_schedule : {"constant", "cosine", "onecycle"}, default="constant"
        How the learning rate moves over the run, step by step: constant; cosine decay
        to zero; or "onecycle", a linear warm-up over the first 10% of the steps to
        ``lr`` then cosine decay to zero, which trains faster at a higher peak ``lr``
        (e.g. 1e-2 for dense models). Not combinable with ``reduce_lr_patience``.
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
    early_stopping : int, optional
    reduce_lr_patience : int, optional
    clip_grad_norm : float, optional
    shuffle : bool, default=True
    device : str, default="auto"
    random_state : int, optional
        Seeds initialisation, shuffling, the reparameterised samples and binarisation; the
        caller's global RNG is not touched.
    verbose : bool, default=False

    Attributes
    ----------
    module_ : VAE or ConvVAE
        The trained network, in eval mode.
    spec_ : VAESpec or ConvVAESpec
    scaler_ : Scaler
    history_ : list of dict
        One record per epoch: ``loss`` (recon + beta * kl), ``recon``, ``kl`` (nats per
        sample on the scaled training data), ``val_*``, ``lr``, ``seconds``.
    n_features_in_ : int
    input_shape_ : tuple of int
    output_ : str
        "sigmoid" (Bernoulli means) or "linear" (Gaussian means).

    Notes
    -----
    Gaussian likelihoods are reported for the data in their original units: the log
    Jacobian of the fitted scaling is added, so ``score_samples`` and ``log_likelihood``
    do not depend on ``scale``. Bernoulli likelihoods are for the scaled values.

    References
    ----------
    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    Higgins et al., "beta-VAE", ICLR 2017. Burda et al., "Importance Weighted Autoencoders", ICLR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> X = (np.random.default_rng(0).random((256, 20)) > 0.5).astype(float)
    >>> vae = VariationalAutoencoder(latent_dim=2, hidden=(16,), epochs=2, random_state=0).fit(X)
    >>> vae.transform(X).shape, vae.sample(3, random_state=0).shape
    ((256, 2), (3, 20))
    """

    def __init__(self, latent_dim: int = 32, *, model: str = "dense", hidden: Sequence[int] = (512,),
                 channels: Sequence[int] = (32, 64), activation: str = "relu", beta: float = 1.0,
                 likelihood: str = "bernoulli", obs_var: float | None = None, kl_warmup: int = 0,
                 center_inputs: bool = True,
                 binarize: bool = False, scale: str = "auto", image_shape: Sequence[int] | None = None,
                 epochs: int = 20, batch_size: int = 128, lr: float = 1e-3, lr_schedule: str = "constant",
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
        self.beta = beta
        self.likelihood = likelihood
        self.obs_var = obs_var
        self.kl_warmup = kl_warmup
        self.center_inputs = center_inputs
        self.binarize = binarize
        self.scale = scale
        self.image_shape = image_shape
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
        check_choice("model", self.model, tuple(_KINDS))
        for name in ("hidden", "channels"):
            widths = getattr(self, name)
            if isinstance(widths, (int, np.integer)):
                widths = (widths,)
            if not isinstance(widths, (tuple, list)) or not all(
                    isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in widths):
                raise InputError(f"{name} must be a tuple of ints >= 1 (e.g. (512,)), got {getattr(self, name)!r}.")
        if self.model == "conv" and len(self._widths("channels")) == 0:
            raise InputError("channels must name at least one convolutional stage for model='conv', e.g. (32, 64).")
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_float("beta", self.beta, low=0.0)
        check_choice("likelihood", self.likelihood, LIKELIHOODS)
        check_float("obs_var", self.obs_var, low=0.0, low_inclusive=False, allow_none=True)
        check_int("kl_warmup", self.kl_warmup, minimum=0)
        if not isinstance(self.binarize, (bool, np.bool_)):
            raise InputError(f"binarize must be True or False, got {self.binarize!r}.")
        if self.binarize and self.likelihood != "bernoulli":
            raise InputError("binarize=True resamples binary data, which only likelihood='bernoulli' models; "
                             f"got likelihood={self.likelihood!r}. Use likelihood='bernoulli' or binarize=False.")
        check_choice("scale", self.scale, _SCALES)
        check_training_params(self)

    # ------------------------------------------------------------------ build
    def _make_spec(self, module_shape: tuple[int, ...], output: str = "") -> VAESpec | ConvVAESpec:  # type: ignore[override]
        obs_var = None if self.obs_var is None else float(self.obs_var)
        if self.model == "dense":
            return VAESpec(n_features=module_shape[0], latent_dim=int(self.latent_dim),
                           hidden=self._widths("hidden"), activation=self.activation,
                           likelihood=self.likelihood, obs_var=obs_var)  # type: ignore[arg-type]
        c, h, w = module_shape
        return ConvVAESpec(in_channels=c, height=h, width=w, latent_dim=int(self.latent_dim),
                           channels=self._widths("channels"), activation=self.activation,
                           likelihood=self.likelihood, obs_var=obs_var)  # type: ignore[arg-type]

    def _objective(self) -> ELBOObjective:  # type: ignore[override]
        return ELBOObjective(beta=float(self.beta), binarize=bool(self.binarize))

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: Any = None, *, validation_data: ArrayLike | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False,
            callbacks: Sequence[Callback] = ()) -> "VariationalAutoencoder":
        """Train on X by maximising the ELBO (y is ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
        y : ignored
        validation_data : array-like, optional
            Held-out samples shaped like X (overrides ``validation_fraction``).
        checkpoint_dir : path, optional
            Write a checkpoint there after every epoch.
        resume : bool, default=False
            Continue from the checkpoint in ``checkpoint_dir`` if there is one.
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
            order = np.random.default_rng(self.random_state).permutation(len(Xm))
            n_val = max(1, int(round(len(Xm) * self.validation_fraction)))
            Xv, Xm = Xm[order[:n_val]], Xm[order[n_val:]]
        elif validation_data is not None:
            Xv = self._to_module(check_features(validation_data, estimator=self, reset=False))
        else:
            Xv = None
        self.scaler_ = choose_scaling(Xm, self.scale).fit(Xm)
        Xs = self.scaler_.transform(Xm)
        if self.likelihood == "bernoulli" and (float(Xs.min()) < 0.0 or float(Xs.max()) > 1.0):
            raise InputError(
                f"likelihood='bernoulli' needs data in [0, 1], but the scaled training data span "
                f"[{Xs.min():.3g}, {Xs.max():.3g}] (scale={self.scale!r}). Use scale='minmax' (or 'auto'), "
                "or likelihood='gaussian'.")
        self.output_ = "sigmoid" if self.likelihood == "bernoulli" else "linear"
        self.spec_ = self._make_spec(tuple(Xm.shape[1:]))  # type: ignore[assignment]
        with _seeded(self.random_state):
            self.module_ = build(_KINDS[self.model], self.spec_)
        self.module_.init_from_data(torch.from_numpy(Xs.mean(axis=0, dtype=np.float64)),
                                    center=bool(self.center_inputs))
        if self.likelihood == "gaussian" and self.obs_var is None:
            # Start the learned variance at the data's own variance: the untrained decoder is then
            # the "mean plus noise" model, and the reconstruction term is weighted right from the
            # first step. Starting at 1 on [0, 1]-scaled data made it ~25x too weak against the
            # KL term, and the posterior collapsed (KL 0.16 nats after 30 epochs on a rank-3
            # table; 2.6 nats with this start).
            var = Xs.var(axis=0, dtype=np.float64)  # one per feature (per pixel for images)
            with torch.no_grad():
                self.module_.get_parameter("obs_log_var").copy_(torch.from_numpy(np.log(np.maximum(var, 1e-12))))
        Xvs = None if Xv is None else self.scaler_.transform(Xv)
        if Xvs is not None and self.binarize:  # one fixed binarisation, so val_loss is comparable across epochs
            Xvs = (np.random.default_rng(self.random_state).random(Xvs.shape) < Xvs).astype(np.float32)
        objective = self._objective()
        hooks: list[Any] = [KLWarmup(objective, int(self.kl_warmup))] if self.kl_warmup else []
        if self.verbose:
            hooks.append(ProgressBar())
        self.history_ = fit_module(
            self.module_, Xs, objective, self._train_config(checkpoint_dir, resume), val=Xvs,
            callbacks=[*hooks, *callbacks], fingerprint=fingerprint_of(self.get_params(), list(X.shape)))
        self.module_.cpu()
        return self

    # ------------------------------------------------------------------ use
    def transform(self, X: ArrayLike) -> np.ndarray:
        """Posterior means mu(x).

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._map(self._prepare(X), lambda xb: self.module_.encode(xb)[0])  # type: ignore[operator]

    def jacobian_norm(self, X: ArrayLike, batch_size: int = 256) -> np.ndarray:
        """Frobenius norm ``‖∂mu/∂x‖_F`` of the posterior mean's Jacobian at each sample
        (with respect to the scaled input the network sees), by autograd.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        Xs = self._prepare(X)
        dev = self._device()
        self.module_.to(dev).eval()

        def mean_code(x: torch.Tensor) -> torch.Tensor:
            return self.module_.encode(x)[0]  # type: ignore[operator, no-any-return]

        norms = [jacobian_norm(mean_code, xb).cpu().numpy() for xb in eval_batches(Xs, batch_size, dev)]
        self.module_.cpu()
        return np.concatenate(norms)

    def _log_jacobian(self) -> float:
        """log |d x_scaled / d x| summed over one sample: turns Gaussian densities of scaled data
        into densities of the original data. Zero for Bernoulli (a pmf of the scaled values)."""
        if self.likelihood != "gaussian" or self.scaler_.method == "none":
            return 0.0
        scale = np.broadcast_to(self.scaler_.scale.astype(np.float64), (int(self.n_features_in_),))
        return float(-np.log(scale).sum())

    def _eps(self, n: int, random_state: int | None) -> torch.Tensor:
        gen = torch.Generator()
        if random_state is None:
            gen.seed()  # fresh entropy, without drawing from (and so moving) the global RNG
        else:
            gen.manual_seed(int(random_state))
        return torch.randn((n, self.spec_.latent_dim), generator=gen)

    def _elbo_parts(self, X: ArrayLike, n_samples: int, random_state: int | None) -> tuple[np.ndarray, np.ndarray]:
        Xs = self._prepare(X)
        eps = self._eps(n_samples, random_state)
        dev = self._device()
        self.module_.to(dev).eval()
        recon, kl = [], []
        with torch.no_grad():
            for xb in eval_batches(Xs, 1024, dev):
                t = elbo_terms(self.module_, xb, eps.to(dev))
                recon.append(t["recon"].cpu().numpy())
                kl.append(t["kl"].cpu().numpy())
        self.module_.cpu()
        return np.concatenate(recon).astype(np.float64) - self._log_jacobian(), np.concatenate(kl).astype(np.float64)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """ELBO of each sample in nats (a lower bound on log p(x)): higher = more typical.

        Estimated with 16 latent draws shared by all rows, so the result is deterministic
        and a row's score does not depend on the other rows. The anomaly score is its
        negative.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        recon, kl = self._elbo_parts(X, _SCORE_DRAWS, 0)
        return -(recon + kl)

    def elbo(self, X: ArrayLike, *, n_samples: int = 16, random_state: int | None = 0) -> dict[str, float]:
        """Mean ELBO of X and its two parts, in nats per sample (beta is not applied).

        Parameters
        ----------
        X : array-like
        n_samples : int, default=16
            Latent draws per sample for the reconstruction expectation.
        random_state : int or None, default=0
            Seeds the draws (None = fresh ones).

        Returns
        -------
        dict
            ``{"elbo": ..., "recon": ..., "kl": ...}`` with ``elbo = -(recon + kl)``;
            ``recon`` = -E_q[log p(x|z)] and ``kl`` = KL(q(z|x) || N(0, I)).
        """
        check_int("n_samples", n_samples)
        recon, kl = self._elbo_parts(X, n_samples, random_state)
        return {"elbo": float(-(recon + kl).mean()), "recon": float(recon.mean()), "kl": float(kl.mean())}

    def log_likelihood(self, X: ArrayLike, k: int = 1000, *, random_state: int | None = 0,
                       batch_size: int = 256) -> np.ndarray:
        """Importance-sampled estimate of log p(x) for each sample, in nats (Burda et al. 2016).

        ``log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x)`` with z_i ~ q(z|x). It is a lower
        bound in expectation that is never looser than the ELBO and tightens as k grows;
        the negative mean is the usual "test NLL". Memory stays bounded for any k (the
        draws are processed in chunks).

        Parameters
        ----------
        X : array-like
        k : int, default=1000
            Importance samples per sample.
        random_state : int or None, default=0
            Seeds the draws, which all rows share (None = fresh ones).
        batch_size : int, default=256
            Rows evaluated together.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_int("k", k)
        check_int("batch_size", batch_size)
        Xs = self._prepare(X)
        eps = self._eps(k, random_state)
        dev = self._device()
        self.module_.to(dev).eval()
        out = [importance_log_likelihood(self.module_, xb, eps.to(dev)).cpu().numpy()
               for xb in eval_batches(Xs, batch_size, dev)]
        self.module_.cpu()
        return np.concatenate(out).astype(np.float64) + self._log_jacobian()

    def sample(self, n_samples: int = 1, *, random_state: int | None = None) -> np.ndarray:
        """Draw codes from the prior N(0, I) and decode them.

        Returns the decoder's mean for each draw (pixel probabilities for Bernoulli), in
        the original units and per-sample shape of the training data.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, optional
            Seeds the draws; the global RNG is not touched.

        Returns
        -------
        ndarray of shape (n_samples, *input_shape_)
        """
        check_is_fitted(self)
        check_int("n_samples", n_samples)
        z = self._eps(n_samples, random_state).numpy()
        return self.inverse_transform(z)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path."""
        check_is_fitted(self)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        config = {
            "estimator": type(self).__name__,
            "params": params,
            "model": {"kind": _KINDS[self.model], "spec": spec_to_dict(self.spec_)},
            "fitted": {"input_shape": list(self.input_shape_), "n_features_in": int(self.n_features_in_),
                       "output": self.output_, "scaler": self.scaler_.to_config(),
                       "feature_names_in": list(getattr(self, "feature_names_in_", [])) or None,
                       "epochs_run": len(self.history_), "history": self.history_},
        }
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        tensors.update({f"scaler.{k}": torch.from_numpy(np.asarray(v)) for k, v in self.scaler_.state().items()})
        return save_model(folder, config, tensors)

