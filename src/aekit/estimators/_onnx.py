"""What a fitted estimator exports to ONNX: encoder, decoder and whole model, in raw units.

The fitted :class:`~aekit.data.scaling.Scaler` is baked into each graph, so an ONNX user
feeds the data as it was given to ``fit`` and gets codes, or reconstructions in the same
units, back: ``encoder.onnx`` is ``transform``, ``decoder.onnx`` is ``inverse_transform``
and ``model.onnx`` is ``predict``. The scaling is the same float32 arithmetic as NumPy's
(``(x - offset) / scale`` in, ``y * scale + offset`` out), so the graphs match the estimator
to rounding. A VAE exports its posterior mean as the encoder; a sequence autoencoder exports
graphs over full windows of its training length (no padding, no lengths).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from aekit._version import __version__
from aekit.data.checks import check_is_fitted
from aekit.errors import InputError
from aekit.estimators import _shapes
from aekit.io.onnx_export import OnnxExport, export_graph, json_value
from aekit.models.vae import PosteriorMean

_FIXED_SIZE = ("dense", "conv", "vae", "conv-vae")
_SEQUENCE = ("recurrent",)


class _Affine(nn.Module):
    """``(x - offset) / scale`` (``inverse=False``) or ``x * scale + offset``, broadcast over one sample's shape."""

    offset: Tensor
    scale: Tensor

    def __init__(self, offset: np.ndarray, scale: np.ndarray, sample_shape: tuple[int, ...], *,
                 inverse: bool, identity: bool) -> None:
        super().__init__()
        self.inverse, self.identity = inverse, identity
        self.register_buffer("offset", _broadcastable(offset, sample_shape))
        self.register_buffer("scale", _broadcastable(scale, sample_shape))

    def forward(self, x: Tensor) -> Tensor:
        if self.identity:
            return x
        return x * self.scale + self.offset if self.inverse else (x - self.offset) / self.scale


def _broadcastable(values: np.ndarray, sample_shape: tuple[int, ...]) -> Tensor:
    """One value (global scaling), one per value of a sample, or one per channel of a (T, C) window."""
    t = torch.from_numpy(np.asarray(values, np.float32).copy())
    if t.numel() == 1:
        return t.reshape(())
    if t.numel() == int(np.prod(sample_shape)):
        return t.reshape(sample_shape)
    return t.reshape(sample_shape[-1])  # per channel: the last axis of a window


class _Encoder(nn.Module):
    """Raw ``x`` ``(B, *input_shape)`` -> code ``z`` ``(B, latent_dim)``."""

    def __init__(self, encode: nn.Module, scale_in: _Affine, module_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.encode, self.scale_in, self.module_shape = encode, scale_in, module_shape

    def forward(self, x: Tensor) -> Tensor:
        return self.encode(self.scale_in(x).reshape(-1, *self.module_shape))  # (B, *module_shape)


class _Decoder(nn.Module):
    """Code ``z`` ``(B, latent_dim)`` -> ``x_hat`` ``(B, *input_shape)`` in raw units."""

    def __init__(self, decode: nn.Module, scale_out: _Affine, input_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.decode, self.scale_out, self.input_shape = decode, scale_out, input_shape

    def forward(self, z: Tensor) -> Tensor:
        return self.scale_out(self.decode(z).reshape(-1, *self.input_shape))  # (B, *input_shape)


class _Model(nn.Module):
    """Raw ``x`` -> ``x_hat`` in raw units: the encoder then the decoder."""

    def __init__(self, encoder: _Encoder, decoder: _Decoder) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))


class _Call(nn.Module):
    """``module.<method>(x)`` as a module's ``forward``, for the exporter."""

    def __init__(self, module: nn.Module, method: str) -> None:
        super().__init__()
        self.module, self.method = module, method

    def forward(self, x: Tensor) -> Tensor:
        return getattr(self.module, self.method)(x)  # type: ignore[no-any-return]


class _SequenceEncode(nn.Module):
    """A recurrent module's code of full-length windows (the state after the last step)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Tensor) -> Tensor:
        return self.module.encode(x)  # type: ignore[operator,no-any-return]


def _parts(est: Any) -> tuple[nn.Module, nn.Module, tuple[int, ...], tuple[int, ...]]:
    """(encode module, decode module, raw per-sample shape, the network's per-sample shape)."""
    kind = est._model_kind()
    module = est.module_
    if kind in _FIXED_SIZE:
        input_shape = tuple(int(s) for s in est.input_shape_)
        module_shape = tuple(int(s) for s in _shapes.module_shape(est))
        encode = PosteriorMean(module) if kind in ("vae", "conv-vae") else _Call(module, "encode")
        return encode, _Call(module, "decode"), input_shape, module_shape
    if kind in _SEQUENCE:
        shape = (int(est.spec_.seq_len), int(est.spec_.n_channels))
        return _SequenceEncode(module), _Call(module, "decode"), shape, shape
    raise InputError(f"{type(est).__name__} holds a {kind!r} model, which aekit cannot export to ONNX yet; "
                     f"it exports {', '.join(_FIXED_SIZE + _SEQUENCE)} models.")


def metadata_of(est: Any) -> dict[str, str]:
    """The ``metadata_props`` every exported graph carries (values are strings; shapes are JSON)."""
    _, _, input_shape, _ = _parts(est)
    return {"aekit_version": __version__, "estimator": type(est).__name__, "model_kind": est._model_kind(),
            "input_shape": json_value(list(input_shape)), "latent_dim": str(int(est.spec_.latent_dim)),
            "scaling": est.scaler_.method,
            "units": "raw: the graphs scale their input and unscale their output as the estimator does"}


def export_estimator(est: Any, folder: str | Path) -> OnnxExport:
    """Write ``encoder.onnx``, ``decoder.onnx`` and ``model.onnx`` of a fitted estimator into ``folder``."""
    check_is_fitted(est)
    encode, decode, input_shape, module_shape = _parts(est)
    scaler = est.scaler_
    identity = scaler.method == "none"
    encoder = _Encoder(encode, _Affine(scaler.offset, scaler.scale, input_shape, inverse=False, identity=identity),
                       module_shape)
    decoder = _Decoder(decode, _Affine(scaler.offset, scaler.scale, input_shape, inverse=True, identity=identity),
                       input_shape)
    folder = Path(folder)
    meta = metadata_of(est)
    x = torch.zeros((2, *input_shape))
    z = torch.zeros((2, int(est.spec_.latent_dim)))
    module = est.module_
    device = next(module.parameters()).device
    module.cpu()
    try:
        paths = {
            "encoder": export_graph(encoder, x, folder / "encoder.onnx", input_name="x", output_name="z",
                                    metadata={**meta, "part": "encoder"}),
            "decoder": export_graph(decoder, z, folder / "decoder.onnx", input_name="z", output_name="x_hat",
                                    metadata={**meta, "part": "decoder"}),
            "model": export_graph(_Model(encoder, decoder), x, folder / "model.onnx", input_name="x",
                                  output_name="x_hat", metadata={**meta, "part": "model"}),
        }
    finally:
        module.to(device)
        module.eval()
    return OnnxExport(folder=folder, metadata=meta, **paths)
