"""Messages that said the wrong thing now say the right one (issue #13): values beyond
float32 are not "infinite", a pipe or a device is not "a folder", and the mixed-size image
error names a fix the command line has."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from aekit import Autoencoder
from aekit.cli.main import app
from aekit.data import read_array, read_idx, read_image, read_image_folder, read_table
from aekit.data.files import file_kind
from aekit.errors import DataFileError, InputError

OVERFLOW = r"beyond float32's range of \+-3\.4e38 \(first 1e\+39 at row 1, column 'b'\).*Scale those columns down"


def test_a_csv_value_beyond_float32_is_said_to_overflow_not_to_be_infinite(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,1e39\n5,6\n")
    with pytest.raises(InputError, match=r"t\.csv has 1 value " + OVERFLOW) as info:
        read_table(tmp_path / "t.csv")
    assert "infinite" not in str(info.value)


def test_a_dataframe_or_array_beyond_float32_is_said_to_overflow(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1e39]})
    with pytest.raises(InputError, match=r"X has 1 value " + OVERFLOW):
        Autoencoder(verbose=False).fit(frame)
    np.save(tmp_path / "x.npy", frame.to_numpy())
    with pytest.raises(InputError, match=r"x\.npy has 1 value beyond float32's range"):
        read_array(tmp_path / "x.npy")


def test_real_infinities_are_still_called_infinite(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,inf\n5,6\n")
    with pytest.raises(InputError, match="infinite") as info:
        read_table(tmp_path / "t.csv")
    assert "float32" not in str(info.value)


def test_values_near_the_float32_limit_still_load(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,3e38\n5,-3e38\n")
    assert np.isfinite(read_table(tmp_path / "t.csv").X).all()


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes and /dev/zero are POSIX")
@pytest.mark.parametrize("name", ["x.npy", "t.csv", "x.npz", "x.parquet"])
def test_a_named_pipe_is_not_called_a_folder(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    with pytest.raises(DataFileError, match=r"is a named pipe \(FIFO\), not a regular file") as info:
        read_array(tmp_path / name) if name.endswith((".npy", ".npz")) else read_table(tmp_path / name)
    assert "folder" not in str(info.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_under_a_data_name_is_a_device_and_is_not_read_forever(tmp_path: Path) -> None:
    (tmp_path / "zero.npy").symlink_to("/dev/zero")
    (tmp_path / "zero-idx3-ubyte").symlink_to("/dev/zero")
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    with pytest.raises(DataFileError, match="is a device, not a regular file"):
        read_array(tmp_path / "zero.npy")
    with pytest.raises(DataFileError, match="is a device, not a regular file"):
        read_idx(tmp_path / "zero-idx3-ubyte")
    with pytest.raises(DataFileError, match="is a device, not a regular file"):
        read_image(tmp_path / "zero.png")
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path / "zero.npy"), "-o", str(tmp_path / "run")])
    assert result.exit_code == 1 and "is a device" in result.output and "Traceback" not in result.output


def test_file_kind_names_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert (file_kind(tmp_path / "f"), file_kind(tmp_path), file_kind(tmp_path / "nope")) == \
        ("a file", "a folder", "nothing")


def test_the_mixed_size_image_error_names_a_fix_that_exists(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((9, 7), dtype=np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(InputError, match=r"differ in size.*Resize them to one size first.*in Python read them "
                                         r"with read_image_folder\(path, size=\(8, 8\)\)"):
        read_image_folder(tmp_path)
    assert read_image_folder(tmp_path, size=(8, 8)).X.shape == (2, 1, 8, 8)  # the Python fix it names works
