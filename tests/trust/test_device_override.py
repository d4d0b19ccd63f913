"""A model trained on a GPU is usable on a CPU machine: loading maps it to a device that is
here, and encode / reconstruct / evaluate take --device (issue #13)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import aekit
from aekit import Autoencoder
from aekit.cli.main import app
from aekit.errors import InputError
from aekit.io.model_file import config_digest

X = np.random.default_rng(0).random((50, 4)).astype(np.float32)
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def _trained_on(tmp_path: Path, device: str) -> Path:
    """A run folder whose model says it was trained on ``device`` (re-signed, as a save there would be)."""
    run = tmp_path / "run"
    Autoencoder(latent_dim=2, hidden=(3,), epochs=1, random_state=0, verbose=False).fit(X).save(run)
    config = json.loads((run / "config.json").read_text())
    config["params"]["device"] = device
    config["config_sha256"] = config_digest(config)
    (run / "config.json").write_text(json.dumps(config))
    (tmp_path / "new.csv").write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in X) + "\n")
    return run


@no_cuda
def test_a_cuda_model_loads_on_a_cpu_machine_with_a_warning(tmp_path: Path) -> None:
    run = _trained_on(tmp_path, "cuda")
    with pytest.warns(UserWarning, match=r"trained on device 'cuda', which is not available here; it runs on cpu"):
        model = aekit.load(run)
    assert model.device == "auto" and model.transform(X).shape == (50, 2)


def test_load_takes_the_device_asked_for(tmp_path: Path) -> None:
    model = aekit.load(_trained_on(tmp_path, "cuda"), device="cpu")
    assert model.device == "cpu" and np.isfinite(model.predict(X)).all()


def test_a_model_trained_here_keeps_its_device(tmp_path: Path) -> None:
    assert aekit.load(_trained_on(tmp_path, "cpu")).device == "cpu"


@no_cuda
def test_a_device_that_is_not_here_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="CUDA is not available here; use device='auto' or 'cpu'"):
        aekit.load(_trained_on(tmp_path, "cpu"), device="cuda")
    with pytest.raises(InputError, match="not a device name"):
        aekit.load(tmp_path / "run", device="gpu-please")


@pytest.mark.parametrize("command", [["encode", "--out", "codes.csv"], ["reconstruct", "--out", "recon.csv"],
                                     ["evaluate", "--no-baseline"]])
def test_the_commands_that_use_a_run_take_device(tmp_path: Path, command: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = _trained_on(tmp_path, "cuda")
    result = CliRunner().invoke(app, [command[0], str(run), "--data", "new.csv", *command[1:], "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    if not torch.cuda.is_available():
        result = CliRunner().invoke(app, [command[0], str(run), "--data", "new.csv", *command[1:]])
        assert result.exit_code == 0, result.output
        assert "warning: this model was trained on device 'cuda'" in result.output  # one yellow line, then it runs
        result = CliRunner().invoke(app, [command[0], str(run), "--data", "new.csv", *command[1:], "--device", "cuda"])
        assert result.exit_code == 1 and "CUDA is not available here" in result.output


def test_an_edited_device_that_is_no_device_name_falls_back_with_the_warning(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"trained on device None, which is not available here"):
        model = aekit.load(_trained_on(tmp_path, None))  # type: ignore[arg-type]
    assert model.device == "auto" and model.transform(X).shape == (50, 2)
