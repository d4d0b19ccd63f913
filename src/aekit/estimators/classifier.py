"""``AutoencoderClassifier``: an autoencoder's encoder as a feature extractor, with a small
classifier head on top, frozen or fine-tuned end to end."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import DataConversionWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets

from aekit.data.checks import check_choice, check_features, check_float, check_is_fitted
from aekit.errors import InputError, InputTypeError, ModelFileError
from aekit.estimators._base import BaseAutoencoder, jsonable_params, map_batches, params_from_json, seeded, \
    with_training_doc
from aekit.estimators._params import defaults
from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.vae import VariationalAutoencoder
from aekit.io.model_file import save_model
from aekit.losses.classification import ClassificationObjective, with_labels
from aekit.models.classifier import ClassifierHead, EncoderClassifier
from aekit.models.registry import check_state_shapes
from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.config import TrainConfig
from aekit.train.device import resolve_device
from aekit.train.loop import fit_module
from aekit.estimators._training import check_training_params, train_config

_D = defaults("AutoencoderClassifier")
#: The estimators whose fitted state a saved classifier may hold, by the name the file gives.
_AUTOENCODERS: dict[str, type[BaseAutoencoder]] = {cls.__name__: cls for cls in (Autoencoder, VariationalAutoencoder)}
_INITS = ("pretrained", "random")


def _default_autoencoder(clf: "AutoencoderClassifier") -> Autoencoder:
    return Autoencoder(latent_dim=32, epochs=int(clf.epochs), batch_size=int(clf.batch_size),
                       device=clf.device, random_state=clf.random_state)


@with_training_doc
class AutoencoderClassifier(ClassifierMixin, BaseEstimator):
    """A classifier on an autoencoder's code, with the scikit-learn classifier interface.

    The network is ``head(encoder(x))``: the deterministic encoder of an
    :class:`~aekit.Autoencoder` or a :class:`~aekit.VariationalAutoencoder` (its posterior
    mean), given already fitted or fitted inside ``fit`` on X and any unlabelled data, and a
    dense head (ReLU + dropout, then one logit per class) trained with cross-entropy on
    the logits. With ``freeze_encoder=True`` only the head learns (the codes are fixed
    features); with ``False`` the whole network is fine-tuned, the classic
    pre-train-then-fine-tune recipe of stacked (denoising) autoencoders.

    Parameters
    ----------
    autoencoder : Autoencoder or VariationalAutoencoder, optional
        The feature extractor: any aekit estimator with a deterministic encoder
        (``deterministic_encoder`` is True; see its ``encoder_module``). A fitted one is copied (the object passed in is never
        changed); an unfitted one is cloned and fitted in ``fit`` on X plus
        ``X_unlabelled`` (labels are not used for it). None = ``Autoencoder(latent_dim=32,
        epochs=epochs, batch_size=batch_size, device=device, random_state=random_state)``
        fitted that way. As with any scikit-learn meta-estimator, ``clone`` (and so grid
        search) turns a fitted autoencoder into an unfitted copy, fitted again on each X.
    head_hidden : tuple of int, default=(128,)
        Hidden widths of the head; ``()`` = a linear (softmax-regression) read-out.
    dropout : float, default=0.5
        Drop probability after each hidden layer of the head, in [0, 1).
    input_dropout : float, default=0.0
        When fine-tuning: dropout on the (scaled) input during training, in [0, 1).
    encoder_dropout : float, default=0.0
        When fine-tuning: dropout after every activation of a dense encoder (the code
        included) during training, in [0, 1). With few labels, or a wide pre-trained
        encoder, this is what keeps fine-tuning from over-fitting (Hinton et al. 2012
        fine-tune pre-trained networks with 20% input and 50% hidden dropout).
    freeze_encoder : bool, default=True
        Keep the encoder's weights as they are (train the head alone), or fine-tune
        encoder and head together.
    encoder_init : {"pretrained", "random"}, default="pretrained"
        "random" draws the encoder's weights afresh (same architecture and input scaling,
        no pre-training): the from-scratch baseline pre-training is measured against.
        An unfitted ``autoencoder`` is then fitted for 1 epoch only, for its scaling.
    %(training_params)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``, sorted; ``predict`` returns these values.
    autoencoder_ : Autoencoder or VariationalAutoencoder
        The autoencoder whose encoder (and input scaling) the classifier uses. After
        fine-tuning its encoder has changed and its decoder has not, so its
        reconstructions are no longer meaningful; ``autoencoder_.transform(X)`` gives the
        codes the head reads.
    module_ : EncoderClassifier
        The network (eval mode): ``module_.autoencoder`` and ``module_.head``.
    history_ : list of dict
        One record per epoch of the classifier's training: ``loss`` (cross-entropy) and
        ``accuracy``, averaged over the epoch's training batches (dropout active), then
        ``val_loss`` and ``val_accuracy`` (eval mode) when there is validation data, ``lr``
        and ``seconds``.
    n_features_in_ : int
    input_shape_ : tuple of int

    Notes
    -----
    The training parameters drive the classifier's own training. Its validation
    hold-out (``validation_fraction``) is stratified when every class has two rows;
    early stopping and lr reduction watch the validation cross-entropy (the training
    one without validation data). ``random_state`` also seeds the head's dropout.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((200, 20)), rng.integers(0, 3, 200)
    >>> clf = AutoencoderClassifier(epochs=2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (200, 3)
    """

    def __init__(self, autoencoder: BaseAutoencoder | None = _D["autoencoder"], *,
                 head_hidden: Sequence[int] = _D["head_hidden"], dropout: float = _D["dropout"],
                 input_dropout: float = _D["input_dropout"], encoder_dropout: float = _D["encoder_dropout"],
                 freeze_encoder: bool = _D["freeze_encoder"], encoder_init: str = _D["encoder_init"],
                 epochs: int = _D["epochs"], batch_size: int = _D["batch_size"], lr: float = _D["lr"],
                 lr_schedule: str = _D["lr_schedule"], weight_decay: float = _D["weight_decay"],
                 validation_fraction: float = _D["validation_fraction"], early_stopping: int | None = _D["early_stopping"],
                 reduce_lr_patience: int | None = _D["reduce_lr_patience"],
                 clip_grad_norm: float | None = _D["clip_grad_norm"], shuffle: bool = _D["shuffle"],
                 device: str = _D["device"], random_state: int | None = _D["random_state"],
                 verbose: bool = _D["verbose"], compile: bool = _D["compile"]) -> None:
        self.autoencoder = autoencoder
        self.head_hidden = head_hidden
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.encoder_dropout = encoder_dropout
        self.freeze_encoder = freeze_encoder
        self.encoder_init = encoder_init
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
        ae = self.autoencoder
        if ae is not None and not (isinstance(ae, BaseAutoencoder) and ae.deterministic_encoder):
            why = ("its codes need each sequence's length, which one input array does not carry"
                   if isinstance(ae, BaseAutoencoder) else "it is not an aekit autoencoder")
            raise InputTypeError(
                f"autoencoder must be an aekit estimator with a deterministic encoder (aekit.Autoencoder or "
                f"aekit.VariationalAutoencoder, fitted or not) or None; got a {type(ae).__name__}, and {why}. "
                "Pass one of those, or feed its transform() output to a scikit-learn classifier instead.")
        hidden = self.head_hidden
        if not isinstance(hidden, (tuple, list)) or not all(
                isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in hidden):
            raise InputError(f"head_hidden must be a tuple of ints >= 1 (e.g. (128,)) or (), got {hidden!r}.")
        check_float("dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False)
        check_float("input_dropout", self.input_dropout, low=0.0, high=1.0, high_inclusive=False)
        check_float("encoder_dropout", self.encoder_dropout, low=0.0, high=1.0, high_inclusive=False)
        check_choice("freeze_encoder", self.freeze_encoder, (True, False))
        check_choice("encoder_init", self.encoder_init, _INITS)
        check_training_params(self)

    def _check_y(self, y: Any, n_samples: int) -> np.ndarray:
        """Validate labels, set ``classes_``; return class indices 0..n_classes-1."""
        name = type(self).__name__
        if y is None:
            raise InputError(f"{name} requires y to be passed, but the target y is None. Pass one label per "
                             "row of X; for data without labels use aekit.Autoencoder.")
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape "
                          "of y to (n_samples,), for example using ravel().", DataConversionWarning, stacklevel=3)
            arr = arr.ravel()
        if arr.ndim != 1:
            raise InputError(f"y should be a 1d array of labels, got an array of shape {arr.shape} instead. "
                             "Multi-output or one-hot targets are not supported: pass class labels.")
        if len(arr) != n_samples:
            raise InputError(f"y has {len(arr)} labels but X has {n_samples} samples; pass exactly one label "
                             "per row of X.")
        missing = np.asarray(pd.isna(arr), dtype=bool)
        if missing.any():
            raise InputError(
                f"y has {int(missing.sum())} missing label{'s' if missing.sum() > 1 else ''} (NaN or None; first "
                f"at row {int(np.argmax(missing))}). Drop those rows from X and y, or give their X to fit() as "
                "X_unlabelled so the autoencoder still learns from them.")
        try:
            check_classification_targets(arr)
        except ValueError as exc:
            raise InputError(f"{exc} {name} predicts classes; bin a continuous target into classes first, "
                             "or use a regressor.") from exc
        try:
            encoder = LabelEncoder().fit(arr)
        except TypeError as exc:
            raise InputError(f"the labels in y cannot be sorted ({exc}); use labels of one type, e.g. all "
                             "strings or all integers.") from exc
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise InputError(f"y has 1 class ({self.classes_[0]!r}); a classifier needs at least 2 classes "
                             "among the labels.")
        return encoder.transform(arr).astype(np.int64)

    # ------------------------------------------------------------------ build
    def _fit_autoencoder(self, X: np.ndarray, X_unlabelled: ArrayLike | None) -> BaseAutoencoder:
        if self.autoencoder is not None and hasattr(self.autoencoder, "module_"):
            if X_unlabelled is not None:
                warnings.warn("X_unlabelled is ignored: the autoencoder passed in is already fitted.",
                              UserWarning, stacklevel=3)
            return copy.deepcopy(self.autoencoder)
        ae = _default_autoencoder(self) if self.autoencoder is None else clone(self.autoencoder)
        if self.encoder_init == "random":  # only the scaling and the architecture are needed
            ae.set_params(epochs=1, **({"pretrain_epochs": 0} if "pretrain_epochs" in ae.get_params() else {}))
        Xa = X
        if X_unlabelled is not None:
            Xu = check_features(X_unlabelled, estimator=self, reset=False)
            Xa = np.concatenate([X, Xu.reshape((len(Xu), *X.shape[1:]))], axis=0)
        return ae.fit(Xa)

    def _train_config(self) -> TrainConfig:
        return train_config(self)

    def _split(self, Xs: np.ndarray, codes: np.ndarray, validation_data: Any) -> tuple[Any, Any, Any, Any]:
        """(train inputs, train labels, val inputs, val labels); inputs already scaled."""
        if validation_data is not None:
            try:
                Xv, yv = validation_data
            except (TypeError, ValueError) as exc:
                raise InputError("validation_data must be a pair (X_val, y_val).") from exc
            Xv = check_features(Xv, estimator=self, reset=False)
            yv = np.asarray(yv)
            if yv.ndim != 1 or len(yv) != len(Xv):
                raise InputError(f"y_val must hold one label per row of X_val ({len(Xv)}), got shape {yv.shape}.")
            unknown = set(np.unique(yv)) - set(self.classes_.tolist())
            if unknown:
                raise InputError(f"y_val has labels not in y: {sorted(map(repr, unknown))[:5]}.")
            return Xs, codes, self.autoencoder_.network_input(Xv), np.searchsorted(self.classes_, yv)
        if not self.validation_fraction:
            return Xs, codes, None, None
        n_val = max(1, int(round(len(Xs) * self.validation_fraction)))
        if len(Xs) - n_val < 1:
            raise InputError(f"validation_fraction={self.validation_fraction} leaves no training rows out of "
                             f"{len(Xs)}; lower it or pass more labelled rows.")
        counts = np.bincount(codes)
        stratify = codes if counts.min() >= 2 and n_val >= len(counts) and len(Xs) - n_val >= len(counts) else None
        Xt, Xv, yt, yv = train_test_split(Xs, codes, test_size=n_val, random_state=self.random_state,
                                          stratify=stratify)
        return Xt, yt, Xv, yv

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: ArrayLike, *, X_unlabelled: ArrayLike | None = None,
            validation_data: tuple[ArrayLike, ArrayLike] | None = None,
            callbacks: Sequence[Callback] = ()) -> "AutoencoderClassifier":
        """Fit the autoencoder if needed, then the head (and the encoder when fine-tuning).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
        y : array-like of shape (n_samples,)
            Class labels of any hashable, sortable type (ints, strings, ...).
        X_unlabelled : array-like, optional
            More samples without labels, shaped like X: the autoencoder (when it is
            fitted here) learns from them too.
        validation_data : (X_val, y_val), optional
            Held-out labelled data (overrides ``validation_fraction``).
        callbacks : sequence, optional
            Extra training hooks (see :class:`aekit.train.Callback`).

        Returns
        -------
        self
        """
        self._check_params()
        X = check_features(X, estimator=self, reset=True)
        codes = self._check_y(y, len(X))
        ae = self._fit_autoencoder(X, X_unlabelled)
        if self.encoder_init == "random":
            with seeded(self.random_state):
                ae.module_.reset_parameters()
        self.autoencoder_ = ae
        encoder = ae.encoder_module()
        Xs = ae.network_input(X)  # scaled, in the module's input shape
        Xt, yt, Xv, yv = self._split(Xs, codes, validation_data)
        latent_dim = int(ae.spec_.latent_dim)
        with seeded(self.random_state):
            head = ClassifierHead(latent_dim, len(self.classes_), tuple(int(h) for h in self.head_hidden),
                                  float(self.dropout))
        if self.freeze_encoder:  # fixed features: encode once, then train the head alone
            trainee: torch.nn.Module = head
            objective = ClassificationObjective((latent_dim,))
            Xt, Xv = self._encode(encoder, Xt), None if Xv is None else self._encode(encoder, Xv)
        else:
            if self.encoder_dropout and not isinstance(getattr(encoder, "encoder", None), torch.nn.Sequential):
                raise InputError(f"encoder_dropout={self.encoder_dropout} works with dense autoencoders "
                                 f"(Autoencoder(model='dense')); this one is {type(ae).__name__}(model="
                                 f"{getattr(ae, 'model', None)!r}). Use input_dropout or the head's dropout instead.")
            trainee = EncoderClassifier(encoder, head, input_dropout=float(self.input_dropout),
                                        encoder_dropout=float(self.encoder_dropout))
            objective = ClassificationObjective(tuple(Xs.shape[1:]))
        train = with_labels(torch.from_numpy(np.ascontiguousarray(Xt)), torch.from_numpy(np.asarray(yt)))
        val = None if Xv is None else with_labels(torch.from_numpy(np.ascontiguousarray(Xv)),
                                                   torch.from_numpy(np.asarray(yv)))
        cbs = [*([ProgressBar()] if self.verbose else []), *callbacks]
        self.history_ = fit_module(trainee, train, objective, self._train_config(), val=val, callbacks=cbs)
        self.module_ = EncoderClassifier(encoder, head).cpu().eval()
        return self

    def _encode(self, encoder: torch.nn.Module, Xs: np.ndarray) -> np.ndarray:
        """Codes of network inputs ``Xs``."""
        return map_batches(encoder, Xs, encoder.encode, resolve_device(self.device))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ use
    def _logits(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self)
        Xs = self.autoencoder_.network_input(check_features(X, estimator=self, reset=False))
        return map_batches(self.module_, Xs, self.module_, resolve_device(self.device)).astype(np.float64)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Class scores: higher = more likely that class.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            The logits; with two classes the log-odds of ``classes_[1]`` (scikit-learn's
            binary convention: > 0 predicts ``classes_[1]``).
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (softmax of the logits), columns in the order of ``classes_``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of :meth:`predict_proba`."""
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most likely class of each sample, as values of ``classes_``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    # ------------------------------------------------------------------ persistence
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """(config, tensors): the autoencoder's state nested under ``autoencoder``, the head's beside it."""
        check_is_fitted(self)
        classes = self.classes_
        if classes.dtype.kind not in "biufUSO" or (classes.dtype.kind == "O" and not all(
                isinstance(c, (str, int, float, bool)) for c in classes.tolist())):
            raise InputError(f"classes of dtype {classes.dtype} cannot be saved as JSON; use int or str labels.")
        ae_config, ae_tensors = self.autoencoder_._state()
        params = jsonable_params({k: v for k, v in self.get_params(deep=False).items() if k != "autoencoder"})
        ae_param = None if self.autoencoder is None else jsonable_params(self.autoencoder.get_params())
        head: ClassifierHead = self.module_.head  # type: ignore[assignment]
        config = {
            "estimator": type(self).__name__,
            "params": params,
            "autoencoder_params": ae_param,
            "autoencoder": ae_config,
            "head": {"in_features": head.in_features, "n_classes": head.n_classes, "hidden": list(head.hidden),
                     "dropout": head.dropout},
            "fitted": {"classes": classes.tolist(), "classes_dtype": classes.dtype.str,
                       "input_shape": list(self.input_shape_), "n_features_in": int(self.n_features_in_),
                       "feature_names_in": list(getattr(self, "feature_names_in_", [])) or None,
                       "epochs_run": len(self.history_), "history": self.history_},
        }
        tensors = {f"autoencoder.{k}": v for k, v in ae_tensors.items()}
        tensors.update({f"head.{k}": v.detach().cpu() for k, v in head.state_dict().items()})
        return config, tensors

    def save(self, folder: str | Path) -> Path:
        """Write ``folder/model.safetensors`` (encoder and head weights) and ``folder/config.json``
        (settings, classes, history); return the config path. Load with :func:`aekit.load`."""
        return save_model(folder, *self._state())

    @classmethod
    def _from_state(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> "AutoencoderClassifier":
        """The fitted classifier that ``_state`` described."""
        try:
            params = params_from_json(config["params"])
            ae_config = config["autoencoder"]
            ae_name = ae_config.get("estimator", "Autoencoder")
            if ae_name not in _AUTOENCODERS:
                raise ModelFileError(f"the saved {cls.__name__} holds a {ae_name!r} autoencoder, which this aekit "
                                     f"cannot load (it knows {', '.join(sorted(_AUTOENCODERS))}). Upgrade aekit.")
            ae_cls = _AUTOENCODERS[ae_name]
            ae_params = config.get("autoencoder_params")
            if ae_params is not None:
                params["autoencoder"] = ae_cls(**params_from_json(ae_params))
            est = cls(**params)
            prefix = "autoencoder."
            ae = ae_cls._from_state(ae_config, {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
            h = config["head"]
            head_state = {k[len("head."):]: v for k, v in tensors.items() if k.startswith("head.")}
            check_state_shapes(lambda: ClassifierHead(int(h["in_features"]), int(h["n_classes"]), tuple(h["hidden"]),
                                                      float(h["dropout"])), head_state,
                               what="the saved AutoencoderClassifier")
            head = ClassifierHead(int(h["in_features"]), int(h["n_classes"]), tuple(h["hidden"]), float(h["dropout"]))
            head.load_state_dict(head_state)
            fitted = config["fitted"]
            dtype = np.dtype(fitted["classes_dtype"])
            est.classes_ = np.asarray(fitted["classes"], dtype=dtype)
            if len(est.classes_) != head.n_classes:
                raise KeyError(f"{len(est.classes_)} classes for a head with {head.n_classes} outputs")
            est.autoencoder_ = ae
            est.module_ = EncoderClassifier(ae.encoder_module(), head).eval()
            est.input_shape_ = tuple(fitted["input_shape"])
            est.n_features_in_ = int(fitted["n_features_in"])
            est.history_ = fitted.get("history", [])
            if fitted.get("feature_names_in"):
                est.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
        except (KeyError, TypeError, RuntimeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"the saved {cls.__name__} is incomplete or does not match its weights ({exc}). "
                                 "The files are corrupt or from an incompatible aekit; retrain.") from exc
        return est

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        return tags

