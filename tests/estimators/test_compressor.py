"""ImageCompressor: bytes round trip, files another process decodes bit for bit, refusals."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from aekit.errors import DataFileError, InputError, ModelFileError, NotFittedError
from aekit.estimators.compressor import ImageCompressor
from aekit.io.entropy import PRECISION, EntropyTables
from aekit.io.model_file import load_model

torch.set_num_threads(1)
TINY = {"latent_channels": 4, "hidden": 8, "stages": 2, "kernel_size": 3, "epochs": 2, "batch_size": 32,
        "lr": 3e-3, "device": "cpu"}


def _digits(n: int = 96, size: tuple[int, int] = (12, 12), seed: int = 0) -> np.ndarray:
    """uint8 images: a bright bar at a random row/column on black (easy, compressible)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, *size), np.uint8)
    for i in range(n):
        r, c = rng.integers(0, size[0] - 3), rng.integers(0, size[1] - 3)
        out[i, r:r + 3, c:c + 1] = 255
        out[i, r + 1, c:c + 3] = 200
    return out


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return _digits()


@pytest.fixture(scope="module", params=["hyperprior", "factorized"])
def comp(X: np.ndarray, request: pytest.FixtureRequest) -> ImageCompressor:
    return ImageCompressor(0.01, prior=request.param, random_state=0, **TINY).fit(X)


def _information_bits(comp: ImageCompressor, X: np.ndarray) -> float:
    """Bits the integer tables give the symbols ``comp`` writes for ``X``: the coder's ideal."""
    def bits(tables: EntropyTables, rows: np.ndarray, values: np.ndarray) -> float:
        counts = tables.counts[rows, values - tables.offsets[rows]]
        return float(-np.log2(counts / 2**PRECISION).sum())

    total = 0.0
    for q, zq, rungs in comp._coded(comp._check_input(X)[0], comp._coder()):
        if zq is None:
            channels = np.broadcast_to(np.arange(q.shape[0])[:, None, None], q.shape)
            total += bits(comp.tables_, channels.ravel(), q.ravel())
        else:
            channels = np.broadcast_to(np.arange(zq.shape[0])[:, None, None], zq.shape)
            total += bits(comp.tables_, channels.ravel(), zq.ravel()) + bits(comp.scale_tables_, rungs.ravel(), q.ravel())
    return total


def test_round_trip_keeps_shape_dtype_and_the_rounded_latents(comp: ImageCompressor, X: np.ndarray) -> None:
    data = comp.compress(X[:20])
    out, q = comp.decompress(data, return_latents=True)
    assert out.shape == (20, 12, 12) and out.dtype == np.uint8
    np.testing.assert_array_equal(q, comp.latents(X[:20]))
    if comp.prior == "factorized":  # the latents are round(y), clipped into each channel's table
        with torch.no_grad():
            y = comp.module_.analysis(torch.from_numpy(X[:20, None].astype(np.float32) / 255)).numpy()
        t = comp.tables_
        lows, highs = t.offsets[:, None, None], (t.offsets + t.lengths - 1)[:, None, None]
        np.testing.assert_array_equal(q, np.clip(np.rint(y), lows, highs))


def test_hyperprior_latents_are_the_rounded_residuals_of_the_predicted_means(X: np.ndarray) -> None:
    comp = ImageCompressor(0.01, random_state=0, **TINY).fit(X)
    assert comp.prior == "hyperprior" and comp.scale_tables_ is not None
    x = X[:10, None].astype(np.float32) / 255
    with torch.no_grad():
        y = comp.module_.analysis(torch.from_numpy(x))
        z = torch.round(comp.module_.hyper_analysis(y))
        mean, _ = comp.module_.hyper_params(z, (y.shape[-2], y.shape[-1]))
    q = comp.latents(X[:10])
    residual = np.rint((y - mean).numpy())
    inside = np.abs(residual) < 8  # every rung's table covers at least -8..8
    np.testing.assert_array_equal(q[inside], residual[inside])
    # the decoder's latents are the symbols plus the same means: the reconstruction matches the model's own
    with torch.no_grad():
        comp.module_.eval()
        own = comp.module_(torch.from_numpy(x)).numpy()
    back = comp.decompress(comp.compress(x))
    assert back.shape == own.shape and np.abs(back - own).max() < 1e-4


def test_file_size_is_the_information_content_plus_a_few_bytes(comp: ImageCompressor, X: np.ndarray) -> None:
    info = _information_bits(comp, X)
    data = comp.compress(X)
    bits = 8 * len(data)
    assert info <= bits < info + len(X) * 8 * 3 + 8 * 80  # < 3 bytes per image and the 80-byte header


def test_float_images_of_odd_size_come_back_as_float(comp: ImageCompressor) -> None:
    x = _digits(5, (13, 17), seed=1).astype(np.float32) / 255.0
    out = comp.decompress(comp.compress(x))
    assert out.shape == (5, 13, 17) and out.dtype == np.float32
    assert np.all((out >= 0) & (out <= 1))


def test_decompress_gives_back_the_rank_that_was_compressed(comp: ImageCompressor, X: np.ndarray) -> None:
    # fitted on (N, H, W); the same images as (N, 1, H, W) come back as (N, 1, H, W), and the reverse
    with_axis = X[:6, None]
    out = comp.decompress(comp.compress(with_axis))
    assert out.shape == (6, 1, 12, 12)
    np.testing.assert_array_equal(out[:, 0], comp.decompress(comp.compress(X[:6])))
    four = ImageCompressor(0.01, random_state=0, **{**TINY, "epochs": 1}).fit(X[:, None])
    assert four.decompress(four.compress(X[:3])).shape == (3, 12, 12)
    assert four.decompress(four.compress(X[:3, None])).shape == (3, 1, 12, 12)


def test_a_file_without_the_rank_byte_decodes_in_the_fitted_rank(comp: ImageCompressor, X: np.ndarray) -> None:
    import struct
    import zlib

    from aekit.io.aek_format import HEADER_SIZE

    data = bytearray(comp.compress(X[:4, None]))
    assert data[45] == 4
    data[45] = 0  # as written before the byte held the rank
    data[HEADER_SIZE - 4: HEADER_SIZE] = struct.pack("<I", zlib.crc32(bytes(data[:HEADER_SIZE - 4])))
    assert comp.decompress(bytes(data)).shape == (4, 12, 12)  # comp was fitted on (N, H, W)


def test_training_lowers_the_loss_and_more_lambda_means_fewer_bits(X: np.ndarray) -> None:
    fast = {**TINY, "epochs": 5, "batch_size": 8}
    low = ImageCompressor(1e-4, random_state=0, **fast).fit(X)
    high = ImageCompressor(1.0, random_state=0, **fast).fit(X)
    assert low.history_[-1]["loss"] < low.history_[0]["loss"]
    assert low.history_[-1]["bpp"] > 1.5 * high.history_[-1]["bpp"]
    assert len(high.compress(X)) < len(low.compress(X))


def test_many_channels(X: np.ndarray) -> None:
    rgb = np.stack([X, X[::-1], X // 2], axis=1)  # (N, 3, H, W)
    comp = ImageCompressor(0.01, random_state=0, **{**TINY, "epochs": 1}).fit(rgb)
    assert comp.decompress(comp.compress(rgb[:4])).shape == (4, 3, 12, 12)
    with pytest.raises(InputError, match="fitted on 3"):
        comp.compress(X[:4])


def test_save_load_same_model_same_bytes(comp: ImageCompressor, X: np.ndarray, tmp_path: Path) -> None:
    comp.save(tmp_path / "m")
    back = ImageCompressor._from_saved(*load_model(tmp_path / "m"))
    assert back.model_sha256_ == comp.model_sha256_
    data = comp.compress(X[:10])
    assert back.compress(X[:10]) == data
    np.testing.assert_array_equal(back.decompress(data), comp.decompress(data))


def test_tampered_saved_model_is_refused(comp: ImageCompressor, tmp_path: Path) -> None:
    import json

    comp.save(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    cfg["fitted"]["model_sha256"] = "0" * 64
    with pytest.raises(ModelFileError, match="hash"):
        ImageCompressor._from_saved(cfg, load_model(tmp_path / "m")[1])


_DECODE = """
import sys, numpy as np
from aekit.estimators.compressor import ImageCompressor
from aekit.io.model_file import load_model
comp = ImageCompressor._from_saved(*load_model(sys.argv[1]))
x, q = comp.decompress(sys.argv[2], return_latents=True)
np.save(sys.argv[3], x); np.save(sys.argv[4], q)
"""


def test_a_fresh_process_decodes_bit_identical_latents_and_images(comp: ImageCompressor, X: np.ndarray,
                                                                  tmp_path: Path) -> None:
    comp.save(tmp_path / "m")
    path = comp.compress_file(X, tmp_path / "x.aek")
    here_x, here_q = comp.decompress(path, return_latents=True)
    subprocess.run([sys.executable, "-c", textwrap.dedent(_DECODE), str(tmp_path / "m"), str(path),
                    str(tmp_path / "x.npy"), str(tmp_path / "q.npy")], check=True, timeout=120)
    np.testing.assert_array_equal(np.load(tmp_path / "q.npy"), here_q)
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), here_x)


def test_another_models_file_is_refused_naming_both_hashes(comp: ImageCompressor, X: np.ndarray) -> None:
    other = ImageCompressor(0.01, random_state=1, **{**TINY, "epochs": 1}).fit(X)
    with pytest.raises(InputError, match=f"{other.model_sha256_}.*{comp.model_sha256_}"):
        comp.decompress(other.compress(X[:3]))


def test_corrupt_and_truncated_files_are_refused(comp: ImageCompressor, X: np.ndarray, tmp_path: Path) -> None:
    data = comp.compress(X[:8])
    for cut in (5, 40, 80, len(data) // 2, len(data) - 1):
        with pytest.raises(DataFileError):
            comp.decompress(data[:cut])
    for i in (0, 9, 20, 50, 85, len(data) - 1):
        bad = bytearray(data)
        bad[i] ^= 1
        with pytest.raises(DataFileError):
            comp.decompress(bytes(bad))
    with pytest.raises(DataFileError, match="not an .aek"):
        comp.decompress(b"GIF89a" + data[6:])


def test_bad_input_is_refused_with_the_fix(comp: ImageCompressor, X: np.ndarray) -> None:
    x = X[:4].astype(np.float32) / 255
    x[1, 2, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        comp.compress(x)
    with pytest.raises(InputError, match=r"X / 255"):
        comp.compress(X[:4].astype(np.float32))
    with pytest.raises(InputError, match=r"\(N, H, W\)"):
        comp.compress(X[0])
    with pytest.raises(InputError, match="rate_lambda"):
        ImageCompressor(-1.0).fit(X)
    with pytest.raises(InputError, match="kernel_size"):
        ImageCompressor(0.01, kernel_size=4).fit(X)
    with pytest.raises(InputError, match="prior must be one of 'factorized', 'hyperprior'"):
        ImageCompressor(0.01, prior="laplace").fit(X)
    with pytest.raises(NotFittedError):
        ImageCompressor().compress(X)


def test_params_are_stored_verbatim_and_clone() -> None:
    from sklearn.base import clone

    est = ImageCompressor(0.05, latent_channels=7, epochs=3)
    assert clone(est).get_params() == est.get_params()
    assert est.get_params()["rate_lambda"] == 0.05


def test_fit_takes_validation_data_and_resumes_from_its_checkpoint(X: np.ndarray, tmp_path: Path) -> None:
    full = ImageCompressor(0.01, random_state=0, **{**TINY, "epochs": 3}, lr_schedule="constant").fit(X, validation_data=X[:16])
    assert all("val_loss" in record for record in full.history_)
    # killed after 2 of 3 epochs (a constant rate: a one-cycle schedule spans the whole run): the resumed fit trains the third and ends where the uninterrupted one did
    ImageCompressor(0.01, random_state=0, **TINY, lr_schedule="constant").fit(
        X, validation_data=X[:16], checkpoint_dir=tmp_path)
    seen: list[int] = []

    class Starts:
        def on_train_begin(self, *, epochs: int, start_epoch: int, batches: int) -> None:
            seen.append(start_epoch)

    resumed = ImageCompressor(0.01, random_state=0, **{**TINY, "epochs": 3}, lr_schedule="constant").fit(
        X, validation_data=X[:16], checkpoint_dir=tmp_path, resume=True, callbacks=[Starts()])
    assert seen == [2] and len(resumed.history_) == 3
    # exactly: the restored Adam moments take the channels_last layout of the conv weights
    assert [r["loss"] for r in resumed.history_] == [r["loss"] for r in full.history_]
    assert resumed.model_sha256_ == full.model_sha256_
    with pytest.raises(InputError, match="validation_data has 3 channel"):
        ImageCompressor(0.01, **TINY).fit(X, validation_data=np.zeros((4, 3, 12, 12), np.uint8))
