"""Sliding windows, padding, the mask channel and reading series from files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aekit.data.windows import length_mask, pad_sequences, read_series, sliding_windows, with_mask_channel
from aekit.errors import DataFileError, InputError


@pytest.mark.parametrize("T, window, stride, n", [(10, 4, 1, 7), (10, 4, 3, 3), (10, 4, 4, 2), (10, 10, 5, 1)])
def test_window_count_and_content(T, window, stride, n):
    series = np.arange(T * 2, dtype=np.float64).reshape(T, 2)
    w = sliding_windows(series, window, stride)
    assert w.shape == (n, window, 2) and w.dtype == np.float32
    for i in range(n):  # window i is the slice starting at i * stride, channels kept apart
        np.testing.assert_array_equal(w[i], series[i * stride:i * stride + window])


def test_windows_are_a_copy_and_1d_is_one_channel():
    series = np.arange(6.0)
    w = sliding_windows(series, 3, 1)
    assert w.shape == (4, 3, 1)
    w[0, 0, 0] = 99.0
    assert series[0] == 0.0 and w[1, 0, 0] == 1.0  # no shared memory between overlapping windows


def test_window_longer_than_series_says_how_long_it_is():
    with pytest.raises(InputError, match=r"window=11 is longer than the series \(10 time steps\).*window <= 10"):
        sliding_windows(np.zeros((10, 3)), 11)


@pytest.mark.parametrize("window, stride, match", [(0, 1, "window must be an int >= 1, got 0"),
                                                   (3, 0, "stride must be an int >= 1, got 0"),
                                                   (2.5, 1, "window must be an int")])
def test_bad_window_or_stride(window, stride, match):
    with pytest.raises(InputError, match=match):
        sliding_windows(np.zeros((10, 3)), window, stride)


def test_windows_refuse_nan_naming_step_and_channel():
    series = np.zeros((20, 3))
    series[7, 2] = np.nan
    with pytest.raises(InputError, match=r"1 NaN or infinite value \(first at step 7, channel 2\).*interpolate"):
        sliding_windows(series, 5)


def test_windows_refuse_a_stack():
    with pytest.raises(InputError, match=r"one series of shape \(T, C\).*\(4, 5, 3\)"):
        sliding_windows(np.zeros((4, 5, 3)), 2)


def test_pad_shapes_lengths_and_mask():
    seqs = [np.ones((3, 2)), 2 * np.ones((5, 2)), 3 * np.ones((1, 2))]
    padded, lengths = pad_sequences(seqs, value=-1.0)
    assert padded.shape == (3, 5, 2) and padded.dtype == np.float32
    np.testing.assert_array_equal(lengths, [3, 5, 1])
    for seq, row, n in zip(seqs, padded, lengths):
        np.testing.assert_array_equal(row[:n], seq)
        assert np.all(row[n:] == -1.0)
    mask = length_mask(lengths, 5)
    np.testing.assert_array_equal(mask.sum(1), lengths)
    assert mask.dtype == bool and not mask[2, 1:].any()
    packed = with_mask_channel(padded, lengths)
    assert packed.shape == (3, 5, 3)
    np.testing.assert_array_equal(packed[..., -1], mask.astype(np.float32))
    np.testing.assert_array_equal(packed[..., :2], padded)
    assert np.all(with_mask_channel(padded)[..., -1] == 1.0)  # no lengths: every step real


def test_pad_univariate_sequences():
    padded, lengths = pad_sequences([np.arange(4.0), np.arange(2.0)])
    assert padded.shape == (2, 4, 1) and list(lengths) == [4, 2]


@pytest.mark.parametrize("seqs, match", [
    ([np.ones((3, 2)), np.ones((4, 3))], "sequence 1 has 3 channels but sequence 0 has 2"),
    ([], "empty list"),
    ([np.ones((3, 2)), np.ones((0, 2))], r"sequence 1 is empty"),
    ([np.ones((2, 2, 2))], r"sequence 0 has shape \(2, 2, 2\)"),
    (np.ones((2, 3, 4)), "takes a list of sequences"),
])
def test_pad_refuses_bad_input(seqs, match):
    with pytest.raises(InputError, match=match):
        pad_sequences(seqs)


def test_pad_refuses_nan_naming_sequence_step_channel():
    bad = np.ones((6, 2))
    bad[4, 1] = np.inf
    with pytest.raises(InputError, match=r"sequence 2 has 1 NaN or infinite value \(first at step 4, channel 1\)"):
        pad_sequences([np.ones((3, 2)), np.ones((2, 2)), bad])


def test_read_series_from_csv_and_npy(tmp_path):
    data = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    pd.DataFrame(data, columns=["a", "b", "c"]).to_csv(tmp_path / "s.csv", index=False)
    np.save(tmp_path / "s.npy", data)
    np.save(tmp_path / "u.npy", data[:, 0])
    np.testing.assert_allclose(read_series(tmp_path / "s.csv"), data, rtol=1e-6)
    np.testing.assert_array_equal(read_series(tmp_path / "s.npy"), data)
    assert read_series(tmp_path / "u.npy").shape == (30, 1)


def test_read_series_refuses_windows_and_unknown_files(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((4, 10, 3), np.float32))
    with pytest.raises(InputError, match=r"shape \(4, 10, 3\); read_series reads one series"):
        read_series(tmp_path / "w.npy")
    (tmp_path / "s.txt").write_text("1,2\n")
    with pytest.raises(InputError, match="read_series reads .csv"):
        read_series(tmp_path / "s.txt")
    with pytest.raises(DataFileError, match="does not exist"):
        read_series(tmp_path / "missing.csv")


def test_read_series_refuses_gaps_in_csv(tmp_path):
    (tmp_path / "g.csv").write_text("a,b\n1,2\n3,\n5,6\n")
    with pytest.raises(InputError, match="g.csv has 1 NaN"):
        read_series(tmp_path / "g.csv")
