"""``ImageCompressor``: learned lossy image compression to ``.aek`` bytes.

Fits a rate–distortion autoencoder (:class:`aekit.models.compression.RateDistortionAE`,
loss ``MSE + rate_lambda · bits per pixel``), then freezes its latent density into
integer tables (:mod:`aekit.io.entropy`) so that every process codes the same bits.
``compress`` gives the bytes of an ``.aek`` container (:mod:`aekit.io.aek_format`),
``decompress`` the images back.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from aekit.data.checks import check_finite, check_float, check_int, check_is_fitted
from aekit.errors import InputError, ModelFileError
from aekit.estimators._base import seeded
from aekit.estimators._params import TRAINING, defaults
from aekit.estimators._training import check_training_params, train_config
from aekit.io.aek_format import AekWriter, check_model, model_sha256, open_aek, read_aek
from aekit.io.entropy import (EntropyCoder, EntropyTables, HyperpriorCoder, build_scale_tables, build_tables,
                              scale_indices)
from aekit.io.model_file import save_model
from aekit.losses.rate import RateDistortionObjective
from aekit.models.compression import PRIORS, CompressionSpec, RateDistortionAE
from aekit.models.registry import check_state_shapes
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.loop import fingerprint_of, fit_module

_T = TRAINING
_D = defaults("ImageCompressor")
_BATCH = 512  # images through the transforms at a time when coding


def _images(X: ArrayLike, what: str = "X") -> tuple[np.ndarray, str, int]:
    """``X`` as float32 ``(N, C, H, W)`` in [0, 1], its dtype name and its rank (3 or 4)."""
    try:
        arr = np.asarray(X)
    except Exception as exc:
        raise InputError(f"{what} could not be read as an array ({exc}); pass images as a NumPy array.") from exc
    if arr.ndim not in (3, 4) or arr.size == 0:
        raise InputError(f"{what} must be images of shape (N, H, W) or (N, C, H, W) (channels first), "
                         f"got shape {arr.shape}.")
    if arr.dtype == np.uint8:
        dtype, x = "uint8", arr.astype(np.float32) / 255.0
    elif arr.dtype.kind in "fb":
        dtype = "float64" if arr.dtype == np.float64 else "float32"
        x = arr.astype(np.float32)
        check_finite(x, what=what, owner="ImageCompressor")
        lo, hi = float(x.min()), float(x.max())
        if lo < 0.0 or hi > 1.0:
            raise InputError(f"{what} has float values in [{lo:g}, {hi:g}]; ImageCompressor takes uint8 images "
                             "(0-255) or floats in [0, 1]. Scale them, e.g. X / 255.")
    else:
        raise InputError(f"{what} has dtype {arr.dtype}; ImageCompressor takes uint8 images (0-255) or floats "
                         "in [0, 1].")
    if arr.ndim == 3:
        x = x[:, None]  # (N, 1, H, W)
    return np.ascontiguousarray(x), dtype, arr.ndim


class ImageCompressor(BaseEstimator):
    """Learned lossy image compression (Ballé et al. 2017, 2018) with real bits on disk.

    ``fit`` trains convolutional analysis/synthesis transforms and an entropy model of
    their quantised latents on ``MSE + rate_lambda · bpp``: by default a mean-scale
    hyperprior (a second, small autoencoder sends a few bits of side information from
    which the decoder predicts a Gaussian for every latent), or one learned density per
    channel (``prior="factorized"``). The learned densities are then frozen into integer
    tables saved with the model. ``compress`` range-codes each image's
    rounded latents (``constriction``) into one ``.aek`` container; ``decompress`` reads
    it back, refusing corrupt files and files written by another model. Decoding gives
    the same latents in any process that loads the same model, and the same image on the
    same platform and torch build. Under the factorized prior the latents depend only on
    integer tables; under the hyperprior each latent's table is chosen from a float64
    computation (the hyper-synthesis), so another CPU type or torch build decodes the
    same latents unless a predicted scale falls within float64 rounding (~1e-15
    relative) of a rung boundary of the scale ladder, about 1e-14 per latent.

    Parameters
    ----------
    rate_lambda : float, default=0.01
        Weight of the rate (bits per pixel) against the distortion (MSE on [0, 1]):
        larger = smaller files, lower quality (BENCHMARKS.md shows the rates it gives on
        MNIST and Fashion-MNIST).
    prior : {"hyperprior", "factorized"}, default="hyperprior"
        The entropy model. "hyperprior" (Ballé et al. 2018, with predicted means as in
        Minnen et al. 2018; its hyper-transforms have ``hidden`` and ``latent_channels``
        channels) used 27-30% fewer bits at a 0.6-1.4 dB higher PSNR than "factorized" on
        MNIST (BENCHMARKS.md, bench_compress_prior); "factorized" codes faster.
    latent_channels : int, default=16
        Channels of the latent grid; unused ones cost almost no bits. They cap the quality:
        on Fashion-MNIST at rate_lambda 3e-4, 16 channels stopped at 25.7 dB and 32
        reached 28.3 dB (at 1.6x the bits), in one exploratory run. Raise it for high rates.
    hidden : int, default=64
        Channels of the hidden convolutions (in an exploratory run on MNIST, 64 gave about
        +1 dB over 32 at the same rate, at twice the time per step).
    stages : int, default=3
        Stride-2 convolutions: the latent grid is ``ceil(H / 2**stages) x ceil(W / 2**stages)``.
    kernel_size : int, default=5
    warm_start : bool, default=False
        When fitted already, ``fit`` continues training the same network (e.g. after
        ``set_params(rate_lambda=...)``: a model of another rate at a fraction of the
        cost) instead of starting afresh. The architecture must not change.
    epochs : int, default=20
    batch_size : int, default=32
    lr : float, default=3e-3
    lr_schedule : {"constant", "cosine", "onecycle"}, default="onecycle"
        Many small steps with a one-cycle schedule: on MNIST +0.9 dB over Adam 1e-3 at a
        constant rate for the same steps (``aekit.estimators._params.FAMILY_TRAINING``).
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
    early_stopping : int, optional
    reduce_lr_patience : int, optional
    clip_grad_norm : float, optional
    shuffle : bool, default=True
    device : str, default="auto"
        Where to train; coding always runs on the CPU, for reproducible files.
    random_state : int, optional
    verbose : bool, default=False
    compile : bool, default=False
        The training parameters mean what they mean for every aekit estimator
        (:data:`aekit.estimators._params.TRAINING_PARAMS_DOC`).

    Attributes
    ----------
    module_ : RateDistortionAE
    spec_ : CompressionSpec
    tables_ : EntropyTables
        The frozen integer density of the latents (factorized) or of the side information
        ``z`` (hyperprior).
    scale_tables_ : EntropyTables or None
        Under the hyperprior, the integer tables of the Gaussian scale ladder.
    model_sha256_ : str
        The model's identity, written into every ``.aek`` file it makes.
    n_channels_in_ : int
    history_ : list of dict
        Per-epoch ``loss``, ``mse`` and ``bpp`` (estimated from the density, in training).

    See Also
    --------
    aekit.apps.compress.compress_images : files, decoded images, JPEG baseline and plots.

    References
    ----------
    J. Ballé, V. Laparra, E. P. Simoncelli, "End-to-end optimized image compression", ICLR 2017.

    Examples
    --------
    >>> comp = ImageCompressor(rate_lambda=0.01, epochs=5, random_state=0).fit(X_train)  # doctest: +SKIP
    >>> data = comp.compress(X_test)          # bytes of an .aek container
    >>> X_back = comp.decompress(data)        # same shape and dtype as X_test
    """

    module_: RateDistortionAE
    spec_: CompressionSpec
    tables_: EntropyTables
    model_sha256_: str
    n_channels_in_: int
    input_ndim_: int
    history_: list[dict[str, Any]]

    def __init__(self, rate_lambda: float = 0.01, *, prior: str = "hyperprior", latent_channels: int = 16,
                 hidden: int = 64, stages: int = 3, kernel_size: int = 5, warm_start: bool = False, epochs: int = _D["epochs"], batch_size: int = _D["batch_size"],
                 lr: float = _D["lr"], lr_schedule: str = _D["lr_schedule"], weight_decay: float = _T["weight_decay"],
                 validation_fraction: float = _T["validation_fraction"], early_stopping: int | None = _T["early_stopping"],
                 reduce_lr_patience: int | None = _T["reduce_lr_patience"],
                 clip_grad_norm: float | None = _T["clip_grad_norm"], shuffle: bool = _T["shuffle"],
                 device: str = _T["device"], random_state: int | None = _T["random_state"],
                 verbose: bool = _T["verbose"], compile: bool = _T["compile"]) -> None:
        self.rate_lambda = rate_lambda
        self.prior = prior
        self.latent_channels = latent_channels
        self.hidden = hidden
        self.stages = stages
        self.kernel_size = kernel_size
        self.warm_start = warm_start
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

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: Any = None, *, validation_data: ArrayLike | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False,
            callbacks: Sequence[Callback] = ()) -> ImageCompressor:
        """Train the transforms and the density on images ``X``, then freeze the tables.

        Parameters
        ----------
        X : array-like, shape (N, H, W) or (N, C, H, W)
            uint8 images (0-255) or floats in [0, 1].
        y : ignored
        validation_data : array-like, optional
            Held-out images of the same channels as X (overrides ``validation_fraction``).
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
        check_float("rate_lambda", self.rate_lambda, low=0.0, low_inclusive=False)
        if self.prior not in PRIORS:
            raise InputError(f"prior must be one of {', '.join(map(repr, PRIORS))}, got {self.prior!r}: 'hyperprior' "
                             "codes the latents under a Gaussian predicted per image (smaller files), 'factorized' "
                             "under one learned density per channel (Ballé 2017).")
        for name in ("latent_channels", "hidden", "stages", "kernel_size"):
            check_int(name, getattr(self, name))
        if self.kernel_size % 2 == 0:
            raise InputError(f"kernel_size must be odd (it keeps the stride-2 grid aligned), got {self.kernel_size}.")
        check_training_params(self)
        x, _, ndim = _images(X)
        spec = CompressionSpec(in_channels=x.shape[1], latent_channels=int(self.latent_channels),
                               hidden=int(self.hidden), stages=int(self.stages), kernel_size=int(self.kernel_size),
                               prior=str(self.prior), hyper_hidden=int(self.hidden),
                               hyper_channels=int(self.latent_channels))
        if self.warm_start and hasattr(self, "module_"):
            if spec != self.spec_:
                raise InputError(f"warm_start continues the fitted network, whose architecture {self.spec_} differs "
                                 f"from the one asked for now, {spec}; set warm_start=False to start afresh.")
            module = self.module_
        else:
            with seeded(self.random_state):
                module = RateDistortionAE(spec)
        train, val = x, None
        if validation_data is not None:
            val, _, _ = _images(validation_data, "validation_data")
            if val.shape[1] != x.shape[1]:
                raise InputError(f"validation_data has {val.shape[1]} channel(s) but X has {x.shape[1]}; pass "
                                 "held-out images like X.")
        elif self.validation_fraction:
            order = np.random.default_rng(self.random_state).permutation(len(x))
            n_val = max(1, int(round(len(x) * self.validation_fraction)))
            train, val = x[order[n_val:]], x[order[:n_val]]
        hooks = [*([ProgressBar()] if self.verbose else []), *callbacks]
        self.history_ = fit_module(module, train, RateDistortionObjective(float(self.rate_lambda)),
                                   train_config(self, checkpoint_dir, resume), val=val, callbacks=hooks,
                                   fingerprint=fingerprint_of(self.get_params(), list(x.shape)))
        # coding runs on the CPU in the layout a loaded model has (training may leave channels_last
        # weights, whose float rounding differs): the same images in this process and in a fresh one
        module.cpu().eval().to(memory_format=torch.contiguous_format)
        self.spec_, self.module_ = spec, module
        self.n_channels_in_, self.input_ndim_ = int(x.shape[1]), int(ndim)
        self.tables_ = build_tables(module.density)
        self.scale_tables_ = build_scale_tables() if spec.prior == "hyperprior" else None
        self._module64 = None
        self.model_sha256_ = self._digest()
        return self

    # ------------------------------------------------------------------ coding
    def _digest(self) -> str:
        return model_sha256({"kind": "compression", "spec": _spec_json(self.spec_)}, self._tensors())

    def _tensors(self) -> dict[str, torch.Tensor]:
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        tensors.update({f"tables.{k}": v for k, v in self.tables_.to_tensors().items()})
        if self.scale_tables_ is not None:
            tensors.update({f"scale_tables.{k}": v for k, v in self.scale_tables_.to_tensors().items()})
        return tensors

    def _side(self, zq: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Means (float64) and scale rungs (int32) of one image's ``(M, *size)`` latents from its integer ``z``.

        In float64 and one image at a time, identically when encoding and decoding, so both
        sides snap every scale to the same rung (float32 could differ with the batch size).
        """
        if getattr(self, "_module64", None) is None:
            self._module64 = copy.deepcopy(self.module_).double().eval()
        mean, scale = self._module64.hyper_params(torch.from_numpy(zq[None].astype(np.float64)), size)
        return mean[0].numpy(), scale_indices(scale[0].numpy())

    def _check_input(self, X: ArrayLike) -> tuple[np.ndarray, str, int]:
        check_is_fitted(self)
        x, dtype, ndim = _images(X)
        if x.shape[1] != self.n_channels_in_:
            raise InputError(f"X has {x.shape[1]} channel(s) but this ImageCompressor was fitted on "
                             f"{self.n_channels_in_}; pass (N, {self.n_channels_in_}, H, W) images.")
        return x, dtype, ndim

    @torch.no_grad()
    def latents(self, X: ArrayLike) -> np.ndarray:
        """The integer latents the coder writes, int32 ``(N, M, h, w)``: ``round(y)``, or under the
        hyperprior ``round(y - mean)``, clipped into their tables (the side information ``z`` not included)."""
        x, _, _ = self._check_input(X)
        return np.stack([q for q, _, _ in self._coded(x, self._coder())]) if len(x) else np.zeros((0,), np.int32)

    def _coder(self) -> EntropyCoder | HyperpriorCoder:
        """The entropy coder of this model's prior."""
        if self.spec_.prior == "hyperprior":
            return HyperpriorCoder(self.tables_, self.scale_tables_)  # type: ignore[arg-type]
        return EntropyCoder(self.tables_)

    def _coded(self, x: np.ndarray, coder: EntropyCoder | HyperpriorCoder
               ) -> Iterator[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """Per image: ``(latent symbols, integer z, scale rungs)``; the last two None under the factorized prior.
        The symbols are clipped into their tables, as the decoder will read them."""
        self.module_.eval()
        with torch.no_grad():
            for i in range(0, len(x), _BATCH):
                y = self.module_.analysis(torch.from_numpy(x[i: i + _BATCH]))
                if isinstance(coder, EntropyCoder):
                    lows = coder.tables.offsets[:, None]
                    for q in torch.round(y).to(torch.int32).numpy():
                        yield (coder.symbols(q) + lows).reshape(q.shape), None, None
                    continue
                zs = torch.round(self.module_.hyper_analysis(y)).to(torch.int32).numpy()
                size = (y.shape[-2], y.shape[-1])
                for y1, zq in zip(y.double().numpy(), zs):
                    mean, rungs = self._side(zq, size)
                    yield coder.clip(np.rint(y1 - mean), rungs), zq, rungs

    def _records(self, x: np.ndarray) -> Iterator[bytes]:
        coder = self._coder()
        for q, zq, rungs in self._coded(x, coder):
            yield coder.encode(q) if isinstance(coder, EntropyCoder) else coder.encode(zq, q, rungs)  # type: ignore[arg-type]

    def compress(self, X: ArrayLike) -> bytes:
        """The ``.aek`` bytes of images ``X`` (one container, one record per image).

        Parameters
        ----------
        X : array-like, shape (N, H, W) or (N, C, H, W)
            uint8 (0-255) or float images in [0, 1], any H and W, the fitted channel count.

        Returns
        -------
        bytes
        """
        x, dtype, ndim = self._check_input(X)
        buf = io.BytesIO()
        writer = AekWriter(buf, model_sha256=self.model_sha256_, dtype=dtype, shape=x.shape[1:], ndim=ndim)
        for record in self._records(x):
            writer.write(record)
        writer.finish()
        return buf.getvalue()

    def compress_file(self, X: ArrayLike, path: str | Path) -> Path:
        """Write images ``X`` to the ``.aek`` file ``path`` (streamed, atomic); return the path."""
        x, dtype, ndim = self._check_input(X)
        with open_aek(path, model_sha256=self.model_sha256_, dtype=dtype, shape=x.shape[1:], ndim=ndim) as out:
            for record in self._records(x):
                out.write(record)
        return Path(path)

    @torch.no_grad()
    def decompress(self, data: bytes | str | Path, *, return_latents: bool = False) -> Any:
        """Images from ``.aek`` bytes or a file written by this model.

        Parameters
        ----------
        data : bytes or path
        return_latents : bool, default=False
            Also return the decoded integer latents ``(N, M, h, w)``.

        Returns
        -------
        ndarray
            The shape and dtype of the images that were compressed: ``(N, H, W)`` or
            ``(N, C, H, W)``, uint8 or float. (Files from before the ``.aek`` header
            recorded the rank come back in the rank the model was fitted on.)

        Raises
        ------
        aekit.errors.DataFileError
            Not an ``.aek`` file, a newer format, truncated or corrupted.
        aekit.errors.InputError
            A file written by another model (both SHA-256 digests are named).
        """
        check_is_fitted(self)
        header, records = read_aek(data)
        check_model(header, self.model_sha256_, "the data" if isinstance(data, (bytes, bytearray)) else str(data))
        c, h, w = header.shape
        if c != self.n_channels_in_:
            raise InputError(f"the file holds {c}-channel images but this model codes {self.n_channels_in_}.")
        shape = (self.spec_.latent_channels, *self.module_.latent_size(h, w))
        q, y_hat = self._decode_records(records, shape)
        self.module_.eval()
        outs = [self.module_.synthesis(torch.from_numpy(y_hat[i: i + _BATCH]).float(), (h, w)).clamp(0.0, 1.0).numpy()
                for i in range(0, len(q), _BATCH)]
        x_hat = np.concatenate(outs) if outs else np.zeros((0, c, h, w), np.float32)
        if header.dtype == "uint8":
            x_hat = np.clip(np.rint(x_hat * 255.0), 0, 255).astype(np.uint8)
        else:
            x_hat = x_hat.astype(header.dtype)
        if c == 1 and (header.ndim or self.input_ndim_) == 3:
            x_hat = x_hat[:, 0]  # (N, 1, H, W) -> (N, H, W), as compressed
        return (x_hat, q) if return_latents else x_hat

    def _decode_records(self, records: list[bytes], shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """``(integer latents, the latents the synthesis takes)``, both ``(N, *shape)``."""
        if not records:
            return np.zeros((0, *shape), np.int32), np.zeros((0, *shape), np.float32)
        coder = self._coder()
        if isinstance(coder, EntropyCoder):
            q = np.stack([coder.decode(r, shape) for r in records])
            return q, q.astype(np.float32)
        z_shape = (self.spec_.hyper_channels, *self.module_.hyper_size(*shape[1:]))
        qs, ys = [], []
        for record in records:
            zq, decoder = coder.decode_z(record, z_shape)
            mean, rungs = self._side(zq, shape[1:])
            q = coder.decode_q(decoder, rungs, len(record))
            qs.append(q)
            ys.append(q + mean)
        return np.stack(qs), np.stack(ys).astype(np.float32)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path.

        Load it back with :func:`aekit.load` (JSON and raw tensors: no pickle).
        """
        check_is_fitted(self)
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        config = {"estimator": type(self).__name__, "params": params,
                  "model": {"kind": "compression", "spec": _spec_json(self.spec_)},
                  "fitted": {"n_channels_in": self.n_channels_in_, "input_ndim": self.input_ndim_,
                             "model_sha256": self.model_sha256_, "epochs_run": len(self.history_),
                             "history": self.history_}}
        return save_model(folder, config, self._tensors())

    @classmethod
    def _from_saved(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> ImageCompressor:
        """The fitted estimator a model file describes (see :func:`aekit.load`)."""
        try:
            # models saved before the hyperprior existed have no "prior": they are factorized
            est = cls(**{"prior": "factorized", **config["params"]})
            names = {f.name for f in fields(CompressionSpec)}
            spec_values = config["model"]["spec"]
            if config["model"]["kind"] != "compression" or set(spec_values) - names:
                raise ModelFileError(f"the saved ImageCompressor holds an unknown model {config['model']!r}; "
                                     "the file is corrupt or from another aekit version. Retrain.")
            values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec_values.items()}
            est.spec_ = CompressionSpec(**values)
            state = {k[len("module."):]: v for k, v in tensors.items() if k.startswith("module.")}
            check_state_shapes(lambda: RateDistortionAE(est.spec_), state, what="the saved ImageCompressor")
            est.module_ = RateDistortionAE(est.spec_)
            est.module_.load_state_dict(state)
            est.module_.eval()
            est.tables_ = EntropyTables.from_tensors({k[len("tables."):]: v for k, v in tensors.items()
                                                      if k.startswith("tables.")})
            scale = {k[len("scale_tables."):]: v for k, v in tensors.items() if k.startswith("scale_tables.")}
            est.scale_tables_ = EntropyTables.from_tensors(scale) if est.spec_.prior == "hyperprior" else None
            est._module64 = None
            fitted = config["fitted"]
            est.n_channels_in_, est.input_ndim_ = int(fitted["n_channels_in"]), int(fitted["input_ndim"])
            est.history_ = fitted.get("history", [])
            est.model_sha256_ = est._digest()
            if est.model_sha256_ != fitted["model_sha256"]:
                raise ModelFileError(f"the saved ImageCompressor's weights hash to {est.model_sha256_}, its config "
                                     f"says {fitted['model_sha256']}; the files are corrupt or mixed. Retrain.")
        except (KeyError, TypeError, RuntimeError) as exc:
            raise ModelFileError(f"the saved ImageCompressor is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; retrain.") from exc
        return est

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        return tags


#: Fields a factorized model's saved spec (and so its SHA-256) leaves out, as aekit did before
#: the hyperprior: models and .aek files from then keep their identity.
_HYPERPRIOR_FIELDS = ("prior", "hyper_hidden", "hyper_channels")


def _spec_json(spec: CompressionSpec) -> dict[str, Any]:
    out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()}
    if spec.prior == "factorized":
        out = {k: v for k, v in out.items() if k not in _HYPERPRIOR_FIELDS}
    return out
