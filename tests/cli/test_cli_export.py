"""aekit export: encoder.onnx, decoder.onnx and model.onnx of a trained run, checked with ONNX Runtime."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aekit.cli.export import ExportFormat
from tests.cli._app_helpers import one_line_error, result_line, usage_error

pytest.importorskip("onnx")


def test_export_writes_three_graphs_that_match_pytorch(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    line = result_line(cli("export", run, "--format", "onnx", "--out", tmp_path / "onnx"))
    assert line.startswith("Autoencoder (dense, input 6, code 3) exported to encoder.onnx, decoder.onnx, model.onnx")
    for name in ("encoder", "decoder", "model"):
        assert (tmp_path / "onnx" / f"{name}.onnx").stat().st_size > 0
    ort = pytest.importorskip("onnxruntime")
    m = re.search(r"max \|diff\| (\S+) on 256 inputs", line)
    assert m and float(m.group(1)) <= 1e-5, line
    import aekit

    X = pd.read_csv(table).drop(columns="label").to_numpy(np.float32)
    out = ort.InferenceSession(str(tmp_path / "onnx" / "model.onnx")).run(None, {"x": X})[0]
    np.testing.assert_allclose(out, aekit.load(run).predict(X), atol=1e-4)


def test_export_no_check(cli, trained, tmp_path: Path) -> None:
    run, _ = trained
    assert "not checked" in result_line(cli("export", run, "--no-check", "--out", tmp_path / "o"))


def test_export_refuses_a_missing_run_an_unknown_format_and_a_non_autoencoder(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    assert "does not exist" in usage_error(cli("export", tmp_path / "none"))
    assert "'tflite' is not one of 'onnx'" in usage_error(cli("export", run, "--format", "tflite"))
    det = cli("detect", run, "--data", table, "--out", tmp_path / "det")
    assert det.exit_code == 0, det.output
    assert "AnomalyDetector" in one_line_error(cli("export", tmp_path / "det", "--out", tmp_path / "o"))


def test_format_choices_mirror_the_library() -> None:
    from aekit.apps.export import FORMATS

    assert {f.value for f in ExportFormat} == set(FORMATS)
