"""Tampered model files are refused before they cost memory or give NaN (issue #13)."""

from __future__ import annotations

import hashlib
import json
import resource
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

import aekit
from aekit import Autoencoder, AutoencoderClassifier
from aekit.cli.main import app
from aekit.errors import ModelFileError
from aekit.io.model_file import config_digest


@pytest.fixture(scope="module")
def table() -> np.ndarray:
    return np.random.default_rng(0).random((40, 6)).astype(np.float32)


@pytest.fixture
def saved(tmp_path: Path, table) -> Path:
    Autoencoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0, verbose=False).fit(table).save(tmp_path / "m")
    return tmp_path / "m"


def _config(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text())


def _write(folder: Path, cfg: dict, *, resign: bool) -> None:
    if resign:  # what a careful forger does: the config's own checksum no longer helps
        cfg["config_sha256"] = config_digest(cfg)
    else:
        cfg.pop("config_sha256", None)  # as in files written before the config checksum
    (folder / "config.json").write_text(json.dumps(cfg))


def test_a_fresh_save_carries_both_checksums_and_loads(saved: Path, table) -> None:
    cfg = _config(saved)
    assert len(cfg["weights"]["sha256"]) == 64 and cfg["config_sha256"] == config_digest(cfg)
    aekit.load(saved).transform(table)


@pytest.mark.parametrize("drop_config_sum", [False, True])
def test_deleted_weights_checksum_is_refused(saved: Path, drop_config_sum: bool) -> None:
    cfg = _config(saved)
    del cfg["weights"]["sha256"]
    if drop_config_sum:
        del cfg["config_sha256"]
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="checksum"):
        aekit.load(saved)


def test_any_config_edit_is_caught_by_its_checksum(saved: Path) -> None:
    cfg = _config(saved)
    cfg["fitted"]["n_features_in"] = 7
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match=r"config_sha256.*Restore"):
        aekit.load(saved)


@pytest.mark.parametrize("resign", [False, True])
def test_huge_latent_dim_is_refused_before_any_allocation(saved: Path, resign: bool) -> None:
    cfg = _config(saved)
    cfg["model"]["spec"]["latent_dim"] = 10**9
    _write(saved, cfg, resign=resign)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModelFileError, match=r"does not match its weights \(.*config implies"):
        aekit.load(saved)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024  # a real 10^9-wide layer would take gigabytes


def test_shape_edit_of_a_classifier_head_is_refused(tmp_path: Path, table) -> None:
    y = (table[:, 0] > 0.5).astype(int)
    AutoencoderClassifier(Autoencoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0), head_hidden=(4,),
                          epochs=1, random_state=0).fit(table, y).save(tmp_path / "c")
    cfg = _config(tmp_path / "c")
    cfg["head"]["hidden"] = [10**8]
    _write(tmp_path / "c", cfg, resign=True)
    with pytest.raises(ModelFileError, match="does not match its weights"):
        aekit.load(tmp_path / "c")


def _poison(folder: Path) -> None:
    weights = folder / "model.safetensors"
    tensors = load_file(str(weights))
    key = next(k for k in tensors if k.endswith("weight"))
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    save_file(tensors, str(weights))
    cfg = _config(folder)
    cfg["weights"]["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    _write(folder, cfg, resign=True)


def test_nan_weights_are_refused_at_load(saved: Path) -> None:
    _poison(saved)
    with pytest.raises(ModelFileError, match=r"NaN or infinite value.*retrain"):
        aekit.load(saved)


def test_cli_refuses_nan_weights_in_one_line(saved: Path, tmp_path: Path, table) -> None:
    np.save(tmp_path / "x.npy", table)
    _poison(saved)
    result = CliRunner().invoke(app, ["encode", str(saved), "--data", str(tmp_path / "x.npy"),
                                      "--out", str(tmp_path / "codes.npy")])
    assert result.exit_code == 1 and "NaN" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "codes.npy").exists()


@pytest.mark.parametrize("name", ["../model.safetensors", "/etc/passwd", "sub/model.safetensors", ".."])
def test_weights_outside_the_folder_are_refused(saved: Path, name: str) -> None:
    cfg = _config(saved)
    cfg["weights"]["file"] = name
    _write(saved, cfg, resign=True)
    with pytest.raises(ModelFileError, match="outside its own folder"):
        aekit.load(saved)
