"""apps.train.train_run from Python: the run folder, the result, each family's extras from one table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.apps._families import FAMILY_EXTRAS, MODELS, family_metrics
from aekit.apps.runs import evaluate_run
from tests.apps.conftest import TINY
from aekit.apps.train import TrainResult, run_folder, train_run
from aekit.data.splits import SPLIT_SEED, TEST_FRACTION
from aekit.errors import InputError
from aekit.report import write_report



@pytest.fixture
def images(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npy"
    np.save(path, rng.random((40, 8, 8)).astype(np.float32))
    return path


def test_train_run_fills_the_folder_and_returns_what_it_wrote(table: Path, tmp_path: Path) -> None:
    result = train_run(str(table), tmp_path / "run", params=TINY, label_column="label", progress=False,
                       write_report=write_report)
    assert isinstance(result, TrainResult) and result.run_dir == tmp_path / "run"
    assert {p.name for p in (tmp_path / "run").iterdir()} == {
        "config.json", "model.safetensors", "checkpoint.safetensors", "history.csv", "metrics.json", "run.json",
        "loss_curves.png", "reconstructions.png", "report.html"}
    assert all(path.is_file() for path in result.files.values()) and result.report == tmp_path / "run" / "report.html"
    assert result.metrics == json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (result.start_epoch, result.epochs_this_run, result.metrics["epochs_run"]) == (0, 2, 2)
    assert str(SPLIT_SEED) in result.test_source and f"{TEST_FRACTION:.0%}" in result.test_source
    # the fitted estimator is the one saved, and its test MSE is the one recorded
    loaded = aekit.load(result.run_dir)
    assert loaded.get_params() == {**result.estimator.get_params(), "verbose": loaded.verbose}
    X = pd.read_csv(table).drop(columns="label").to_numpy(np.float32)
    test = X[np.sort(np.random.default_rng(SPLIT_SEED).permutation(60)[:6])]
    assert np.isclose(result.metrics["test_mse"], np.mean((loaded.predict(test) - test) ** 2), rtol=1e-4)


def test_without_a_report_writer_there_is_no_report(table: Path, tmp_path: Path) -> None:
    result = train_run(str(table), tmp_path / "run", params=TINY, label_column="label", progress=False)
    assert result.report is None and not (tmp_path / "run" / "report.html").exists()


def test_a_refused_model_keyword_leaves_no_folder(table: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="lr"):
        train_run(str(table), tmp_path / "run", params={**TINY, "lr": 0.0}, label_column="label", progress=False)
    assert not (tmp_path / "run").exists()


def test_run_folder_names_data_model_and_latent_size() -> None:
    assert run_folder("data/table.csv.gz", "dense", 4) == Path("runs/table-dense-4")
    assert run_folder("fmnist", "conv-vae") == Path("runs/fashion-mnist-conv-vae-32")
    assert run_folder("series.csv", "recurrent") == Path("runs/series-recurrent-16")  # the estimator's own default


def test_family_extras_come_from_the_table(images: Path, tmp_path: Path) -> None:
    assert [extra.family for extra in FAMILY_EXTRAS] == ["vae", "denoising", "sparse", "contractive", "stacked"]
    result = train_run(str(images), tmp_path / "run", params={**TINY, "noise": "mask", "sparsity": "l1"},
                       progress=False)
    assert {"test_psnr_noisy", "test_psnr_denoised", "mean_code_activation"} <= set(result.metrics)
    assert "test_elbo" not in result.metrics and "mean_jacobian_norm" not in result.metrics
    assert result.files["denoising"].name == "denoising.png"
    X = np.load(images)[:5, None]
    assert set(family_metrics(result.estimator, X)) == {"psnr_noisy", "psnr_denoised", "mean_code_activation"}


def test_vae_extras_and_defaults(images: Path, tmp_path: Path) -> None:
    result = train_run(str(images), tmp_path / "run", model="vae", params={"latent_dim": 2, "hidden": (8,),
                                                                             "epochs": 1}, progress=False)
    assert type(result.estimator) is MODELS["vae"].estimator and result.estimator.batch_size == 128
    assert result.metrics["test_kl"] >= 0 and "samples" in result.files
    evaluation = evaluate_run(result.run_dir, str(images), out=tmp_path / "eval.json")
    assert {"mse", "bce", "loss", "mean_score", "elbo", "kl"} <= set(evaluation.metrics)
    assert evaluation.path == tmp_path / "eval.json" and evaluation.n_samples == 40
