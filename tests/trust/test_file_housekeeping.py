"""Killed writes leave no lasting temp files; model files get the same permissions as the rest (issue #13)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from aekit import Autoencoder
from aekit.data.files import atomic_write_bytes, remove_stale_temps
from aekit.io.run_dir import create_run_dir
from aekit.io.tensors import load_tensors, save_tensors


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_model_files_are_written_like_every_other_file(tmp_path: Path, umask_022) -> None:
    X = np.random.default_rng(0).random((20, 4)).astype(np.float32)
    Autoencoder(latent_dim=2, hidden=(3,), epochs=1, random_state=0, verbose=False).fit(X).save(tmp_path / "m")
    atomic_write_bytes(tmp_path / "other.txt", b"x")
    assert _mode(tmp_path / "m" / "model.safetensors") == _mode(tmp_path / "m" / "config.json") == 0o644
    assert _mode(tmp_path / "other.txt") == 0o644


def test_tensor_files_round_trip_with_their_meta(tmp_path: Path, umask_022) -> None:
    save_tensors(tmp_path / "t.safetensors", {"a": torch.arange(6.0).reshape(2, 3)}, {"epoch": 3})
    tensors, meta = load_tensors(tmp_path / "t.safetensors")
    assert meta == {"epoch": 3} and tensors["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert _mode(tmp_path / "t.safetensors") == 0o644


def _leftovers(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stale = [folder / ".model.safetensors.0123456789ab.tmp", folder / ".checkpoint.safetensors.a1b2c3d4e5f6.tmp"]
    for p in stale:
        p.write_bytes(b"half a file")
    (folder / ".keep.tmp").write_text("not ours")  # not the atomic writer's pattern: left alone
    (folder / "notes.txt").write_text("the user's")
    return stale


def test_run_folder_creation_removes_temps_of_killed_writes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    stale = _leftovers(run)
    create_run_dir(run, resume=True)
    assert not any(p.exists() for p in stale)
    assert (run / ".keep.tmp").exists() and (run / "notes.txt").exists()


def test_saving_a_model_removes_temps_of_killed_saves(tmp_path: Path) -> None:
    stale = _leftovers(tmp_path / "m")
    X = np.random.default_rng(0).random((20, 4)).astype(np.float32)
    Autoencoder(latent_dim=2, hidden=(3,), epochs=1, random_state=0, verbose=False).fit(X).save(tmp_path / "m")
    assert not any(p.exists() for p in stale)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [".keep.tmp", "config.json", "model.safetensors",
                                                                  "notes.txt"]


def test_remove_stale_temps_on_a_missing_folder_is_a_no_op(tmp_path: Path) -> None:
    assert remove_stale_temps(tmp_path / "nowhere") == []
