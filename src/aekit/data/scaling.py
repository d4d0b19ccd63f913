"""Feature scaling fitted on training data, stored with the model and inverted on output.

``x_scaled = (x - offset) / scale``. Min-max maps the training range to [0, 1] (what a
sigmoid output and the BCE loss need); standardisation gives zero mean and unit variance.
Scaling is per feature for tables and global for images (a per-pixel range would blow up
near-constant border pixels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from aekit.errors import InputError

ScaleMethod = Literal["none", "minmax", "standard"]
SCALE_METHODS: tuple[str, ...] = ("none", "minmax", "standard")


@dataclass
class Scaler:
    """Affine per-feature (or global) scaling with an exact inverse.

    Parameters
    ----------
    method : {"none", "minmax", "standard"}, default="minmax"
    per_feature : bool, default=True
        One offset/scale per feature (tables) or a single pair for all values (images).

    Examples
    --------
    >>> s = Scaler("minmax").fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> s.transform(np.array([[1.0, 20.0]]))
    array([[0.5, 0.5]], dtype=float32)
    """

    method: ScaleMethod = "minmax"
    per_feature: bool = True
    offset: np.ndarray = field(default_factory=lambda: np.zeros(1, np.float32))
    scale: np.ndarray = field(default_factory=lambda: np.ones(1, np.float32))

    def fit(self, X: np.ndarray) -> "Scaler":
        """Learn offset and scale from 2-D (or higher, flattened per sample) training data."""
        if self.method not in SCALE_METHODS:
            raise InputError(f"scale must be one of {', '.join(map(repr, SCALE_METHODS))}; got {self.method!r}.")
        flat = X.reshape(len(X), -1)
        axis = 0 if self.per_feature else None
        if self.method == "none":
            offset, scale = np.zeros(1), np.ones(1)
        elif self.method == "minmax":  # exact in the input dtype: no float64 copy of the data
            lo, hi = flat.min(axis=axis).astype(np.float64), flat.max(axis=axis).astype(np.float64)
            offset, scale = lo, hi - lo
        else:  # float64 accumulators, float32 data
            offset, scale = flat.mean(axis=axis, dtype=np.float64), flat.std(axis=axis, dtype=np.float64)
        scale = np.where(np.asarray(scale) > 1e-12, scale, 1.0)  # constant features stay put
        self.offset = np.atleast_1d(np.asarray(offset, np.float32))
        self.scale = np.atleast_1d(np.asarray(scale, np.float32))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Scale data with the shape the scaler was fitted on (samples first)."""
        if self.method == "none":
            return np.asarray(X, np.float32)
        flat = X.reshape(len(X), -1)
        return ((flat - self.offset) / self.scale).astype(np.float32).reshape(X.shape)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Map scaled data back to the original units."""
        if self.method == "none":
            return np.asarray(X, np.float32)
        flat = X.reshape(len(X), -1)
        return (flat * self.scale + self.offset).astype(np.float32).reshape(X.shape)

    def to_config(self) -> dict[str, object]:
        """JSON-safe description (the arrays travel separately, see :meth:`state`)."""
        return {"method": self.method, "per_feature": self.per_feature}

    def state(self) -> dict[str, np.ndarray]:
        """The fitted arrays, to be saved next to the model weights."""
        return {"offset": self.offset, "scale": self.scale}

    @classmethod
    def from_saved(cls, config: dict[str, object], state: dict[str, np.ndarray]) -> "Scaler":
        """Rebuild a fitted scaler from :meth:`to_config` and :meth:`state`."""
        method = config.get("method")
        if method not in SCALE_METHODS:
            raise InputError(f"saved scaler method {method!r} is not one of {SCALE_METHODS}.")
        return cls(method=method, per_feature=bool(config.get("per_feature", True)),  # type: ignore[arg-type]
                   offset=np.asarray(state["offset"], np.float32), scale=np.asarray(state["scale"], np.float32))


def choose_scaling(X: np.ndarray, requested: str) -> Scaler:
    """Resolve ``scale="auto"`` and the per-feature choice.

    "auto" leaves data already in [0, 1] alone and otherwise uses min-max. Scaling is
    global for images (samples with 2+ axes) and for 8-bit pixel values even when they
    come flattened (integers in [0, 255]); per feature for everything else.
    """
    lo, hi = float(X.min()), float(X.max())
    image_like = X.ndim >= 3 or (lo >= 0.0 and hi <= 255.0 and hi > 1.0 and bool(np.all(X == np.round(X))))
    if requested == "auto":
        if lo >= 0.0 and hi <= 1.0:
            return Scaler("none")
        return Scaler("minmax", per_feature=not image_like)
    if requested not in SCALE_METHODS:
        raise InputError(f"scale must be 'auto' or one of {', '.join(map(repr, SCALE_METHODS))}; got {requested!r}.")
    return Scaler(requested, per_feature=not image_like)  # type: ignore[arg-type]
