"""Safetensors files with a JSON header, written atomically. Loading never unpickles."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as serialise

from aekit.data.files import atomic_write_bytes
from aekit.errors import ModelFileError

META_KEY = "aekit"


def tensor_bytes(tensors: dict[str, torch.Tensor], meta: dict[str, Any] | None = None) -> bytes:
    """The safetensors file of tensors (made contiguous, on the CPU) and a JSON-able ``meta`` dict, in memory."""
    flat = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    return serialise(flat, metadata={META_KEY: json.dumps(meta or {})})


def save_tensors(path: str | os.PathLike[str], tensors: dict[str, torch.Tensor],
                 meta: dict[str, Any] | None = None) -> None:
    """Write tensors (made contiguous, on the CPU) and a JSON-able ``meta`` dict atomically.

    Serialised in memory and written through aekit's own atomic writer, so the file gets
    the same permissions as every other file (0644 under the usual umask; safetensors'
    ``save_file`` would leave 0600), and a full disk raises
    :class:`~aekit.errors.DiskFullError` with the old file left in place.
    """
    atomic_write_bytes(path, tensor_bytes(tensors, meta))


def load_tensors(path: str | os.PathLike[str], *, what: str = "file") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a file written by :func:`save_tensors`: ``(tensors, meta)``.

    A missing, truncated or corrupt file raises :class:`ModelFileError` naming it.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"{what} {p} does not exist.")
    try:
        with safe_open(str(p), framework="pt") as f:
            raw_meta = (f.metadata() or {}).get(META_KEY, "{}")
        tensors = load_file(str(p))
        meta = json.loads(raw_meta)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:  # RecursionError is a RuntimeError
        raise ModelFileError(f"{what} {p} is corrupt or truncated ({exc}); it cannot be read. "
                             "Restore it from a copy or retrain.") from exc
    return tensors, meta
