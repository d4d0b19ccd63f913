"""Tiny data made in tmp folders; every command runs in-process with CliRunner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from aekit.cli.main import app

FAST = ["--epochs", "2", "--batch-size", "16", "--latent-dim", "3", "--hidden", "8", "--quiet"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs land in tmp_path (the default --out is relative); no cache or network use."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("AEKIT_DATA", raising=False)
    monkeypatch.setenv("AEKIT_MNIST_MIRROR", "http://127.0.0.1:9/nowhere/")
    return tmp_path


@pytest.fixture
def cli() -> Callable[..., Result]:
    """``cli("train", "--data", path, ...)``: run aekit in-process, arguments made str."""
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def fast() -> list[str]:
    """Options that make a training run take well under a second on tiny data."""
    return list(FAST)


def make_table(folder: Path, rows: int = 60, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(rows, 2))
    frame = pd.DataFrame(latent @ rng.normal(size=(2, 6)) + 10.0, columns=[f"f{i}" for i in range(6)])
    frame["label"] = (latent[:, 0] > 0).astype(int)
    path = folder / "table.csv"
    frame.to_csv(path, index=False)
    return path


def make_images(folder: Path, n: int = 40, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 1.0, 8)
    images = np.clip(np.outer(grid, grid)[None] * rng.random((n, 1, 1)) + 0.05 * rng.random((n, 8, 8)), 0, 1)
    path = folder / "images.npy"
    np.save(path, images.astype(np.float32))  # (40, 8, 8) "images" in [0, 1]
    return path


@pytest.fixture
def table_csv(tmp_path: Path) -> Path:
    return make_table(tmp_path)


@pytest.fixture
def images_npy(tmp_path: Path) -> Path:
    return make_images(tmp_path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One table run shared by the encode / reconstruct / evaluate tests: (run folder, table)."""
    folder = tmp_path_factory.mktemp("trained")
    table = make_table(folder)
    result = CliRunner().invoke(app, ["train", "--data", str(table), "--label-column", "label", *FAST,
                                      "--out", str(folder / "run")])
    assert result.exit_code == 0, result.output
    yield folder / "run", table
