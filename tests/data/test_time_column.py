"""A table's time column (NAB's ``timestamp,value``) read as the time index: found, kept, checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aekit.data.sources import load_dataset
from aekit.data.splits import load_series_train_test, load_train_test
from aekit.data.tables import iter_table_chunks, read_table
from aekit.data.windows import read_series
from aekit.errors import InputError


def nab_csv(folder: Path, steps: int = 40, name: str = "series.csv") -> Path:
    """A NAB-shaped file: ``timestamp,value``, five-minute steps."""
    stamps = pd.date_range("2014-04-01 00:00:00", periods=steps, freq="5min")
    frame = pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": np.arange(steps) * 0.5})
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def test_a_date_time_column_is_found_and_becomes_the_time_index(tmp_path: Path) -> None:
    ds = read_table(nab_csv(tmp_path))
    assert ds.X.shape == (40, 1) and ds.columns == ("value",)
    assert ds.time_index.dtype == np.dtype("datetime64[ns]") and len(ds.time_index) == 40
    assert ds.time_index[1] - ds.time_index[0] == np.timedelta64(5, "m")
    assert str(ds.time_index[0]) == "2014-04-01T00:00:00.000000000"
    np.testing.assert_allclose(ds.X[:, 0], np.arange(40) * 0.5)
    # the same through every reader that takes a table
    assert load_dataset(nab_csv(tmp_path)).time_index is not None
    np.testing.assert_allclose(read_series(nab_csv(tmp_path))[:, 0], np.arange(40) * 0.5)
    assert sum(len(b) for b in iter_table_chunks(nab_csv(tmp_path), 7)) == 40


def test_a_table_without_time_column_has_no_time_index(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).to_csv(tmp_path / "t.csv", index=False)
    assert read_table(tmp_path / "t.csv").time_index is None


def test_a_parquet_datetime_column_with_a_zone_is_read_in_utc(tmp_path: Path) -> None:
    stamps = pd.date_range("2020-01-01 01:00", periods=3, freq="h", tz="Europe/Berlin")
    pd.DataFrame({"when": stamps, "x": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "s.parquet")
    ds = read_table(tmp_path / "s.parquet")
    assert ds.columns == ("x",)
    assert str(ds.time_index[0]) == "2020-01-01T00:00:00.000000000"  # 01:00 in Berlin is 00:00 UTC


def test_a_named_numeric_time_column_is_taken_only_when_named(tmp_path: Path) -> None:
    pd.DataFrame({"t": [10, 20, 30], "v": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "n.csv", index=False)
    assert read_table(tmp_path / "n.csv").X.shape == (3, 2)  # a number is a feature unless named
    ds = read_table(tmp_path / "n.csv", time_column="t")
    assert ds.X.shape == (3, 1) and ds.time_index.tolist() == [10, 20, 30]


def test_words_are_not_mistaken_for_times(tmp_path: Path) -> None:
    pd.DataFrame({"colour": ["red", "blue"], "v": [1.0, 2.0]}).to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(InputError, match="non-numeric column 'colour'"):
        read_table(tmp_path / "w.csv")


@pytest.mark.parametrize("stamps, message", [
    (["2020-01-01 00:00", "2020-01-01 02:00", "2020-01-01 01:00"],
     r"not in time order: row 2 \(2020-01-01 01:00\) comes after row 1 .*sort_values\('timestamp'\)"),
    (["2020-01-01 00:00", "2020-01-01 01:00", "2020-01-01 01:00"],
     r"repeats time stamps: 2020-01-01 01:00 is on rows 1 and 2 .*groupby"),
])
def test_unsorted_or_repeated_time_stamps_are_refused(tmp_path: Path, stamps: list[str], message: str) -> None:
    pd.DataFrame({"timestamp": stamps, "value": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match=message):
        read_table(tmp_path / "bad.csv")


def test_a_missing_time_stamp_is_refused_by_row(tmp_path: Path) -> None:
    frame = pd.DataFrame({"timestamp": ["2020-01-01 00:00", "not a time", "2020-01-01 02:00"], "v": [1.0, 2, 3]})
    frame.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputError, match=r"1 missing or unparsable time stamps \(first at row 1: 'not a time'\)"):
        read_table(tmp_path / "m.csv", time_column="timestamp")


def test_an_unknown_time_column_lists_the_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"time_column 'time' is not a column of series.csv; its columns are "
                                         r"'timestamp', 'value'"):
        read_table(nab_csv(tmp_path), time_column="time")


def test_two_date_time_columns_ask_which_one(tmp_path: Path) -> None:
    frame = pd.DataFrame({"start": ["2020-01-01", "2020-01-02"], "end": ["2020-01-03", "2020-01-04"], "v": [1., 2.]})
    frame.to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(InputError, match=r"2 columns of date-times \('start', 'end'\).*--time-column start"):
        read_table(tmp_path / "two.csv")


def test_series_windows_and_table_splits_keep_their_time_stamps(tmp_path: Path) -> None:
    path = nab_csv(tmp_path, steps=100)
    full = read_table(path)
    train, test, _, first = load_series_train_test(str(path), window=10, stride=5)
    assert len(train.time_index) == len(train.X) and len(test.time_index) == len(test.X)
    np.testing.assert_array_equal(test.time_index, full.time_index[first])
    np.testing.assert_array_equal(train.time_index[1], full.time_index[5])
    tr, te, _ = load_train_test(str(path))
    stamps = np.concatenate([tr.time_index, te.time_index])
    values = np.concatenate([tr.X[:, 0], te.X[:, 0]])
    lookup = dict(zip(full.time_index.tolist(), full.X[:, 0].tolist()))
    assert all(lookup[t] == v for t, v in zip(stamps.tolist(), values.tolist()))  # each row keeps its own stamp
