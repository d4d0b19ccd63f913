"""ONNX files: one ``nn.Module`` to one ``.onnx`` graph with a dynamic batch axis and metadata.

ONNX is the exchange format that ONNX Runtime, browsers (onnxruntime-web), C++, C#, Java and
most serving stacks read. This module knows nothing about estimators: it writes a module
it is given (:func:`export_graph`); :mod:`aekit.estimators._onnx` decides which modules
an estimator exports (its encoder, its decoder, the whole model, each with the input
scaling baked in).

The graphs are traced by torch's TorchScript exporter when this torch still has it: it
exported the sequence model in 1.5 s where the ``torch.export`` (dynamo) exporter took 36 s
on the same 2-core machine, and both gave the same numbers. Where the TorchScript exporter is
gone the dynamo exporter (which needs ``onnxscript``) takes over.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from aekit.data.files import atomic_path
from aekit.errors import MissingDependencyError

#: ONNX opset written: 17 is read by every ONNX Runtime since 1.11 (2022) and by onnxruntime-web.
OPSET = 17
INSTALL_HINT = "pip install 'aekit[onnx]' (or: pip install onnx onnxscript onnxruntime)"


@dataclass(frozen=True)
class OnnxExport:
    """The files :meth:`aekit.Autoencoder.to_onnx` (and its siblings) wrote.

    Attributes
    ----------
    folder : Path
    encoder : Path
        ``encoder.onnx``: raw input ``x`` -> code ``z`` (a VAE's posterior mean).
    decoder : Path
        ``decoder.onnx``: code ``z`` -> reconstruction ``x_hat`` in raw units.
    model : Path
        ``model.onnx``: raw input ``x`` -> reconstruction ``x_hat`` in raw units.
    metadata : dict of str to str
        What every file's ``metadata_props`` hold (besides its own ``part``).
    """

    folder: Path
    encoder: Path
    decoder: Path
    model: Path
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def paths(self) -> dict[str, Path]:
        """``{"encoder": ..., "decoder": ..., "model": ...}``."""
        return {"encoder": self.encoder, "decoder": self.decoder, "model": self.model}


def require_onnx() -> Any:
    """The ``onnx`` package, or a :class:`~aekit.errors.MissingDependencyError` naming the install command."""
    try:
        import onnx
    except ImportError as exc:
        raise MissingDependencyError(f"ONNX export needs the onnx package, which is not installed: {INSTALL_HINT}.") \
            from exc
    return onnx


def _trace(module: nn.Module, example: Tensor, input_name: str, output_name: str,
           dynamic_axes: Mapping[str, Mapping[int, str]]) -> bytes:
    """The serialised ONNX model of ``module(example)``, dynamic where ``dynamic_axes`` says."""
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notices
            torch.onnx.export(module, (example,), buffer, dynamo=False,  # type: ignore[arg-type]
                              input_names=[input_name], output_names=[output_name], dynamic_axes={k: dict(v) for k, v in dynamic_axes.items()},
                              opset_version=OPSET, do_constant_folding=True)
        return buffer.getvalue()
    except (TypeError, RuntimeError, NotImplementedError):
        pass  # no TorchScript exporter in this torch: the dynamo one below
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter's own dependency)
    except ImportError as exc:
        raise MissingDependencyError(f"this torch exports ONNX through onnxscript, which is not installed: "
                                     f"{INSTALL_HINT}.") from exc
    dims = {axis: torch.export.Dim.AUTO for axis in dynamic_axes.get(input_name, {})}
    program = torch.onnx.export(module, (example,), dynamo=True, input_names=[input_name],
                                output_names=[output_name], dynamic_shapes=(dims,), opset_version=OPSET)
    return program.model_proto.SerializeToString()  # type: ignore[union-attr]


def export_graph(module: nn.Module, example: Tensor, path: str | Path, *, input_name: str = "x",
                 output_name: str = "y", dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
                 metadata: Mapping[str, str] | None = None) -> Path:
    """Write ``module`` as an ONNX graph at ``path`` (atomically); return the path.

    Parameters
    ----------
    module : torch.nn.Module
        Called as ``module(x)`` with one tensor, returning one tensor; put in eval mode here.
    example : Tensor
        An input of the right shape and dtype (its values do not matter).
    path : str or Path
        The ``.onnx`` file to write; its folder is created.
    input_name, output_name : str
        The graph's input and output names.
    dynamic_axes : mapping, optional
        ``{name: {axis: axis_name}}`` for axes of any size, e.g. ``{"x": {0: "batch"}}``;
        default: axis 0 (the batch) of the input and the output.
    metadata : mapping of str to str, optional
        Written to the model's ``metadata_props`` (ONNX Runtime:
        ``session.get_modelmeta().custom_metadata_map``).

    Returns
    -------
    Path
    """
    onnx = require_onnx()
    if dynamic_axes is None:
        dynamic_axes = {input_name: {0: "batch"}, output_name: {0: "batch"}}
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            raw = _trace(module, example, input_name, output_name, dynamic_axes)
    finally:
        module.train(was_training)
    model = onnx.load_from_string(raw)
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    model.producer_name = "aekit"
    onnx.checker.check_model(model)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(model.SerializeToString())
    return path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, as a dict (``input_shape`` etc. are JSON strings)."""
    onnx = require_onnx()
    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def json_value(value: Any) -> str:
    """A metadata value as compact JSON (ONNX metadata values are strings)."""
    return json.dumps(value, separators=(",", ":"))
