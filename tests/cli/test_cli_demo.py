"""aekit demo on the embedded digits (no download)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer


@pytest.mark.slow
def test_demo_one_epoch(cli, tmp_path: Path) -> None:
    import torch

    threads = torch.get_num_threads()
    result = cli("demo", "--epochs", "1")
    assert torch.get_num_threads() == threads  # the demo's one-thread setting is undone
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "demo"
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["n_train"], metrics["n_test"], metrics["epochs_run"]) == (4000, 1000, 1)
    assert metrics["n_parameters"] == 784 * 32 + 32 + 32 * 784 + 784  # the classic 784-32-784
    assert metrics["test_bce"] < 0.69  # below the log(2) of predicting 0.5 everywhere, after 16 steps
    assert "val_loss" in (run / "history.csv").read_text()  # validated on the test digits, like the Keras demo
    assert "784-32-784" in result.stdout and "reconstructions.png" in result.stdout
    assert metrics["baseline"]["name"] == "PCA-32" and metrics["baseline"]["n_fit"] == 4000
    assert "baseline PCA-32 (fit on 4,000 rows" in result.stdout
    assert "aekit loses to PCA-32" in result.stdout  # one epoch is not enough


def test_demo_replaces_only_an_earlier_demo(cli, tmp_path: Path, monkeypatch) -> None:
    import aekit.apps.demo as demo_module

    calls: list[dict] = []

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        raise typer.Exit(0)

    monkeypatch.setattr(demo_module, "train_run", recorded)
    run = tmp_path / "runs" / "demo"
    run.mkdir(parents=True)
    (run / "run.json").write_text('{"command": "demo"}')
    cli("demo")
    assert calls[-1]["overwrite"] is True
    (run / "run.json").write_text('{"command": "train"}')
    refused = cli("demo")
    assert refused.exit_code == 1 and "not from an earlier demo" in refused.stderr and "--overwrite" in refused.stderr
    cli("demo", "--overwrite")
    assert calls[-1]["overwrite"] is True and len(calls) == 2
