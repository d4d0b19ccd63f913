"""Fixed-size samples (tables and images) for the dense and convolutional estimators.

:class:`~aekit.Autoencoder` and :class:`~aekit.VariationalAutoencoder` take X as rows of
features or as images, and build a dense (``model="dense"``) or convolutional
(``model="conv"``) network; these helpers check their widths, give the network's
per-sample shape, and turn X into the network's input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aekit.data.checks import as_float_array, check_features, check_is_fitted
from aekit.errors import InputError


def widths(value: Any) -> tuple[int, ...]:
    """``hidden`` or ``channels`` as a tuple of ints (a bare int is one layer)."""
    return (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


def check_widths(est: Any, example: str) -> None:
    """Refuse ``hidden``/``channels`` that are not tuples of ints >= 1, or no stage for a conv model."""
    for name in ("hidden", "channels"):
        value = getattr(est, name)
        items = (value,) if isinstance(value, (int, np.integer)) else value
        if not isinstance(items, (tuple, list)) or not all(
                isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in items):
            raise InputError(f"{name} must be a tuple of ints >= 1 (e.g. {example}), got {value!r}.")
    if est.model == "conv" and len(widths(est.channels)) == 0:
        raise InputError("channels must name at least one convolutional stage for model='conv', e.g. (32, 64).")


def module_shape(est: Any) -> tuple[int, ...]:
    """Per-sample shape the network takes: (D,) for dense, (C, H, W) for conv."""
    shape = tuple(est.input_shape_)
    if est.model == "dense":
        return (int(np.prod(shape)),)
    if len(shape) == 3:
        return shape
    if len(shape) == 2:
        return (1, *shape)
    if est.image_shape is None:
        raise InputError(
            f"model='conv' needs images, but X has flat samples of {shape[0]} values. Pass X shaped "
            "(N, C, H, W) or (N, H, W), or give image_shape=(C, H, W), e.g. image_shape=(1, 28, 28).")
    ishape = tuple(int(v) for v in est.image_shape)
    if len(ishape) != 3 or int(np.prod(ishape)) != shape[0]:
        raise InputError(f"image_shape {tuple(est.image_shape)} does not fit samples of {shape[0]} values; "
                         "it must be (C, H, W) with C*H*W equal to the number of features.")
    return ishape


def to_module(est: Any, X: np.ndarray) -> np.ndarray:
    """Checked X reshaped to ``(N, *module_shape(est))``."""
    return X.reshape((X.shape[0], *module_shape(est)))


def fit_samples(est: Any, X: Any, validation_data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(checked X, training samples, validation samples or None), the samples in the network's shape.

    Records ``n_features_in_`` and ``input_shape_``; the validation samples are
    ``validation_data`` when given, else the ``validation_fraction`` split of X.
    """
    X = check_features(X, estimator=est, reset=True)
    Xm = to_module(est, X)
    if validation_data is not None:
        return X, Xm, to_module(est, check_features(validation_data, estimator=est, reset=False))
    split = est._validation_split(len(Xm))
    if split is None:
        return X, Xm, None
    return X, Xm[split[1]], Xm[split[0]]


def network_input(est: Any, X: Any) -> np.ndarray:
    """X checked against the fit, shaped and scaled as the fitted network takes it."""
    check_is_fitted(est)
    return est.scaler_.transform(to_module(est, check_features(X, estimator=est, reset=False)))


def decode(est: Any, Z: Any) -> np.ndarray:
    """Codes decoded by the fitted network, in original units and the per-sample shape seen in fit."""
    check_is_fitted(est)
    Zc = as_float_array(Z, what="Z", owner=type(est).__name__, max_ndim=2)
    if Zc.shape[1] != est.spec_.latent_dim:
        raise InputError(f"Z has {Zc.shape[1]} columns but this model's codes have latent_dim="
                         f"{est.spec_.latent_dim}; pass the output of transform().")
    out = est._map(Zc, est.module_.decode)
    return est.scaler_.inverse_transform(out).reshape((len(Zc), *est.input_shape_))  # type: ignore[no-any-return]


def reconstruct(est: Any, X: Any) -> np.ndarray:
    """X through the fitted network's ``forward``, in X's original units and shape."""
    Xs = network_input(est, X)
    out = est._map(Xs, est.module_)
    return est.scaler_.inverse_transform(out).reshape((len(Xs), *est.input_shape_))  # type: ignore[no-any-return]
