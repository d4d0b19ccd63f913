"""aekit train: the run folder, refusal to clobber, resume, overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import aekit
from aekit.apps._families import MODELS
from aekit.cli._options import LrSchedule
from aekit.cli.train import ESTIMATOR_OF, Activation, Loss, ModelKind
from aekit.losses.reconstruction import LOSSES
from aekit.models.blocks import ACTIVATIONS
from aekit.train.schedule import LR_SCHEDULES
from aekit.models.registry import REGISTRY

RUN_FILES = {"config.json", "model.safetensors", "checkpoint.safetensors", "history.csv", "metrics.json",
             "run.json", "loss_curves.png", "reconstructions.png", "report.html"}


def test_choices_mirror_the_library_tables() -> None:
    # Every --model builds an estimator (apps._families.MODELS), whose modules are registry kinds
    # (the compressor's RateDistortionAE is saved by ImageCompressor itself).
    assert [m.value for m in ModelKind] == list(MODELS) == ["dense", "conv", "vae", "conv-vae", "recurrent",
                                                            "compress"]
    assert {m.value for m in ModelKind} - {"compress"} <= {kind.replace("_", "-") for kind in REGISTRY}
    assert ESTIMATOR_OF == {name: entry.estimator.__name__ for name, entry in MODELS.items()}
    assert [m.value for m in Loss] == list(LOSSES)
    assert [m.value for m in LrSchedule] == list(LR_SCHEDULES)
    assert [m.value for m in Activation] == list(ACTIVATIONS)


def test_train_writes_the_whole_run_folder(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", table_csv, "--label-column", "label", *fast)
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "table-dense-3"  # the default --out: runs/<data>-<model>-<latent>
    assert {p.name for p in run.iterdir()} == RUN_FILES
    # --quiet: the summary line, PCA's beside it, and (2 epochs on rank-2 data) that aekit loses to it
    assert result.stdout.count("\n") == 3 and "baseline PCA-3" in result.stdout
    assert "test MSE" in result.stdout and "2 epochs" in result.stdout and "runs/table-dense-3," in result.stdout

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["latent_dim"] == 3
    assert (metrics["n_train"], metrics["n_test"]) == (54, 6)  # 10% of 60 rows held out
    assert "test_bce" not in metrics  # the table is not in [0, 1]
    assert metrics["n_parameters"] == 6 * 8 + 8 + 8 * 3 + 3 + 3 * 8 + 8 + 8 * 6 + 6
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2]
    assert metrics["train_loss_final"] == history["loss"].iloc[-1]
    for png in ("loss_curves.png", "reconstructions.png"):
        assert (run / png).read_bytes().startswith(b"\x89PNG")
    assert "<html" in (run / "report.html").read_text().lower()

    model = aekit.load(run)
    assert model.hidden == (8,) and model.latent_dim == 3 and model.random_state == 0
    assert model.n_features_in_ == 6  # the label column is not a feature
    recorded = json.loads((run / "run.json").read_text())
    assert recorded["data"] == str(table_csv) and recorded["label_column"] == "label"


def test_metrics_match_the_saved_model(cli, fast, images_npy: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", images_npy, *fast, "--loss", "bce", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["n_train"], metrics["n_test"]) == (36, 4)
    X = np.load(images_npy)
    test = X[np.sort(np.random.default_rng(0).permutation(40)[:4])]  # the documented fixed 10% split
    model = aekit.load(tmp_path / "run")
    x_hat = model.predict(test[:, None])
    assert np.isclose(metrics["test_mse"], np.mean((x_hat - test[:, None]) ** 2), rtol=1e-4)
    assert np.isclose(metrics["test_loss"], -model.score(test[:, None]), rtol=1e-5)
    assert np.isclose(metrics["test_bce"], metrics["test_loss"], rtol=1e-3)  # bce model, data in [0, 1]


def test_train_conv_on_images(cli, images_npy: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", images_npy, "--model", "conv", "--channels", "4", "--latent-dim", "2",
                 "--epochs", "1", "--batch-size", "16", "-o", tmp_path / "conv", "--quiet")
    assert result.exit_code == 0, result.output
    assert aekit.load(tmp_path / "conv").spec_.channels == (4,)
    assert (tmp_path / "conv" / "reconstructions.png").is_file()


def test_refuses_to_overwrite_an_existing_run(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    args = ("train", "--data", table_csv, "--label-column", "label", *fast, "--out", tmp_path / "run")
    assert cli(*args).exit_code == 0
    before = (tmp_path / "run" / "model.safetensors").read_bytes()
    result = cli(*args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert str(tmp_path / "run") in result.stderr and "--resume" in result.stderr and "--overwrite" in result.stderr
    assert (tmp_path / "run" / "model.safetensors").read_bytes() == before


def test_resume_after_a_finished_run_does_not_retrain(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    args = ("train", "--data", table_csv, "--label-column", "label", *fast, "--out", tmp_path / "run")
    assert cli(*args).exit_code == 0
    run = tmp_path / "run"
    checkpoint = (run / "checkpoint.safetensors").stat().st_mtime_ns
    weights = (run / "model.safetensors").read_bytes()
    result = cli(*args, "--resume")
    assert result.exit_code == 0, result.output
    assert "already trained" in result.stdout
    assert (run / "checkpoint.safetensors").stat().st_mtime_ns == checkpoint  # no epoch ran
    assert (run / "model.safetensors").read_bytes() == weights
    assert len(pd.read_csv(run / "history.csv")) == 2


def test_a_killed_run_resumes_to_the_same_weights(cli, table_csv: Path, tmp_path: Path, monkeypatch) -> None:
    import aekit.apps.train as runs

    args = ("train", "--data", table_csv, "--label-column", "label", "--latent-dim", "2", "--hidden", "4",
            "--batch-size", "16", "--epochs", "3", "--quiet")
    assert cli(*args, "-o", tmp_path / "straight").exit_code == 0

    def killed(self, record):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # as if Ctrl-C came right after epoch 1's checkpoint

    monkeypatch.setattr(runs._EpochCounter, "on_epoch_end", killed)
    result = cli(*args, "-o", tmp_path / "killed")
    assert result.exit_code == 130 and "--resume" in result.stderr
    assert {p.name for p in (tmp_path / "killed").iterdir()} == {"checkpoint.safetensors", "run.json"}
    monkeypatch.undo()

    result = cli(*args, "-o", tmp_path / "killed", "--resume")
    assert result.exit_code == 0, result.output
    assert "2 epochs resumed after epoch 1" in result.stdout
    straight, resumed = aekit.load(tmp_path / "straight"), aekit.load(tmp_path / "killed")
    assert resumed.history_ == [{**r, "seconds": r2["seconds"]} for r, r2 in zip(straight.history_, resumed.history_)]
    for (name, a), b in zip(straight.module_.state_dict().items(), resumed.module_.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name


def test_overwrite_replaces_the_run(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    args = ("train", "--data", table_csv, "--label-column", "label", *fast, "--out", tmp_path / "run")
    assert cli(*args).exit_code == 0
    result = cli(*args[:-2], "--latent-dim", "2", "--out", tmp_path / "run", "--overwrite")
    assert result.exit_code == 0, result.output
    assert aekit.load(tmp_path / "run").latent_dim == 2


def test_a_run_that_fails_before_training_leaves_no_folder(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", table_csv, "--label-column", "label", *fast, "--lr", "0", "-o", tmp_path / "r")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "lr" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_ctrl_c_says_how_to_resume(cli, fast, table_csv: Path, tmp_path: Path, monkeypatch) -> None:
    import aekit.apps.train as train_module

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "train_run", interrupted)
    result = cli("train", "--data", table_csv, *fast, "-o", tmp_path / "run")
    assert result.exit_code == 130 and isinstance(result.exception, SystemExit)
    assert "--resume" in result.stderr and "Traceback" not in result.output


def test_progress_bar_on_a_terminal(cli, fast, table_csv: Path, tmp_path: Path, monkeypatch) -> None:
    from rich.console import Console

    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))  # the live bar, not plain lines
    args = [a for a in fast if a != "--quiet"]
    result = cli("train", "--data", table_csv, "--label-column", "label", *args, "-o", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "epoch 2: loss" in result.stderr and "test MSE" in result.stdout


def test_train_with_a_onecycle_schedule(cli, fast, table_csv: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", table_csv, "--label-column", "label", *fast, "--lr", "0.01",
                 "--lr-schedule", "onecycle", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert aekit.load(tmp_path / "r").lr_schedule == "onecycle"
    lrs = pd.read_csv(tmp_path / "r" / "history.csv")["lr"].tolist()
    assert max(lrs) <= 0.01 and lrs[-1] < 0.1 * max(lrs)  # the last step is near the end of the decay
