"""Run folders: no accidental clobbering, atomic JSON / CSV / array files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aekit.errors import InputError
from aekit.io.run_dir import (RUN_FILES, check_run_dir, create_run_dir, write_array, write_history_csv,
                              write_json)


def test_create_makes_missing_parents(tmp_path: Path) -> None:
    run = create_run_dir(tmp_path / "runs" / "a")
    assert run.is_dir() and run == tmp_path / "runs" / "a"


def test_empty_existing_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    assert create_run_dir(tmp_path / "run").is_dir()


def test_non_empty_folder_is_refused_with_the_flags_named(tmp_path: Path) -> None:
    run = create_run_dir(tmp_path / "run")
    (run / "config.json").write_text("{}")
    with pytest.raises(InputError, match=r"run folder .*run already exists.*config\.json.*--resume.*--overwrite"):
        create_run_dir(run)
    with pytest.raises(InputError, match="already exists"):
        check_run_dir(run)


def test_resume_keeps_everything(tmp_path: Path) -> None:
    run = create_run_dir(tmp_path / "run")
    (run / "checkpoint.safetensors").write_bytes(b"x")
    create_run_dir(run, resume=True)
    assert (run / "checkpoint.safetensors").read_bytes() == b"x"


def test_overwrite_removes_only_run_files(tmp_path: Path) -> None:
    run = create_run_dir(tmp_path / "run")
    for name in RUN_FILES:
        (run / name).write_text("old")
    (run / "notes.txt").write_text("mine")
    create_run_dir(run, overwrite=True)
    assert sorted(p.name for p in run.iterdir()) == ["notes.txt"]


def test_both_flags_and_a_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="choose one"):
        create_run_dir(tmp_path / "run", overwrite=True, resume=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        create_run_dir(tmp_path / "file")


def test_check_creates_nothing(tmp_path: Path) -> None:
    check_run_dir(tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_write_json_converts_numpy_and_non_finite(tmp_path: Path) -> None:
    path = write_json(tmp_path / "m.json", {"a": np.float32(0.5), "n": np.int64(3), "bad": math.nan,
                                            "arr": np.arange(2), "p": Path("x")})
    text = path.read_text()
    assert "NaN" not in text
    assert json.loads(text) == {"a": 0.5, "n": 3, "bad": None, "arr": [0, 1], "p": "x"}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temp file left behind


def test_write_json_refuses_unknown_objects_and_keeps_old_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "m.json", {"a": 1})
    with pytest.raises(TypeError):
        write_json(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_history_csv_has_epoch_first_and_union_of_columns(tmp_path: Path) -> None:
    history = [{"loss": 0.5, "epoch": 1, "lr": 1e-3}, {"epoch": 2, "loss": 0.4, "val_loss": 0.45, "lr": 1e-3}]
    frame = pd.read_csv(write_history_csv(tmp_path / "history.csv", history))
    assert list(frame.columns) == ["epoch", "loss", "lr", "val_loss"]
    assert frame["epoch"].tolist() == [1, 2]
    assert math.isnan(frame["val_loss"][0]) and frame["val_loss"][1] == 0.45


def test_empty_history_writes_an_empty_file(tmp_path: Path) -> None:
    assert write_history_csv(tmp_path / "h.csv", []).read_text().strip() == ""


def test_write_array_npy_and_csv(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    np.testing.assert_array_equal(np.load(write_array(tmp_path / "a.npy", x)), x)
    frame = pd.read_csv(write_array(tmp_path / "a.csv", x))
    assert frame.shape == (3, 4) and list(frame.columns) == ["x0", "x1", "x2", "x3"]
    frame = pd.read_csv(write_array(tmp_path / "z.csv", x[:, 0, :], columns=["z0", "z1"]))
    assert frame["z1"].tolist() == [1.0, 5.0, 9.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.npy", "z.csv"]


def test_write_array_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.npy or \.csv"):
        write_array(tmp_path / "a.txt", np.zeros((2, 2)))
    with pytest.raises(InputError, match="3 column names given for 2 values"):
        write_array(tmp_path / "a.csv", np.zeros((2, 2)), columns=["a", "b", "c"])
