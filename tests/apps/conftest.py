"""Shared by the apps tests: a tiny labelled table and the tiny model settings that train on it fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TINY = {"latent_dim": 2, "hidden": (8,), "epochs": 2, "batch_size": 16, "random_state": 0}


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """60 rows of 6 correlated features around 10 (2 latent factors) and a binary ``label`` column."""
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(60, 2))
    frame = pd.DataFrame(latent @ rng.normal(size=(2, 6)) + 10.0, columns=[f"f{i}" for i in range(6)])
    frame["label"] = (latent[:, 0] > 0).astype(int)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path
