"""Model files: ``model.safetensors`` (weights) + ``config.json`` (everything else).

The JSON names the format and its version, the aekit version, the estimator and model
kind, their settings and the SHA-256 of the weights file, so a weights file from another
save is caught. Loading reads JSON and raw tensors only: no pickle, no code from the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from aekit._version import __version__
from aekit.data.files import atomic_write_bytes
from aekit.errors import ModelFileError
from aekit.io.tensors import load_tensors, save_tensors

FORMAT_NAME = "aekit.model"
#: 2: dense and MLP-VAE encoders begin with an input-centring buffer (``encoder.0.mean``);
#: format-1 weights are renamed on load (:func:`aekit.models.blocks.upgrade_uncentred_state`).
FORMAT_VERSION = 2
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(folder: str | Path, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Write ``folder/model.safetensors`` then ``folder/config.json``, each atomically.

    Returns the path of ``config.json``. ``config`` must be JSON-serialisable; the format
    name, version, aekit version and weights checksum are added here.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ModelFileError(f"{folder} is a file; save_model needs a folder to write "
                             f"{CONFIG_NAME} and {WEIGHTS_NAME} into.")
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / WEIGHTS_NAME
    save_tensors(weights, tensors, {"format": FORMAT_NAME, "format_version": FORMAT_VERSION})
    full = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "aekit_version": __version__, **config,
            "weights": {"file": WEIGHTS_NAME, "sha256": _sha256(weights)}}
    path = folder / CONFIG_NAME
    atomic_write_bytes(path, (json.dumps(full, indent=2, sort_keys=False) + "\n").encode())
    return path


def resolve_model_path(path: str | Path) -> Path:
    """Accept a run folder, its ``config.json`` or its ``model.safetensors``; return config.json."""
    p = Path(path)
    if p.is_dir():
        p = p / CONFIG_NAME
    elif p.suffix == ".safetensors":
        p = p.with_name(CONFIG_NAME)
    if not p.is_file():
        raise ModelFileError(f"no aekit model at {path}: {p} does not exist. Pass the folder that "
                             f"'aekit train' or estimator.save() wrote (it holds {CONFIG_NAME} and {WEIGHTS_NAME}).")
    return p


def load_model(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read and check a saved model: ``(config, tensors)``.

    Raises
    ------
    ModelFileError
        Missing or corrupt files, a JSON that is not an aekit model, a newer format
        version, or weights that do not belong to this config.
    """
    cfg_path = resolve_model_path(path)
    try:
        config = json.loads(cfg_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{cfg_path} is not valid JSON ({exc}); the file is corrupt or not an aekit model.") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{cfg_path} is not an aekit model file (its 'format' is "
                             f"{config.get('format') if isinstance(config, dict) else None!r}, expected {FORMAT_NAME!r}).")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ModelFileError(f"{cfg_path} declares format {version!r}; this aekit ({__version__}) reads formats "
                             f"1-{FORMAT_VERSION}. Upgrade aekit or retrain.")
    weights_info = config.get("weights") or {}
    weights = cfg_path.with_name(str(weights_info.get("file", WEIGHTS_NAME)))
    if not weights.is_file():
        raise ModelFileError(f"{cfg_path} refers to weights {weights.name}, which is missing from {cfg_path.parent}.")
    expected = weights_info.get("sha256")
    if expected and _sha256(weights) != expected:
        raise ModelFileError(f"{weights} does not match {cfg_path} (SHA-256 differs): the weights were changed, "
                             "truncated or come from another save. Restore the pair from the same save.")
    tensors, _ = load_tensors(weights, what="weights file")
    return config, tensors
