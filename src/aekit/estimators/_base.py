"""``BaseAutoencoder``: what every autoencoder estimator shares, written once.

One level, like scikit-learn's ``_BasePCA``: seeding, the validation split, the checks of
the shared training parameters, running the network over batches on the chosen device,
and persistence (``save`` / :func:`aekit.load` through ``_state`` and ``_from_state``).
The families (:class:`~aekit.Autoencoder`, :class:`~aekit.VariationalAutoencoder`,
:class:`~aekit.SequenceAutoencoder`) are siblings deriving from it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from aekit.data.batching import eval_batches
from aekit.data.checks import check_is_fitted
from aekit.data.scaling import Scaler
from aekit.errors import InputError, ModelFileError
from aekit.estimators._params import training_doc
from aekit.io.model_file import save_model
from aekit.io.onnx_export import OnnxExport
from aekit.models.blocks import upgrade_uncentred_state
from aekit.models.registry import build, canonical_kind, check_state_shapes, spec_from_dict, spec_to_dict
from aekit.train.config import TrainConfig
from aekit.train.device import memory_format_for, resolve_device
from aekit.estimators._training import check_training_params, train_config

_TRAINING_MARK = "    %(training_params)s"


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run a block with torch's global RNG seeded, then give the caller's RNG back untouched."""
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield


def with_training_doc(cls: type) -> type:
    """Put the shared training-parameter entries (with ``cls``'s defaults) where its docstring says."""
    if cls.__doc__ and _TRAINING_MARK in cls.__doc__:
        cls.__doc__ = cls.__doc__.replace(_TRAINING_MARK, training_doc(cls.__name__))
    return cls


def _check_state_dtypes(module: nn.Module, state: dict[str, torch.Tensor], owner: str) -> None:
    """Refuse integer or boolean tensors where the module holds floats: loading would cast them silently."""
    expected = module.state_dict()
    for key, value in state.items():
        if key in expected and expected[key].is_floating_point() and not value.is_floating_point():
            raise ModelFileError(f"the saved {owner}'s tensor {key!r} is {value.dtype}, where the model holds floating "
                                 "point weights; the weights file was edited or is not this model's. Retrain.")


def _check_input_shape(est: Any) -> None:
    """Refuse a saved ``input_shape`` that does not fit ``n_features_in`` or the weights, before any data meets it."""
    shape = tuple(est.input_shape_)
    owner = type(est).__name__
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape) \
            or int(np.prod(shape, dtype=object)) != est.n_features_in_:
        raise ModelFileError(f"the saved {owner} declares input shape {list(shape)!r}, which does not hold its "
                             f"{est.n_features_in_} features; the file was edited. Restore it, or retrain.")
    try:  # one zero sample through the network: a shape the weights cannot take fails here, not on the user's data
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.module_(torch.from_numpy(est.network_input(np.zeros((1, *shape), dtype=np.float32))))
    except (RuntimeError, InputError) as exc:
        raise ModelFileError(f"the saved {owner}'s input shape {list(shape)!r} does not match its weights ({exc}); "
                             "the file was edited. Restore it, or retrain.") from exc


@torch.no_grad()
def map_batches(module: nn.Module, data: np.ndarray, fn: Callable[[torch.Tensor], torch.Tensor],
                device: torch.device, batch_size: int = 4096) -> np.ndarray:
    """``fn`` over batches of ``data`` with ``module`` in eval mode on ``device``, as one NumPy array."""
    module.to(device, memory_format=memory_format_for(module, device))  # type: ignore[call-overload]
    module.eval()
    outs = [fn(xb).float().cpu().numpy() for xb in eval_batches(data, batch_size, device)]
    module.cpu()
    return np.concatenate(outs, axis=0)


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Constructor parameters as JSON values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def params_from_json(params: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`jsonable_params` (lists become tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _check_fits_in_memory(owner: str, kind: str, spec: Any) -> None:
    """Count the network's parameters on the meta device (nothing allocated) and refuse one
    whose training (weights, gradients and Adam's two moments: 16 bytes a parameter) would
    not fit in this machine's memory."""
    import os

    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            n_params = sum(p.numel() for p in build(kind, spec).parameters())
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except Exception:  # a module that cannot be built on meta, or no sysconf: the real build decides
        return
    if n_params * 16 > physical:
        raise InputError(f"this {owner} would have {n_params:,} parameters: about {n_params * 16 / 2**30:,.0f} GiB "
                         f"to train (weights, gradients, Adam's moments), more than this machine's "
                         f"{physical / 2**30:,.0f} GiB of memory. Choose a smaller latent_dim / hidden "
                         "(--latent-dim / --hidden).")


class BaseAutoencoder(TransformerMixin, BaseEstimator):
    """Base of the autoencoder estimators; not for direct use.

    Subclasses store their constructor arguments, implement ``fit``, ``transform`` and
    ``_model_kind`` (the registry name of the network they build), and add their own
    fitted fields to the model file through ``_fitted_config`` / ``_load_fitted``.
    """

    #: Registry names a model file of this estimator may hold.
    _KINDS: ClassVar[tuple[str, ...]] = ()
    #: Whether :meth:`encoder_module` gives a deterministic encoder (what a classifier can read).
    deterministic_encoder: ClassVar[bool] = False

    epochs: int
    batch_size: int
    validation_fraction: float
    device: str
    random_state: int | None
    module_: Any  # a registry module: its family's methods (encode, decode, ...) are beyond nn.Module's types
    spec_: Any
    scaler_: Scaler
    history_: list[dict[str, Any]]
    n_features_in_: int
    feature_names_in_: np.ndarray

    # ------------------------------------------------------------------ training
    def _check_training_params(self) -> None:
        check_training_params(self)

    def _train_config(self, checkpoint_dir: str | Path | None = None, resume: bool = False) -> TrainConfig:
        return train_config(self, checkpoint_dir, resume)

    def _validation_split(self, n: int, what: str = "samples") -> tuple[np.ndarray, np.ndarray] | None:
        """(validation rows, training rows) drawn with ``random_state``; None without ``validation_fraction``."""
        if not self.validation_fraction:
            return None
        if n < 2:
            raise InputError(f"validation_fraction={self.validation_fraction} needs at least 2 {what}, got {n}.")
        order = np.random.default_rng(self.random_state).permutation(n)
        n_val = max(1, int(round(n * self.validation_fraction)))
        return order[:n_val], order[n_val:]

    def _build(self, kind: str, spec: Any) -> nn.Module:
        """The registry's module ``kind``, initialised under ``random_state``.

        Raises
        ------
        InputError
            A network too large for this machine's memory (``latent_dim`` or ``hidden`` of
            10^8, say), refused before anything is allocated.
        """
        _check_fits_in_memory(type(self).__name__, kind, spec)
        with seeded(self.random_state):
            return build(kind, spec)

    # ------------------------------------------------------------------ use
    def _device(self) -> torch.device:
        return resolve_device(self.device)

    def _map(self, data: np.ndarray, fn: Callable[[torch.Tensor], torch.Tensor], batch_size: int = 4096) -> np.ndarray:
        return map_batches(self.module_, data, fn, self._device(), batch_size)

    def network_input(self, X: Any) -> np.ndarray:
        """X checked, scaled and shaped as the fitted network takes it.

        The input of :meth:`encoder_module`; what an estimator stacked on this one (such as
        :class:`~aekit.AutoencoderClassifier`) feeds the network.

        Returns
        -------
        ndarray of float32, shape (n_samples, *module input shape)
        """
        raise NotImplementedError

    def encoder_module(self) -> nn.Module:
        """The fitted network's deterministic encoder: a module with ``encode(x) -> z``.

        It reads :meth:`network_input` and gives the codes :meth:`transform` returns; it
        shares the fitted weights (training it changes this estimator's network).

        Returns
        -------
        torch.nn.Module
        """
        raise InputError(f"{type(self).__name__} has no deterministic encoder that maps one input array to codes; "
                         "use its transform() output as features for another estimator instead.")

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (higher is better), for model selection."""
        return float(np.mean(self.score_samples(X)))  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ persistence
    def _model_kind(self) -> str:
        raise NotImplementedError

    def _fitted_config(self) -> dict[str, Any]:
        """The fitted state (beyond weights and spec) as JSON values."""
        names = getattr(self, "feature_names_in_", None)
        return {"n_features_in": int(self.n_features_in_), "scaler": self.scaler_.to_config(),
                "feature_names_in": None if names is None else [str(n) for n in names],
                "epochs_run": len(self.history_), "history": self.history_}

    def _load_fitted(self, fitted: dict[str, Any]) -> None:
        """Set the family's own fitted attributes from ``_fitted_config`` output."""

    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """(config, tensors): everything a model file holds, before the file's own keys are added."""
        check_is_fitted(self)
        config = {"estimator": type(self).__name__, "params": jsonable_params(self.get_params()),
                  "model": {"kind": self._model_kind(), "spec": spec_to_dict(self.spec_)},
                  "fitted": self._fitted_config()}
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        tensors.update({f"scaler.{k}": torch.from_numpy(np.asarray(v)) for k, v in self.scaler_.state().items()})
        return config, tensors

    @classmethod
    def _from_state(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Any:
        """The fitted estimator that ``_state`` described."""
        try:
            est = cls(**params_from_json(config["params"]))
            kind = canonical_kind(config["model"]["kind"])
            if kind not in cls._KINDS:
                raise ModelFileError(f"a saved {cls.__name__} must hold a {' or '.join(map(repr, cls._KINDS))} model, "
                                     f"this one holds {kind!r}; the file is corrupt or was edited. Retrain.")
            est.spec_ = spec_from_dict(kind, config["model"]["spec"])
            module_state = {k[len("module."):]: v for k, v in tensors.items() if k.startswith("module.")}
            with warnings.catch_warnings():  # an edited spec (a width of 0) is refused below, not warned about
                warnings.simplefilter("ignore", UserWarning)
                check_state_shapes(lambda: build(kind, est.spec_), module_state, what=f"the saved {cls.__name__}")
                est.module_ = build(kind, est.spec_)
            _check_state_dtypes(est.module_, module_state, cls.__name__)
            est.module_.load_state_dict(upgrade_uncentred_state(est.module_, module_state))
            est.module_.eval()
            fitted = config["fitted"]
            est.scaler_ = Scaler.from_saved(fitted["scaler"],
                                            {k: tensors[f"scaler.{k}"].numpy() for k in ("offset", "scale")})
            est.n_features_in_ = int(fitted["n_features_in"])
            est.history_ = fitted.get("history", [])
            if fitted.get("feature_names_in"):
                est.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
                if len(est.feature_names_in_) != est.n_features_in_:
                    raise ModelFileError(f"the saved {cls.__name__} names {len(est.feature_names_in_)} features but "
                                         f"has {est.n_features_in_}; the file was edited. Restore it, or retrain.")
            est._load_fitted(fitted)
            if getattr(est, "input_shape_", None) is not None:
                _check_input_shape(est)
        except ModelFileError:
            raise
        except (KeyError, TypeError, RuntimeError, AttributeError, ValueError) as exc:
            raise ModelFileError(f"the saved {cls.__name__} is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; retrain.") from exc
        return est

    _from_saved = _from_state  # the old name, for callers not yet moved to _from_state

    def save(self, folder: str | Path) -> Path:
        """Write ``folder/model.safetensors`` and ``folder/config.json``; return the config path.

        Load it back with :func:`aekit.load` (JSON and raw tensors: no pickle).
        """
        return save_model(folder, *self._state())

    def to_onnx(self, folder: str | Path) -> OnnxExport:
        """Export the fitted network as ONNX graphs that take and give raw units.

        Writes ``folder/encoder.onnx`` (what :meth:`transform` computes: input ``x`` ->
        code ``z``; a VAE's posterior mean), ``folder/decoder.onnx`` (what
        ``inverse_transform`` computes: ``z`` -> ``x_hat``) and ``folder/model.onnx``
        (``predict``: ``x`` -> ``x_hat``). The input scaling fitted here is part of each
        graph; the batch axis has any size; every file's ``metadata_props`` hold
        ``aekit_version``, ``estimator``, ``model_kind``, ``input_shape`` (JSON, one
        sample), ``latent_dim``, ``scaling`` and ``part``. A sequence autoencoder's graphs
        take full windows of its training length, ``(B, T, C)``. Needs the ``onnx`` package
        (``pip install 'aekit[onnx]'``); run the files with ``onnxruntime``.

        Parameters
        ----------
        folder : str or Path
            Created if missing; existing files of these names are replaced (atomically).

        Returns
        -------
        OnnxExport
            The three paths and the metadata.

        Examples
        --------
        >>> files = ae.to_onnx("exported")                                # doctest: +SKIP
        >>> import onnxruntime as ort                                     # doctest: +SKIP
        >>> codes = ort.InferenceSession(str(files.encoder)).run(None, {"x": X})[0]  # doctest: +SKIP
        """
        from aekit.estimators._onnx import export_estimator  # onnx is optional: load it on use

        return export_estimator(self, folder)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]  # the networks compute in float32
        return tags
