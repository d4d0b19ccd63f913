"""The .aek container and the entropy coder: round trips, and every damaged file refused."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from aekit.errors import DataFileError, InputError, ModelFileError
from aekit.io.aek_format import (FORMAT_VERSION, HEADER_SIZE, MAGIC, AekWriter, check_model, model_sha256, open_aek,
                                 read_aek)
from aekit.io.entropy import PRECISION, EntropyCoder, EntropyTables, build_tables, quantize_pmf
from aekit.models.compression import FactorizedDensity

SHA = "ab" * 32
RECORDS = [b"", b"\x01\x02\x03", bytes(range(200)), b"\xff" * 7]  # empty, short, a 2-byte length, 0xFF


def _container(records: list[bytes] = RECORDS, sha: str = SHA) -> bytes:
    buf = io.BytesIO()
    writer = AekWriter(buf, model_sha256=sha, dtype="uint8", shape=(1, 28, 28))
    for r in records:
        writer.write(r)
    writer.finish()
    return buf.getvalue()


def test_records_and_header_round_trip() -> None:
    header, records = read_aek(_container())
    assert records == RECORDS
    assert (header.count, header.shape, header.dtype, header.model_sha256) == (4, (1, 28, 28), "uint8", SHA)


def test_layout_matches_the_documented_offsets() -> None:
    data = _container()
    assert data[:8] == MAGIC and struct.unpack_from("<H", data, 8)[0] == FORMAT_VERSION
    assert data[12:44] == bytes.fromhex(SHA)
    assert struct.unpack_from("<HII", data, 46) == (1, 28, 28)
    assert struct.unpack_from("<QQ", data, 56) == (4, len(data) - HEADER_SIZE)
    assert struct.unpack_from("<I", data, 72)[0] == zlib.crc32(data[HEADER_SIZE:])
    assert data[HEADER_SIZE:HEADER_SIZE + 2] == b"\x00\x03"  # LEB128 lengths: 0, then 3


def test_the_rank_of_the_compressed_array_is_recorded_and_checked() -> None:
    header = read_aek(_container())[0]
    assert header.ndim == 4 and _container()[45] == 4
    buf = io.BytesIO()
    writer = AekWriter(buf, model_sha256=SHA, dtype="uint8", shape=(1, 28, 28), ndim=3)
    writer.finish()
    assert read_aek(buf.getvalue())[0].ndim == 3
    with pytest.raises(InputError, match="ndim must be 4, or 3"):
        AekWriter(io.BytesIO(), model_sha256=SHA, dtype="uint8", shape=(3, 28, 28), ndim=3)
    data = bytearray(_container())
    data[45] = 7
    data[HEADER_SIZE - 4: HEADER_SIZE] = struct.pack("<I", zlib.crc32(bytes(data[:HEADER_SIZE - 4])))
    with pytest.raises(DataFileError, match="rank 7"):
        read_aek(bytes(data))


def test_streaming_file_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "x.aek"
    with open_aek(path, model_sha256=SHA, dtype="float32", shape=(3, 5, 7)) as out:
        out.write(b"abc")
    assert read_aek(path)[1] == [b"abc"]
    with pytest.raises(RuntimeError), open_aek(path, model_sha256=SHA, dtype="uint8", shape=(1, 2, 2)) as out:
        out.write(b"half")
        raise RuntimeError("crash mid-write")
    assert read_aek(path)[0].shape == (3, 5, 7)  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["x.aek"]  # no temp file left


def test_every_flipped_byte_is_refused() -> None:
    data = _container()
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x40
        with pytest.raises(DataFileError):
            read_aek(bytes(bad))


@pytest.mark.parametrize("keep", [0, 3, 8, 9, 11, 44, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 1, -1])
def test_truncated_file_is_refused(keep: int) -> None:
    data = _container()
    with pytest.raises(DataFileError, match="not a readable .aek|truncated"):
        read_aek(data[:keep] if keep >= 0 else data[:-1])


def test_every_cut_is_refused() -> None:
    data = _container()
    for keep in range(len(data)):
        with pytest.raises(DataFileError):
            read_aek(data[:keep])


def test_extra_bytes_are_refused() -> None:
    with pytest.raises(DataFileError, match="extra bytes"):
        read_aek(_container() + b"\0")


def test_wrong_magic_says_not_an_aek_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(DataFileError, match="not an .aek file"):
        read_aek(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no .aek file"):
        read_aek(tmp_path / "none.aek")


def test_future_version_is_refused_before_anything_else() -> None:
    data = bytearray(_container())
    data[8:10] = struct.pack("<H", FORMAT_VERSION + 1)
    with pytest.raises(DataFileError, match=f"version {FORMAT_VERSION + 1}.*Upgrade aekit"):
        read_aek(bytes(data))


def test_records_that_overrun_the_payload_are_refused_even_with_valid_checksums() -> None:
    data = bytearray(_container([b"abc"]))
    data[HEADER_SIZE] = 50  # record length 50, payload has 3 bytes
    struct.pack_into("<I", data, 72, zlib.crc32(bytes(data[HEADER_SIZE:])))
    struct.pack_into("<I", data, 76, zlib.crc32(bytes(data[:76])))
    with pytest.raises(DataFileError, match="runs past the end"):
        read_aek(bytes(data))


def test_other_model_is_refused_naming_both_hashes() -> None:
    header, _ = read_aek(_container())
    other = "cd" * 32
    with pytest.raises(InputError, match=f"{SHA}.*{other}"):
        check_model(header, other)
    check_model(header, SHA)


def test_writer_refuses_bad_header_values() -> None:
    with pytest.raises(InputError, match="dtype"):
        AekWriter(io.BytesIO(), model_sha256=SHA, dtype="int64", shape=(1, 2, 2))
    with pytest.raises(InputError, match="64 hex"):
        AekWriter(io.BytesIO(), model_sha256="ab", dtype="uint8", shape=(1, 2, 2))


def test_model_sha256_changes_with_any_weight_and_ignores_dict_order() -> None:
    t = {"a": torch.zeros(3), "b": torch.ones(2, 2)}
    base = model_sha256({"k": 1}, t)
    assert base == model_sha256({"k": 1}, {"b": torch.ones(2, 2), "a": torch.zeros(3)})
    t2 = {"a": torch.tensor([0.0, 0.0, 1e-7]), "b": torch.ones(2, 2)}
    assert model_sha256({"k": 1}, t2) != base and model_sha256({"k": 2}, t) != base


# ---------------------------------------------------------------- the entropy coder
def test_quantize_pmf_sums_exactly_and_keeps_every_value() -> None:
    counts = quantize_pmf(np.array([0.0, 1e-12, 0.5, 0.4999]))
    assert counts.sum() == 2**PRECISION and counts.min() >= 1 and np.argmax(counts) == 2


def _tables(seed: int = 0) -> EntropyTables:
    torch.manual_seed(seed)
    return build_tables(FactorizedDensity(4, init_scale=3.0))


def test_coder_round_trip_and_rate_close_to_the_information_content() -> None:
    tables = _tables()
    coder = EntropyCoder(tables)
    rng = np.random.default_rng(0)
    total_bits, total_info = 0, 0.0
    for _ in range(50):
        q = np.stack([rng.choice(np.arange(tables.offsets[c], tables.offsets[c] + tables.lengths[c]),
                                 p=tables.counts[c, : tables.lengths[c]] / 2**PRECISION, size=(3, 3))
                      for c in range(4)])
        data = coder.encode(q)
        np.testing.assert_array_equal(coder.decode(data, q.shape), q)
        sym = coder.symbols(q)
        total_info += -np.log2(np.take_along_axis(tables.counts, sym, 1) / 2**PRECISION).sum()
        total_bits += 8 * len(data)
    assert total_bits < total_info + 50 * 12  # under ~1.5 bytes per image of overhead


def test_values_outside_the_tables_are_clipped_to_their_ends() -> None:
    tables = _tables()
    coder = EntropyCoder(tables)
    q = np.full((4, 2, 2), 10_000, np.int32)
    out = coder.decode(coder.encode(q), q.shape)
    np.testing.assert_array_equal(out, np.broadcast_to((tables.offsets + tables.lengths - 1)[:, None, None], q.shape))


def test_tables_survive_tensors_and_refuse_corruption() -> None:
    tables = _tables()
    back = EntropyTables.from_tensors(tables.to_tensors())
    np.testing.assert_array_equal(back.counts, tables.counts)
    bad = tables.to_tensors()
    bad["counts"][0, 0] += 1
    with pytest.raises(ModelFileError, match="inconsistent"):
        EntropyTables.from_tensors(bad)
    with pytest.raises(ModelFileError, match="lack"):
        EntropyTables.from_tensors({"offsets": bad["offsets"]})


@pytest.mark.parametrize("offset", [50, 54])  # height, width
def test_a_forged_header_declaring_huge_images_is_refused_before_decoding(offset: int) -> None:
    # The CRC is recomputed, as an attacker would: only the size limit stands between the
    # file and a 2**32-pixel allocation in the entropy decoder.
    data = bytearray(_container([b"abc"]))
    struct.pack_into("<I", data, offset, 2**32 - 1)
    struct.pack_into("<I", data, 76, zlib.crc32(bytes(data[:76])))
    with pytest.raises(DataFileError, match="AEKIT_MAX_INPUT_BYTES"):
        read_aek(bytes(data))
