"""aekit train for every family: its options, its extra pictures and metrics, and its run folder
loading back for the other commands."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.apps._families import MODELS
from aekit.cli.main import build_command
from aekit.cli.train import COMMON_OPTIONS, MODEL_OPTIONS, Cell, Likelihood, ModelKind, Noise, Sparsity, flag
from aekit.data.corruption import NOISES
from aekit.models.recurrent import CELLS
from aekit.models.vae import LIKELIHOODS

from .conftest import make_images

TINY = ["--epochs", "1", "--batch-size", "16", "--latent-dim", "2", "--quiet"]
PNG = b"\x89PNG"


@pytest.fixture
def images(tmp_path: Path) -> Path:
    return make_images(tmp_path, n=60)  # (60, 8, 8) in [0, 1]: 54 train, 6 test


@pytest.fixture
def series(tmp_path: Path) -> Path:
    t = np.arange(120.0)
    path = tmp_path / "sensors.csv"
    pd.DataFrame({"temp": np.sin(t / 5.0), "flow": np.cos(t / 7.0)}).to_csv(path, index=False)
    return path


def test_every_option_is_the_keyword_of_its_models() -> None:
    opts = {opt for param in build_command("train").params for opt in param.opts}
    for name, models in MODEL_OPTIONS.items():
        assert flag(name) in opts and set(models) <= set(MODELS), name
        for model in models:
            assert name in inspect.signature(MODELS[model][0]).parameters, (name, model)
    for name in COMMON_OPTIONS:
        assert flag(name) in opts, name
        assert all(name in inspect.signature(cls).parameters for cls, _ in MODELS.values()), name
    assert [m.value for m in ModelKind] == list(MODELS)
    assert [n.value for n in Noise] == list(NOISES)
    assert [s.value for s in Sparsity] == ["l1", "kl"]
    assert [v.value for v in Likelihood] == list(LIKELIHOODS)
    assert [c.value for c in Cell] == list(CELLS)


# family, extra options, extra files, extra metrics
FAMILIES = [
    ("vae", ["--model", "vae", "--hidden", "8", "--beta", "2", "--kl-warmup", "1"], {"samples.png"},
     {"test_elbo", "test_kl"}),
    ("conv-vae", ["--model", "conv-vae", "--channels", "4", "--likelihood", "gaussian"], {"samples.png"},
     {"test_elbo", "test_kl"}),
    ("denoising", ["--hidden", "8", "--noise", "gaussian", "--noise-level", "0.2"], {"denoising.png"},
     {"test_psnr_noisy", "test_psnr_denoised"}),
    ("sparse", ["--hidden", "8", "--sparsity", "kl", "--code-activation", "sigmoid", "--sparsity-target", "0.1"],
     set(), {"mean_code_activation"}),
    ("contractive", ["--hidden", "8", "--contractive", "0.1"], set(), {"mean_jacobian_norm"}),
    ("stacked", ["--hidden", "8,4", "--pretrain-epochs", "1"], {"pretrain_history.csv", "pretrain_loss_curves.png"},
     set()),
    ("recurrent", ["--model", "recurrent", "--window", "10", "--stride", "5", "--hidden-size", "8", "--cell", "gru"],
     {"window_errors.csv"}, set()),
]


@pytest.mark.parametrize(("family", "options", "files", "keys"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_family_run_writes_its_pictures_and_metrics_and_loads(cli, images: Path, series: Path, tmp_path: Path,
                                                              family: str, options: list[str], files: set[str],
                                                              keys: set[str]) -> None:
    data = series if family == "recurrent" else images
    run = tmp_path / family
    result = cli("train", "--data", data, *TINY, *options, "--out", run)
    assert result.exit_code == 0, result.output
    written = {p.name for p in run.iterdir()}
    assert files | {"reconstructions.png", "loss_curves.png", "metrics.json", "report.html"} <= written
    for name in files | {"reconstructions.png"}:
        if name.endswith(".png"):
            assert (run / name).read_bytes().startswith(PNG), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert keys <= set(metrics) and all(np.isfinite(metrics[k]) for k in keys)
    assert metrics["model"] == ("dense" if family in ("denoising", "sparse", "contractive", "stacked") else family)
    report = (run / "report.html").read_text()
    assert all(name in report for name in files if name.endswith(".png"))  # every picture is in the report

    model = aekit.load(run)
    assert type(model) is MODELS[metrics["model"]][0]
    evaluation = cli("evaluate", run, "--data", data, "--out", tmp_path / "eval.json")
    assert evaluation.exit_code == 0, evaluation.output
    evaluated = json.loads((tmp_path / "eval.json").read_text())
    assert {k.removeprefix("test_") for k in keys} <= set(evaluated) and np.isfinite(evaluated["mse"])
    for command, out in (("encode", "codes.npy"), ("reconstruct", "recon.npy")):
        used = cli(command, run, "--data", data, "--out", tmp_path / out)
        assert used.exit_code == 0, used.output


def test_vae_metrics_are_its_elbo_and_its_defaults_are_its_own(cli, images: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", images, "--model", "vae", "--hidden", "8", "--latent-dim", "2", "--epochs", "1",
                 "--quiet")
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "images-vae-2"  # the default --out names the model
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_kl"] >= 0 and metrics["test_elbo"] < 0
    assert np.isclose(metrics["test_elbo"], -metrics["test_loss"], rtol=1e-6)  # score_samples is the ELBO
    model = aekit.load(run)
    assert model.batch_size == 128 and model.beta == 1.0  # left out: the VAE's defaults, not the Autoencoder's
    assert model.sample(100, random_state=0).shape == (100, 1, 8, 8)


def test_denoising_psnr_and_sparse_activation_match_the_model(cli, images: Path, tmp_path: Path) -> None:
    from aekit.data.corruption import add_noise
    from aekit.metrics import psnr

    result = cli("train", "--data", images, *TINY, "--hidden", "8", "--noise", "mask", "--noise-level", "0.3",
                 "--sparsity", "l1", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    X = np.load(images)[:, None]
    test = X[np.sort(np.random.default_rng(0).permutation(60)[:6])]  # the documented fixed 10% split
    model = aekit.load(tmp_path / "run")
    noisy = add_noise(test, "mask", 0.3, random_state=0)
    assert np.isclose(metrics["test_psnr_noisy"], psnr(test, noisy))
    assert np.isclose(metrics["test_psnr_denoised"], psnr(test, model.predict(noisy)), rtol=1e-5)
    assert np.isclose(metrics["mean_code_activation"], np.abs(model.transform(test)).mean(), rtol=1e-5)


def test_recurrent_holds_out_the_end_of_the_series(cli, series: Path, tmp_path: Path) -> None:
    result = cli("train", "--data", series, "--model", "recurrent", "--window", "6", "--stride", "3",
                 "--hidden-size", "4", *TINY, "--out", tmp_path / "rnn")
    assert result.exit_code == 0, result.output
    errors = pd.read_csv(tmp_path / "rnn" / "window_errors.csv")
    assert errors["first_step"].tolist() == [108, 111, 114]  # the last 12 of 120 steps, windows of 6, stride 3
    metrics = json.loads((tmp_path / "rnn" / "metrics.json").read_text())
    assert metrics["n_test"] == 3 and metrics["n_train"] == 1 + (108 - 6) // 3
    assert np.isclose(errors["mse"].mean(), metrics["test_mse"], rtol=1e-5)
    assert aekit.load(tmp_path / "rnn").window == 6


@pytest.mark.parametrize(("options", "message"), [
    (["--beta", "2"], "--beta needs --model vae or conv-vae, not --model dense."),
    (["--model", "conv", "--kl-warmup", "1"], "--kl-warmup needs --model vae or conv-vae, not --model conv."),
    (["--model", "vae", "--noise", "mask"], "--noise needs --model dense or conv, not --model vae."),
    (["--model", "conv-vae", "--sparsity", "l1"], "--sparsity needs --model dense or conv, not --model conv-vae."),
    (["--model", "vae", "--loss", "bce"], "--loss needs --model dense or conv, not --model vae."),
    (["--window", "5"], "--window needs --model recurrent, not --model dense."),
    (["--model", "recurrent", "--hidden", "8"], "--hidden needs --model dense or vae, not --model recurrent."),
    (["--model", "recurrent", "--binarize"], "--binarize needs --model vae or conv-vae, not --model recurrent."),
    (["--model", "dense", "--channels", "4"], "--channels needs --model conv or conv-vae, not --model dense."),
])
def test_options_of_another_model_are_refused(cli, images: Path, tmp_path: Path, options: list[str],
                                              message: str) -> None:
    result = cli("train", "--data", images, "--epochs", "1", *options)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {message}\n"
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("data", "options", "message"), [
    ("images", ["--model", "conv", "--pretrain-epochs", "1"], "works with model='dense' only"),
    ("images", ["--sparsity", "kl"], "code_activation"),
    ("images", ["--model", "vae", "--likelihood", "gaussian", "--binarize"], "binarize=True"),
    ("series", ["--model", "recurrent"], "--model recurrent needs --window"),
    ("images", ["--model", "recurrent", "--window", "4"], "holds images"),
])
def test_the_estimators_catch_the_rest(cli, images: Path, series: Path, tmp_path: Path, data: str,
                                       options: list[str], message: str) -> None:
    result = cli("train", "--data", images if data == "images" else series, "--epochs", "1", *options)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


# A valid value for every estimator option (None: a flag without value).
TYPED = {"latent_dim": "3", "epochs": "2", "batch_size": "8", "lr": "0.01", "lr_schedule": "cosine",
         "clip_grad_norm": "0.5", "random_state": "1", "device": "cpu", "early_stopping": "3",
         "validation_fraction": "0.1", "hidden": "8,4",
         "channels": "4", "activation": "tanh", "loss": "bce", "code_activation": "sigmoid", "noise": "mask",
         "noise_level": "0.2", "sparsity": "kl", "sparsity_weight": "0.1", "sparsity_target": "0.1",
         "sparsity_decay": "0.9", "contractive": "0.1", "center_inputs": None, "pretrain_epochs": "1", "beta": "2",
         "likelihood": "gaussian", "kl_warmup": "1", "binarize": None, "cell": "gru", "hidden_size": "4",
         "num_layers": "2", "window": "5", "stride": "2", "rate_lambda": "0.02", "latent_channels": "4",
         "prior": "factorized", "compile": None}
FLAGS = {"center_inputs": "--no-center-inputs", "binarize": "--binarize", "compile": "--compile"}


@pytest.mark.parametrize("model", list(MODELS))
def test_every_typed_option_reaches_the_estimator_and_no_other(cli, monkeypatch, model: str) -> None:
    import typer

    import aekit.apps.train

    calls: list[dict] = []

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        raise typer.Exit(0)

    monkeypatch.setattr(aekit.apps.train, "train_run", recorded)
    names = [*COMMON_OPTIONS, *(name for name, models in MODEL_OPTIONS.items() if model in models)]
    assert set(names) <= set(TYPED)
    args = [a for name in names for a in ([FLAGS[name]] if TYPED[name] is None else [flag(name), TYPED[name]])]
    result = cli("train", "--model", model, *args)
    assert result.exit_code == 0, result.output
    params = calls[-1]["params"]
    assert set(params) == set(names) and calls[-1]["model"] == model
    for name in names:
        expected = {"center_inputs": False, "binarize": True, "compile": True}.get(name, TYPED[name])
        if name in ("hidden", "channels"):
            expected = tuple(int(w) for w in TYPED[name].split(","))
        assert params[name] == type(params[name])(expected) and type(params[name]) in (int, float, str, bool, tuple)
    assert cli("train", "--model", model, "--epochs", "2").exit_code == 0
    assert calls[-1]["params"] == {"epochs": 2, "random_state": 0}  # untyped options: the estimator's defaults
