"""Model files: ``model.safetensors`` (weights) + ``config.json`` (everything else).

The JSON names the format and its version, the aekit version, the estimator and model
kind, their settings, the SHA-256 of the weights file (required from format 2 on) and,
from this version on, the SHA-256 of the config itself (``config_sha256``), so an edited
config or a weights file from another save is caught; weights holding NaN are refused. Loading reads JSON and raw tensors only: no pickle, no code from the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from aekit._version import __version__
from aekit.data.files import atomic_write_files, remove_stale_temps
from aekit.errors import ModelFileError
from aekit.io.run_dir import run_lock
from aekit.io.tensors import load_tensors, tensor_bytes

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


def config_digest(config: dict[str, Any]) -> str:
    """SHA-256 of a model config, its ``config_sha256`` field left out (keys sorted, compact JSON)."""
    body = {k: v for k, v in config.items() if k != "config_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def save_model(folder: str | Path, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Write ``folder/model.safetensors`` then ``folder/config.json``, each atomically.

    Returns the path of ``config.json``. ``config`` must be JSON-serialisable; the format
    name, version, aekit version, weights checksum and config checksum (``config_sha256``,
    over every other field) are added here.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ModelFileError(f"{folder} is a file; save_model needs a folder to write "
                             f"{CONFIG_NAME} and {WEIGHTS_NAME} into.")
    with run_lock(folder):  # two saves into one folder would pair one's weights with the other's config
        return _save_locked(folder, config, tensors)


def _save_locked(folder: Path, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    remove_stale_temps(folder)  # left by a killed earlier save
    weights = tensor_bytes(tensors, {"format": FORMAT_NAME, "format_version": FORMAT_VERSION})
    full = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "aekit_version": __version__, **config,
            "weights": {"file": WEIGHTS_NAME, "sha256": hashlib.sha256(weights).hexdigest()}}
    full["config_sha256"] = config_digest(full)
    path = folder / CONFIG_NAME
    # Both written before either replaces its old file: a full disk leaves the old pair whole.
    atomic_write_files({folder / WEIGHTS_NAME: weights,
                        path: (json.dumps(full, indent=2, sort_keys=False) + "\n").encode()})
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


def _finish_interrupted_save(cfg_path: Path, weights: Path) -> dict[str, Any] | None:
    """Complete a save killed between its two renames, or None.

    :func:`save_model` writes and syncs both temp files before renaming the weights, then the
    config. A kill between the renames leaves the new weights beside the old config.json and
    the new config in its temp file (``.config.json.<hex>.tmp``). If such a temp holds a
    config whose own checksum holds and whose weights checksum is that of the weights in
    place, it is renamed into place (under the folder's lock) with a warning: the save
    is finished, not lost.
    """
    import os
    import warnings

    digest = _sha256(weights)
    for tmp in sorted(cfg_path.parent.glob(f".{cfg_path.name}.*.tmp")):
        try:
            candidate = json.loads(tmp.read_text())
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(candidate, dict) or candidate.get("config_sha256") != config_digest(candidate):
            continue
        info = candidate.get("weights")
        if not isinstance(info, dict) or info.get("sha256") != digest or info.get("file", WEIGHTS_NAME) != weights.name:
            continue
        try:
            with run_lock(cfg_path.parent):  # a save in progress holds it: then nothing is touched
                os.replace(tmp, cfg_path)
        except (OSError, ModelFileError, ValueError):
            return None
        warnings.warn(f"{cfg_path.parent}: the last save was interrupted after its weights were written; its "
                      "config.json was completed from the save's temp file.", stacklevel=3)
        return candidate
    return None


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
    except ValueError as exc:  # not UTF-8, not JSON, or a number of thousands of digits
        raise ModelFileError(f"{cfg_path} is not valid JSON ({exc}); the file is corrupt or not an aekit model.") from exc
    except RecursionError as exc:
        raise ModelFileError(f"{cfg_path} nests its JSON deeper than Python can read; an aekit model file is a few "
                             "levels deep, so it is corrupt or not an aekit model. Restore it, or retrain.") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{cfg_path} is not an aekit model file (its 'format' is "
                             f"{config.get('format') if isinstance(config, dict) else None!r}, expected {FORMAT_NAME!r}).")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ModelFileError(f"{cfg_path} declares format {version!r}; this aekit ({__version__}) reads formats "
                             f"1-{FORMAT_VERSION}. Upgrade aekit or retrain.")
    weights_info = config.get("weights") or {}
    if not isinstance(weights_info, dict):
        raise ModelFileError(f"{cfg_path} has a malformed 'weights' entry ({weights_info!r}); the file is corrupt "
                             "or was edited. Restore it from the same save as its weights, or retrain.")
    name = str(weights_info.get("file", WEIGHTS_NAME))
    if Path(name).name != name or name in ("", ".", ".."):
        raise ModelFileError(f"{cfg_path} names weights {name!r} outside its own folder; aekit reads weights only "
                             f"beside config.json. Set it to {WEIGHTS_NAME!r} or restore the file.")
    weights = cfg_path.with_name(name)
    if not weights.is_file():
        raise ModelFileError(f"{cfg_path} refers to weights {weights.name}, which is missing from {cfg_path.parent}.")
    stated = config.get("config_sha256")
    if stated is not None and stated != config_digest(config):
        raise ModelFileError(f"{cfg_path} does not match its own checksum (config_sha256): it was edited or "
                             "corrupted after saving. Restore it from the same save as its weights, or retrain.")
    expected = weights_info.get("sha256")
    if not expected and version >= 2:
        raise ModelFileError(f"{cfg_path} has no weights checksum ('weights': {{'sha256': ...}}), which every "
                             f"format-{version} model file has: it was edited. Restore it from the same save, or retrain.")
    if expected and _sha256(weights) != expected:
        finished = _finish_interrupted_save(cfg_path, weights)
        if finished is None:
            raise ModelFileError(f"{weights} does not match {cfg_path} (SHA-256 differs): the weights were changed, "
                                 "truncated or come from another save. Restore the pair from the same save.")
        config = finished
    tensors, _ = load_tensors(weights, what="weights file")
    for key, value in tensors.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            n_bad = int((~torch.isfinite(value)).sum())
            raise ModelFileError(f"{weights} holds {n_bad} NaN or infinite value{'s' if n_bad > 1 else ''} in "
                                 f"tensor {key!r}; such a model can only output NaN. The file was damaged or saved "
                                 "from a diverged training run: restore it, or retrain (a lower lr helps).")
    return config, tensors
