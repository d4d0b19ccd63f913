"""aekit.load on a folder another part of aekit saved (a residual denoiser) says what it is and what reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import aekit
from aekit.apps.denoise import load_denoiser, train_denoiser
from aekit.errors import ModelFileError


def test_load_of_a_denoiser_folder_names_it_and_its_loader(tmp_path: Path) -> None:
    images = np.random.default_rng(0).random((16, 1, 8, 8)).astype(np.float32)
    train_denoiser(images, depth=2, width=4, epochs=1, batch_size=8, device="cpu").save(tmp_path / "den")
    with pytest.raises(ModelFileError, match=r"holds a residual denoiser .*load_denoiser\(path\).*aekit denoise") as err:
        aekit.load(tmp_path / "den")
    assert "Upgrade" not in str(err.value)
    assert load_denoiser(tmp_path / "den").model == "residual"  # what the message points to does read it
