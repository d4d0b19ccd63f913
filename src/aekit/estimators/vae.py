"""``VariationalAutoencoder``: a VAE / beta-VAE with the scikit-learn estimator interface."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from aekit.data.batching import eval_batches
from aekit.data.checks import check_choice, check_float, check_int, check_is_fitted
from aekit.data.scaling import choose_scaling
from aekit.errors import InputError
from aekit.estimators import _shapes
from aekit.estimators._base import BaseAutoencoder, with_training_doc
from aekit.estimators._params import defaults
from aekit.losses.elbo import ELBOObjective, elbo_terms, importance_log_likelihood
from aekit.losses.penalties import jacobian_norm
from aekit.models.blocks import ACTIVATIONS
from aekit.models.vae import LIKELIHOODS, ConvVAESpec, PosteriorMean, VAESpec
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.loop import fingerprint_of, fit_module

_D = defaults("VariationalAutoencoder")
_SCALES = ("auto", "none", "minmax", "standard")
_KINDS = {"dense": "vae", "conv": "conv-vae"}  # estimator ``model`` -> registry name
_SCORE_DRAWS = 16  # latent draws behind score_samples (shared by all rows, so it is deterministic)


@with_training_doc
class VariationalAutoencoder(BaseAutoencoder):
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
    %(training_params)s

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

    ``batch_size`` defaults to 128, not the other estimators' 256: pythae's MNIST VAE
    recipe, at which the VAE benchmarks were measured. ``random_state`` also seeds the
    reparameterised samples and the binarisation.

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

    _KINDS: ClassVar[tuple[str, ...]] = tuple(_KINDS.values())
    deterministic_encoder: ClassVar[bool] = True  # the posterior mean

    def __init__(self, latent_dim: int = _D["latent_dim"], *, model: str = _D["model"],
                 hidden: Sequence[int] = _D["hidden"], channels: Sequence[int] = _D["channels"],
                 activation: str = _D["activation"], beta: float = _D["beta"], likelihood: str = _D["likelihood"],
                 obs_var: float | None = _D["obs_var"], kl_warmup: int = _D["kl_warmup"],
                 center_inputs: bool = _D["center_inputs"], binarize: bool = _D["binarize"], scale: str = _D["scale"],
                 image_shape: Sequence[int] | None = _D["image_shape"],
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
        self.compile = compile
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_int("latent_dim", self.latent_dim)
        check_choice("model", self.model, tuple(_KINDS))
        _shapes.check_widths(self, "(512,)")
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
        self._check_training_params()

    # ------------------------------------------------------------------ build
    def _make_spec(self, module_shape: tuple[int, ...]) -> VAESpec | ConvVAESpec:
        obs_var = None if self.obs_var is None else float(self.obs_var)
        if self.model == "dense":
            return VAESpec(n_features=module_shape[0], latent_dim=int(self.latent_dim),
                           hidden=_shapes.widths(self.hidden), activation=self.activation,
                           likelihood=self.likelihood, obs_var=obs_var)  # type: ignore[arg-type]
        c, h, w = module_shape
        return ConvVAESpec(in_channels=c, height=h, width=w, latent_dim=int(self.latent_dim),
                           channels=_shapes.widths(self.channels), activation=self.activation,
                           likelihood=self.likelihood, obs_var=obs_var)  # type: ignore[arg-type]

    def _objective(self) -> ELBOObjective:
        return ELBOObjective(beta=float(self.beta), binarize=bool(self.binarize), kl_warmup=float(self.kl_warmup))

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
        X, Xm, Xv = _shapes.fit_samples(self, X, validation_data)
        self.scaler_ = choose_scaling(Xm, self.scale).fit(Xm)
        Xs = self.scaler_.transform(Xm)
        if self.likelihood == "bernoulli" and (float(Xs.min()) < 0.0 or float(Xs.max()) > 1.0):
            raise InputError(
                f"likelihood='bernoulli' needs data in [0, 1], but the scaled training data span "
                f"[{Xs.min():.3g}, {Xs.max():.3g}] (scale={self.scale!r}). Use scale='minmax' (or 'auto'), "
                "or likelihood='gaussian'.")
        self.output_ = "sigmoid" if self.likelihood == "bernoulli" else "linear"
        self.spec_ = self._make_spec(tuple(Xm.shape[1:]))
        self.module_ = self._build(_KINDS[self.model], self.spec_)
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
        self.history_ = fit_module(
            self.module_, Xs, self._objective(), self._train_config(checkpoint_dir, resume), val=Xvs,
            callbacks=[*([ProgressBar()] if self.verbose else []), *callbacks],
            fingerprint=fingerprint_of(self.get_params(), list(X.shape)))
        self.module_.cpu()
        return self

    # ------------------------------------------------------------------ use
    def network_input(self, X: ArrayLike) -> np.ndarray:
        """X checked, shaped and scaled as the fitted network takes it (see :meth:`encoder_module`)."""
        return _shapes.network_input(self, X)

    def encoder_module(self) -> nn.Module:
        """The posterior mean ``x -> mu(x)`` (a :class:`~aekit.models.vae.PosteriorMean` sharing the weights)."""
        check_is_fitted(self)
        return PosteriorMean(self.module_)

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Posterior means mu(x).

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._map(self.network_input(X), PosteriorMean(self.module_).encode)

    def jacobian_norm(self, X: ArrayLike, batch_size: int = 256) -> np.ndarray:
        """Frobenius norm ``‖∂mu/∂x‖_F`` of the posterior mean's Jacobian at each sample
        (with respect to the scaled input the network sees), by autograd.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        Xs = self.network_input(X)
        dev = self._device()
        self.module_.to(dev).eval()
        mean_code = PosteriorMean(self.module_).encode
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
        Xs = self.network_input(X)
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
        Xs = self.network_input(X)
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

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Decode codes to the decoder's mean, in original units and the per-sample shape seen in fit.

        Returns
        -------
        ndarray of shape (n_samples, *input_shape_)
        """
        return _shapes.decode(self, Z)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Reconstruct X through the posterior mean (decode mu(x)), in X's original units and shape."""
        return _shapes.reconstruct(self, X)

    reconstruct = predict

    # ------------------------------------------------------------------ persistence
    def _model_kind(self) -> str:
        return _KINDS[self.model]

    def _fitted_config(self) -> dict[str, Any]:
        return {"input_shape": list(self.input_shape_), "output": self.output_, **super()._fitted_config()}

    def _load_fitted(self, fitted: dict[str, Any]) -> None:
        self.input_shape_ = tuple(fitted["input_shape"])
        self.output_ = fitted["output"]
