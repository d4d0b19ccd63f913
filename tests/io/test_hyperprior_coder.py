"""The hyperprior's side of the coder: the scale ladder, its tables, and one stream of z then latents."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import norm

from aekit.errors import DataFileError
from aekit.io.entropy import (N_SCALES, PRECISION, SCALE_MAX, EntropyTables, HyperpriorCoder, build_scale_tables,
                              build_tables, scale_indices, scale_ladder)
from aekit.models.compression import SCALE_MIN, FactorizedDensity, gaussian_likelihoods


def test_the_ladder_is_log_spaced_and_indices_round_up() -> None:
    ladder = scale_ladder()
    assert len(ladder) == N_SCALES and ladder[0] == pytest.approx(SCALE_MIN) and ladder[-1] == pytest.approx(SCALE_MAX)
    assert np.allclose(np.diff(np.log(ladder)), np.log(ladder[1] / ladder[0]))
    idx = scale_indices(np.array([0.0, SCALE_MIN, ladder[5], ladder[5] * 1.0001, 1e6]))
    np.testing.assert_array_equal(idx, [0, 0, 5, 6, N_SCALES - 1])
    # never a narrower table than the prediction (up to the top rung)
    s = np.exp(np.random.default_rng(0).uniform(np.log(SCALE_MIN), np.log(SCALE_MAX), 1000))
    assert np.all(ladder[scale_indices(s)] >= s * (1 - 1e-12))


def test_scale_tables_are_valid_and_match_the_gaussian() -> None:
    t = build_scale_tables()
    EntropyTables.from_tensors(t.to_tensors())  # the same checks a loaded model gets
    assert t.channels == N_SCALES
    for r in (0, 20, N_SCALES - 1):
        s = scale_ladder()[r]
        row = t.counts[r, : t.lengths[r]] / 2**PRECISION
        values = np.arange(t.offsets[r], t.offsets[r] + t.lengths[r])
        expected = norm.cdf((values + 0.5) / s) - norm.cdf((values - 0.5) / s)
        # every value keeps at least one count: the mode pays for them, at most one count per value
        assert np.abs(row - expected).max() <= (t.lengths[r] + 1) / 2**PRECISION
        assert t.offsets[r] <= -8 and norm.sf((-t.offsets[r] - 0.5) / s) < 1e-8
    # the same function as the model's training-time likelihood
    v, s = np.array([0.0, 1.0, -2.0, 3.0]), np.array([0.5, 1.0, 2.0, 0.11])
    expected = np.maximum(norm.cdf((np.abs(v) + 0.5) / s) - norm.cdf((np.abs(v) - 0.5) / s), 1e-9)
    got = gaussian_likelihoods(torch.tensor(v, dtype=torch.float32), torch.tensor(s, dtype=torch.float32))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4)


def _coder() -> HyperpriorCoder:
    torch.manual_seed(0)
    return HyperpriorCoder(build_tables(FactorizedDensity(3, init_scale=3.0)), build_scale_tables())


def test_round_trip_of_z_and_latents_in_one_stream() -> None:
    coder = _coder()
    rng = np.random.default_rng(0)
    for _ in range(20):
        zq = rng.integers(-2, 3, size=(3, 1, 2)).astype(np.int32)
        rungs = rng.integers(0, N_SCALES, size=(5, 2, 3)).astype(np.int32)
        q = np.rint(rng.normal(0, scale_ladder()[rungs])).astype(np.int32)
        data = coder.encode(zq, q, rungs)
        z_back, decoder = coder.decode_z(data, zq.shape)
        np.testing.assert_array_equal(z_back, coder.z_coder.decode(coder.z_coder.encode(zq), zq.shape))
        np.testing.assert_array_equal(coder.decode_q(decoder, rungs, len(data)), coder.clip(q, rungs))


def test_rate_is_close_to_the_information_content() -> None:
    coder, t = _coder(), build_scale_tables()
    rng = np.random.default_rng(1)
    bits, info = 0, 0.0
    for _ in range(30):
        zq = np.zeros((3, 1, 1), np.int32)
        rungs = rng.integers(10, 40, size=(8, 4, 4)).astype(np.int32)
        q = coder.clip(np.rint(rng.normal(0, scale_ladder()[rungs])).astype(np.int32), rungs)
        info += float(-np.log2(t.counts[rungs, q - t.offsets[rungs]] / 2**PRECISION).sum())
        info += float(-np.log2(coder.z_coder.tables.counts[np.arange(3), -coder.z_coder.tables.offsets] / 2**PRECISION).sum())
        bits += 8 * len(coder.encode(zq, q, rungs))
    assert info <= bits < info + 30 * 12


def test_outliers_are_clipped_to_their_tables_ends() -> None:
    coder = _coder()
    rungs = np.zeros((1, 1, 2), np.int32)
    q = np.array([[[10_000, -10_000]]], np.int32)
    clipped = coder.clip(q, rungs)
    assert clipped[0, 0, 0] == -clipped[0, 0, 1] > 0
    z_back, decoder = coder.decode_z(coder.encode(np.zeros((3, 1, 1), np.int32), q, rungs), (3, 1, 1))
    np.testing.assert_array_equal(coder.decode_q(decoder, rungs, 0), clipped)


def test_side_information_of_another_size_is_refused() -> None:
    with pytest.raises(DataFileError, match="4 channels"):
        _coder().decode_z(b"\x00\x01", (4, 1, 1))
