"""aekit classify: the run folder end to end on a tiny table, a pretrained encoder, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import aekit
from aekit.apps.classify import RUN_FILES
from aekit.estimators.classifier import AutoencoderClassifier

TINY = ["--epochs", "2", "--batch-size", "16", "--latent-dim", "3", "--hidden", "8", "--head-hidden", "8", "--quiet"]


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_classify_writes_the_whole_run_folder(cli, table_csv: Path, tmp_path: Path) -> None:
    result = cli("classify", "--data", table_csv, "--label-column", "label", *TINY)
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "table-classify"  # the default --out
    assert {p.name for p in run.iterdir()} == set(RUN_FILES)
    assert result.stdout.startswith("test accuracy ") and "baseline LogisticRegression" in result.stdout

    metrics = json.loads((run / "metrics.json").read_text())
    assert {"train_accuracy", "val_accuracy", "test_accuracy"} <= set(metrics)
    assert (metrics["n_labels"], metrics["n_test"], metrics["epochs_run"]) == (54, 6, 2)
    history = pd.read_csv(run / "history.csv")
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.columns)
    assert (run / "classification_history.png").read_bytes().startswith(b"\x89PNG")
    assert "<html" in (run / "report.html").read_text().lower()

    model = aekit.load(run)
    assert isinstance(model, AutoencoderClassifier) and model.freeze_encoder is False  # fine-tuned by default
    table = pd.read_csv(table_csv)
    X, y = table.drop(columns="label").to_numpy(), table["label"].to_numpy()
    assert set(model.predict(X)) <= {0, 1} and model.predict_proba(X).shape == (60, 2)
    # the saved test accuracy is the loaded model's on the held-out rows
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and model.score(X, y) >= 0.0


def test_classify_fine_tunes_a_trained_run_on_some_labels(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("classify", "--data", table, "--label-column", "label", "--pretrained", run, "--fine-tune",
                 "--labels", "20", "--epochs", "2", "--quiet", "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert metrics["n_labels"] == 20 and metrics["freeze_encoder"] is False and metrics["pretrained"] == str(run)
    model = aekit.load(tmp_path / "c")
    assert model.autoencoder_.spec_.latent_dim == 3  # the encoder of the trained run


def test_classify_refuses_data_without_labels(cli, images_npy: Path, tmp_path: Path) -> None:
    message = _one_line_error(cli("classify", "--data", images_npy, *TINY, "--out", tmp_path / "x"))
    assert "has no labels" in message and "--label-column" in message
    assert not (tmp_path / "x").exists()


def test_classify_refuses_a_classifier_as_pretrained(cli, table_csv: Path, tmp_path: Path) -> None:
    first = cli("classify", "--data", table_csv, "--label-column", "label", *TINY, "--out", tmp_path / "c")
    assert first.exit_code == 0, first.output
    message = _one_line_error(cli("classify", "--data", table_csv, "--label-column", "label", "--pretrained",
                                  tmp_path / "c", *TINY, "--out", tmp_path / "d"))
    assert "of type AutoencoderClassifier" in message and "autoencoder run" in message


def test_classify_refuses_to_clobber_a_run(cli, table_csv: Path, tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "keep.txt").write_text("mine")
    message = _one_line_error(cli("classify", "--data", table_csv, "--label-column", "label", *TINY,
                                  "--out", tmp_path / "c"))
    assert "already exists" in message and (tmp_path / "c" / "keep.txt").read_text() == "mine"


def test_classify_passes_fine_tuning_dropout_and_schedule(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("classify", "--data", table, "--label-column", "label", "--pretrained", run, "--fine-tune",
                 "--input-dropout", "0.2", "--encoder-dropout", "0.3", "--lr-schedule", "onecycle", "--epochs", "3",
                 "--quiet", "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    model = aekit.load(tmp_path / "c")
    assert (model.input_dropout, model.encoder_dropout, model.lr_schedule) == (0.2, 0.3, "onecycle")
    lrs = pd.read_csv(tmp_path / "c" / "history.csv")["lr"].tolist()
    assert lrs[-1] < lrs[0]  # the schedule decays to 0 at the last step


def test_classify_refuses_an_unknown_schedule(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("classify", "--data", table, "--label-column", "label", "--pretrained", run,
                 "--lr-schedule", "step", "--out", tmp_path / "c")
    assert result.exit_code == 2 and "step" in result.stderr
