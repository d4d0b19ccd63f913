"""aekit report: rebuilds the page of a run folder, refuses a folder that is not a run."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from aekit.cli.main import app


def test_report_rebuilds_the_page_with_every_plot(tmp_path):
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).random((60, 6)).astype(np.float32))
    run = tmp_path / "run"
    assert CliRunner().invoke(app, ["train", "--data", str(data), "--epochs", "1", "-o", str(run), "-q"]).exit_code == 0
    (run / "report.html").unlink()
    out = tmp_path / "elsewhere.html"
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(out), "--title", "Mine"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    n_png = len(list(run.glob("*.png")))
    assert n_png >= 2 and page.count("data:image/png;base64") == n_png and "Mine" in page


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1 and "not an aekit run" in result.output and "Traceback" not in result.output
