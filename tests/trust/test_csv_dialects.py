"""CSV files in other dialects are read correctly or refused, never read as one garbage column (issue #13)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aekit.data.tables import iter_table_chunks, read_table
from aekit.errors import DataFileError

VALUES = np.array([[1.5, 2.25, 3.0], [4.0, 5.5, 6.75], [7.0, 8.0, 9.5]], dtype=np.float32)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    path = _write(tmp_path / "eu.csv", "a;b;c\n1,5;2,25;3\n4;5,5;6,75\n7;8;9,5\n")
    ds = read_table(path)
    assert ds.columns == ("a", "b", "c")
    np.testing.assert_array_equal(ds.X, VALUES)
    np.testing.assert_array_equal(np.concatenate(list(iter_table_chunks(path, 2))), VALUES)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_separators_with_decimal_points(tmp_path: Path, sep: str) -> None:
    frame = pd.DataFrame(VALUES, columns=["a", "b", "c"])
    path = tmp_path / "t.csv"
    frame.to_csv(path, sep=sep, index=False)
    ds = read_table(path)
    assert ds.columns == ("a", "b", "c")
    np.testing.assert_array_equal(ds.X, VALUES)


def test_gzipped_semicolon_csv(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("a;b;c\n1,5;2,25;3\n4;5,5;6,75\n7;8;9,5\n")
    np.testing.assert_array_equal(read_table(path).X, VALUES)


def test_a_csv_without_header_keeps_its_first_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "raw.csv", "1.5,2.25,3\n4,5.5,6.75\n7,8,9.5\n")
    ds = read_table(path)
    assert ds.columns == ("0", "1", "2") and len(ds) == 3
    np.testing.assert_array_equal(ds.X, VALUES)
    np.testing.assert_array_equal(np.concatenate(list(iter_table_chunks(path, 2))), VALUES)


def test_headerless_label_column_is_named_by_position(tmp_path: Path) -> None:
    path = _write(tmp_path / "raw.csv", "1.5,2.25,0\n4,5.5,1\n7,8,0\n")
    ds = read_table(path, label_column="2")
    assert ds.columns == ("0", "1") and ds.y.tolist() == [0, 1, 0]


def test_pandas_default_names_stay_a_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame(VALUES).to_csv(path, index=False)  # header "0,1,2"
    ds = read_table(path)
    assert ds.columns == ("0", "1", "2") and len(ds) == 3
    np.testing.assert_array_equal(ds.X, VALUES)


def test_plain_csv_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame(VALUES, columns=["x", "y", "z"]).to_csv(path, index=False)
    ds = read_table(path)
    assert ds.columns == ("x", "y", "z")
    np.testing.assert_array_equal(ds.X, VALUES)


def test_one_column_read_of_a_glued_file_is_refused(tmp_path: Path) -> None:
    # separators that differ from line to line: no dialect to tell, so no silent one-column read
    path = _write(tmp_path / "glued.csv", "a;b;c\n1;2\n3;4;5;6\n")
    with pytest.raises(DataFileError, match=r"one column named 'a;b;c'.*separated by ';'"):
        read_table(path)
