"""Export a trained model for use outside Python: ONNX graphs that take and give raw units.

The work behind ``aekit export RUN --format onnx --out DIR``: load the run (or take a fitted
estimator), write ``encoder.onnx``, ``decoder.onnx`` and ``model.onnx`` through
``estimator.to_onnx``, and, when ONNX Runtime is installed, run ``model.onnx`` on sample
inputs beside PyTorch and report the largest difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aekit.errors import InputError
from aekit.estimators import load
from aekit.estimators._base import BaseAutoencoder

FORMATS: tuple[str, ...] = ("onnx",)


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_onnx` wrote and checked.

    Attributes
    ----------
    out_dir : Path
    format : str
        "onnx".
    encoder, decoder, model : Path
        The three graph files (see :meth:`aekit.Autoencoder.to_onnx`).
    estimator : str
        The exported estimator's class name.
    model_kind : str
        Its registry name ("dense", "conv", "vae", "conv-vae", "recurrent").
    input_shape : tuple of int
        One sample's shape, as the graphs take it (batch axis first, of any size).
    latent_dim : int
    source : Path or None
        The run folder the model came from; None for an estimator passed in.
    max_abs_diff : float or None
        Largest ``|model.onnx - predict|`` over ``n_checked`` sample inputs in the
        training data's range, in raw units; None when ONNX Runtime is not installed or
        ``check=False``.
    n_checked : int
    """

    out_dir: Path
    format: str
    encoder: Path
    decoder: Path
    model: Path
    estimator: str
    model_kind: str
    input_shape: tuple[int, ...]
    latent_dim: int
    source: Path | None = None
    max_abs_diff: float | None = None
    n_checked: int = 0

    @property
    def paths(self) -> dict[str, Path]:
        """``{"encoder": ..., "decoder": ..., "model": ...}``."""
        return {"encoder": self.encoder, "decoder": self.decoder, "model": self.model}


def sample_inputs(est: Any, n: int, random_state: int | None = 0) -> np.ndarray:
    """``n`` raw inputs of one exported sample's shape, uniform over the fitted scaler's range
    (its min-max range, mean ± 2 std when standardised, [0, 1] when unscaled)."""
    shape = tuple(json.loads(_metadata(est)["input_shape"]))
    u = np.random.default_rng(random_state).random((n, *shape), dtype=np.float32)
    scaler = est.scaler_
    if scaler.method == "none":
        return u
    offset = np.asarray(scaler.offset, np.float32)
    scale = np.asarray(scaler.scale, np.float32)
    if scaler.method == "standard":
        offset, scale = offset - 2 * scale, 4 * scale
    per_sample = offset.size == int(np.prod(shape))
    if per_sample:
        offset, scale = offset.reshape(shape), scale.reshape(shape)
    return (offset + scale * u).astype(np.float32)  # one value, one per feature, or one per channel (last axis)


def _metadata(est: Any) -> dict[str, str]:
    from aekit.estimators._onnx import metadata_of

    return metadata_of(est)


def export_onnx(run_or_estimator: str | Path | BaseAutoencoder, out_dir: str | Path, *, check: bool = True,
                n_check: int = 256, random_state: int | None = 0) -> ExportResult:
    """Write a trained model's ONNX graphs into ``out_dir`` and check them against PyTorch.

    Parameters
    ----------
    run_or_estimator : str, Path or fitted estimator
        A run/model folder (or its ``config.json``), as :func:`aekit.load` reads, or a
        fitted :class:`~aekit.Autoencoder`, :class:`~aekit.VariationalAutoencoder` or
        :class:`~aekit.SequenceAutoencoder`.
    out_dir : str or Path
        Folder for ``encoder.onnx``, ``decoder.onnx`` and ``model.onnx`` (created).
    check : bool, default=True
        Run ``model.onnx`` with ONNX Runtime, when it is installed, on ``n_check`` sample
        inputs in the training data's range, and record the largest difference to
        ``predict``.
    n_check : int, default=256
    random_state : int or None, default=0
        Seeds the check inputs.

    Returns
    -------
    ExportResult

    Raises
    ------
    InputError
        When the object is not an exportable aekit autoencoder.
    MissingDependencyError
        When the ``onnx`` package is missing (``pip install 'aekit[onnx]'``).

    Examples
    --------
    >>> result = export_onnx("runs/mnist", "exported")                    # doctest: +SKIP
    >>> result.model, result.max_abs_diff                                 # doctest: +SKIP
    (PosixPath('exported/model.onnx'), 4.8e-07)
    """
    source = None
    if isinstance(run_or_estimator, (str, Path)):
        source = Path(run_or_estimator)
        est = load(source)
        if source.is_file():
            source = source.parent
    else:
        est = run_or_estimator
    if not isinstance(est, BaseAutoencoder):
        raise InputError(f"export_onnx needs a fitted aekit autoencoder or a run folder, got {type(est).__name__}; "
                         "an AutoencoderClassifier exports its autoencoder: export_onnx(clf.autoencoder_, ...).")
    files = est.to_onnx(out_dir)
    meta = files.metadata
    max_diff, n_checked = None, 0
    if check:
        max_diff, n_checked = _check(est, files.model, n_check, random_state)
    return ExportResult(out_dir=Path(out_dir), format="onnx", encoder=files.encoder, decoder=files.decoder,
                        model=files.model, estimator=meta["estimator"], model_kind=meta["model_kind"],
                        input_shape=tuple(json.loads(meta["input_shape"])), latent_dim=int(meta["latent_dim"]),
                        source=source, max_abs_diff=max_diff, n_checked=n_checked)


def _check(est: Any, model_path: Path, n: int, random_state: int | None) -> tuple[float | None, int]:
    try:
        import onnxruntime as ort
    except ImportError:
        return None, 0
    X = sample_inputs(est, n, random_state)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": X})[0]
    return float(np.max(np.abs(out - np.asarray(est.predict(X))))), n
