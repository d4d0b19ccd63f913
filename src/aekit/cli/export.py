"""``aekit export``: a trained run as ONNX graphs that take and give raw units (the work:
:func:`aekit.apps.export.export_onnx`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import say
from aekit.cli._options import RunArg


class ExportFormat(str, Enum):
    """Mirrors ``aekit.apps.export.FORMATS``."""

    onnx = "onnx"


def export(
    run: RunArg,
    format: Annotated[ExportFormat, typer.Option("--format", help="The exchange format.")] = ExportFormat.onnx,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for encoder.onnx, decoder.onnx and model.onnx.")]
        = Path("exported"),
    check: Annotated[bool, typer.Option("--check/--no-check", help="Run model.onnx with ONNX Runtime (when "
                                        "installed) on 256 inputs in the training data's range and report the "
                                        "largest difference to PyTorch.")] = True,
) -> None:
    """Export a trained model for use outside Python: ONNX encoder, decoder and full model.

    The graphs take raw units (the fitted scaling is inside them) with any batch size; a
    VAE exports its posterior mean. Their metadata name the aekit version, the model
    kind and the input shape. Needs the onnx extra: pip install 'aekit[onnx]'.

    **Examples**

        aekit export runs/mnist --format onnx --out exported/
        aekit export runs/demo --out demo-onnx --no-check
    """
    from aekit.apps.export import export_onnx

    r = export_onnx(run, out, check=check)
    shape = "x".join(map(str, r.input_shape))
    checked = (f"; ONNX Runtime vs PyTorch max |diff| {r.max_abs_diff:.1e} on {r.n_checked} inputs"
               if r.max_abs_diff is not None else "; not checked (--no-check, or ONNX Runtime not installed)")
    say(f"{r.estimator} ({r.model_kind}, input {shape}, code {r.latent_dim}) exported to {r.encoder.name}, "
        f"{r.decoder.name}, {r.model.name} in {r.out_dir}{checked}")
