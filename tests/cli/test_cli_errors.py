"""Every user mistake: exit code 1 (2 for a malformed option), one line, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def usage_text(result) -> str:  # type: ignore[no-untyped-def]
    """Click's usage error as plain words (rich draws it in a box that wraps lines)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # a clean exit, not a crash
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_missing_data_path(cli, fast, tmp_path: Path) -> None:
    message = one_line_error(cli("train", "--data", tmp_path / "nope.csv", *fast))
    assert "nope.csv" in message and "does not exist" in message
    assert not (tmp_path / "runs").exists()


def test_unknown_dataset_name(cli, fast) -> None:
    message = one_line_error(cli("train", "--data", "mnits", *fast))
    assert "unknown data set 'mnits'" in message and "'mnist'" in message


def test_non_numeric_column_is_named(cli, fast, tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0), "city": ["x", "y"] * 10})
    frame.to_csv(tmp_path / "t.csv", index=False)
    message = one_line_error(cli("train", "--data", tmp_path / "t.csv", *fast))
    assert "'city'" in message and "non-numeric" in message


@pytest.mark.parametrize("value", ["128,abc", "0", "64,,32", "-3"])
def test_bad_hidden_value(cli, fast, table_csv: Path, value: str) -> None:
    args = [a for a in fast if a not in ("--hidden", "8")]
    result = cli("train", "--data", table_csv, *args, f"--hidden={value}")
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = usage_text(result)
    assert "Invalid value for '--hidden'" in text and "not a whole number >= 1" in text


def test_bad_choice_lists_the_choices(cli, table_csv: Path) -> None:
    result = cli("train", "--data", table_csv, "--model", "gan")
    assert result.exit_code == 2
    assert "'gan' is not one of 'dense', 'conv', 'vae', 'conv-vae', 'recurrent'" in usage_text(result)


def test_corrupt_weights_for_encode(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_bytes((run / "config.json").read_bytes())
    (broken / "model.safetensors").write_bytes((run / "model.safetensors").read_bytes()[:100])
    message = one_line_error(cli("encode", broken, "--data", table, "--out", tmp_path / "codes.npy"))
    assert "model.safetensors" in message and ("corrupt" in message or "truncated" in message)
    assert not (tmp_path / "codes.npy").exists()


def test_folder_without_a_model(cli, table_csv: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    message = one_line_error(cli("evaluate", tmp_path / "empty", "--data", table_csv))
    assert "no aekit model" in message and "config.json" in message


def test_missing_run_folder_is_a_usage_error(cli, table_csv: Path, tmp_path: Path) -> None:
    result = cli("encode", tmp_path / "nowhere", "--data", table_csv)
    assert result.exit_code == 2 and "nowhere' does not exist" in usage_text(result)


def test_wrong_feature_count(cli, trained, tmp_path: Path) -> None:
    run, _ = trained
    pd.DataFrame(np.ones((5, 2)), columns=["a", "b"]).to_csv(tmp_path / "two.csv", index=False)
    message = one_line_error(cli("evaluate", run, "--data", tmp_path / "two.csv"))
    assert "2 features" in message or "2 columns" in message


def test_bad_output_suffix(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    message = one_line_error(cli("encode", run, "--data", table, "--out", tmp_path / "codes.txt"))
    assert ".npy or .csv" in message


def test_debug_shows_the_traceback(cli, fast, tmp_path: Path) -> None:
    result = cli("--debug", "train", "--data", tmp_path / "nope.csv", *fast)
    assert result.exit_code == 1
    assert result.exception is not None and "nope.csv" in str(result.exception)


@pytest.mark.slow
def test_the_installed_entry_point_prints_one_line(tmp_path: Path) -> None:
    """Outside CliRunner too: the real program exits 1 with one line and no traceback box."""
    proc = subprocess.run([sys.executable, "-m", "aekit.cli.main", "train", "--data", str(tmp_path / "nope.csv")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
