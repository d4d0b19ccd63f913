"""--clip-grad-norm reaches the trainer, and a run that ends worse than its first epoch says
so instead of passing in silence (issue #13)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from aekit import Autoencoder
from aekit.cli.main import app
from aekit.errors import TrainingDivergedError

X = np.random.default_rng(0).random((200, 8)).astype(np.float32)


def _table(tmp_path: Path, *, labels: bool = False) -> Path:
    path = tmp_path / "t.csv"
    rows = [",".join(f"{v:.4f}" for v in r) + (f",{int(r[0] > .5)}" if labels else "") for r in X]
    path.write_text(",".join(f"x{i}" for i in range(8)) + (",label" if labels else "") + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def clip_norms(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The max_norm of every gradient clip the trainer makes."""
    seen: list[float] = []
    real = torch.nn.utils.clip_grad_norm_

    def recording(parameters, max_norm, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(float(max_norm))
        return real(parameters, max_norm, *args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording)
    return seen


def test_clip_grad_norm_on_aekit_train_reaches_the_trainer(tmp_path: Path, clip_norms: list[float]) -> None:
    result = CliRunner().invoke(app, ["-q", "train", "--data", str(_table(tmp_path)), "--latent-dim", "2",
                                      "--epochs", "2", "--clip-grad-norm", "0.25", "--no-baseline",
                                      "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert clip_norms and set(clip_norms) == {0.25}  # every step of every epoch


def test_without_the_flag_dense_training_does_not_clip(tmp_path: Path, clip_norms: list[float]) -> None:
    result = CliRunner().invoke(app, ["-q", "train", "--data", str(_table(tmp_path)), "--latent-dim", "2",
                                      "--epochs", "1", "--no-baseline", "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert clip_norms == []


def test_clip_grad_norm_on_aekit_classify_reaches_both_trainings(tmp_path: Path, clip_norms: list[float]) -> None:
    result = CliRunner().invoke(app, ["-q", "classify", "--data", str(_table(tmp_path, labels=True)),
                                      "--label-column", "label", "--latent-dim", "2", "--epochs", "1",
                                      "--clip-grad-norm", "0.5", "--no-baseline", "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert len(clip_norms) >= 2 and set(clip_norms) == {0.5}


def test_a_bad_clip_value_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--data", str(_table(tmp_path)), "--clip-grad-norm", "0",
                                      "-o", str(tmp_path / "run")])
    assert result.exit_code != 0 and "clip_grad_norm" in result.output and "Traceback" not in result.output


def test_the_nan_message_names_the_flag_that_exists() -> None:
    bad = X.copy()
    bad[0, 0] = 1e30
    with pytest.raises(TrainingDivergedError, match=r"--clip-grad-norm 1\.0"):
        Autoencoder(latent_dim=2, epochs=2, lr=1e6, scale="none", loss="mse", verbose=False,
                    random_state=0).fit(bad)


def test_training_that_ends_worse_than_its_first_epoch_warns() -> None:
    ae = Autoencoder(latent_dim=2, hidden=(16,), epochs=8, lr=1.0, loss="mse", random_state=0, verbose=False)
    with pytest.warns(UserWarning, match=r"training ended worse than it began: the loss was 0\.08\d+ after epoch 1 "
                                         r"and 0\.3\d+ after epoch 8.*lower it.*--clip-grad-norm.*early stopping"):
        ae.fit(X)
    assert ae.history_[-1]["loss"] > 1.5 * ae.history_[0]["loss"]


def test_ordinary_training_and_early_stopping_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Autoencoder(latent_dim=2, hidden=(16,), epochs=5, random_state=0, verbose=False).fit(X)
        # the same bad lr, but early stopping keeps the best (first) epoch's weights
        Autoencoder(latent_dim=2, hidden=(16,), epochs=8, lr=1.0, loss="mse", early_stopping=3,
                    random_state=0, verbose=False).fit(X)


def test_aekit_train_prints_the_warning_as_one_yellow_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["-q", "train", "--data", str(_table(tmp_path)), "--latent-dim", "2",
                                      "--hidden", "16", "--epochs", "8", "--lr", "1.0", "--loss", "mse",
                                      "--no-baseline", "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "worse than it began" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: training ended worse")
    assert "UserWarning" not in result.output and "warnings.warn" not in result.output
