"""Open a report in a real headless browser (skipped where no Chromium is installed)."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from aekit.plots import plot_loss_curves, plot_reconstructions
from aekit.report import write_report

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(BROWSER is None, reason="no chromium or chromium-browser on PATH")
def test_report_renders_in_a_headless_browser(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"latent_dim": 2, "loss": "bce"}))
    (run / "metrics.json").write_text(json.dumps({"val_loss": 0.031}))
    plot_loss_curves({"train_loss": [0.3, 0.1, 0.05], "val_loss": [0.3, 0.12, 0.07]},
                     run / "loss_curves.png")
    images = np.random.default_rng(0).random((5, 8, 8))
    plot_reconstructions(images, images, run / "reconstructions.png")
    report = write_report(run)
    shot = tmp_path / "shot.png"

    subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
         report.resolve().as_uri()],
        capture_output=True, timeout=120, check=False,
    )

    assert shot.is_file(), "the browser wrote no screenshot"
    with Image.open(shot) as image:
        assert image.size == (1200, 1600)
        low, high = zip(*image.convert("RGB").getextrema())
        assert low != high, "the screenshot is one flat colour: nothing rendered"
