"""Hypothesis fuzzing, bounded (a few dozen examples each, derandomized so that CI is stable).

Each test is one case: the loader meets every example; an exception aekit did not raise on
purpose fails it (hypothesis then shrinks to the smallest such input), and where the input
has a right answer (a numeric table written in any dialect) a wrong result fails it too.
"""

from __future__ import annotations

import copy
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aekit
from aekit.data import load_dataset
from aekit.errors import AekitError
from tests.trust.hostile._build import idx_bytes, npy_of
from tests.trust.hostile.test_model_folders import fresh, resign

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


class Wrong(Exception):
    """A fuzzed input with a right answer got another one."""


def _expected(call: Any) -> None:
    try:
        call()
    except (AekitError, OSError):
        pass


def _outcome(trust: Any, category: str, body: Any) -> None:
    def run() -> str:
        try:
            body()
        except Wrong as exc:
            return f"wrong: {exc}"
        except ExceptionGroup as group:  # hypothesis found several distinct failures: name them all
            wrong = [e for e in group.exceptions if isinstance(e, Wrong)]
            others = [e for e in group.exceptions if not isinstance(e, Wrong)]
            if others:
                raise RuntimeError("; ".join(f"{type(e).__name__}: {e}" for e in others)) from None
            return "wrong: " + "; ".join(map(str, wrong))
        return "ok"
    def check(v: str) -> bool:
        assert v == "ok", v
        return True
    trust.api(category, run, check=check, valid=True, timeout=240)


def test_fuzz_csv_dialects(trust, tmp_path: Path) -> None:
    """Numbers written with any separator, decimal mark, header or none, line ending and quoting
    come back as the same numbers, or are refused; never other numbers."""
    @SETTINGS
    @given(values=st.lists(st.lists(st.integers(-9999, 9999), min_size=2, max_size=5), min_size=2, max_size=6)
           .filter(lambda rows: len({len(r) for r in rows}) == 1),
           sep=st.sampled_from([",", ";", "\t"]), header=st.booleans(), crlf=st.booleans(), quote=st.booleans(),
           comma_decimal=st.booleans())
    def body(values: list[list[int]], sep: str, header: bool, crlf: bool, quote: bool, comma_decimal: bool) -> None:
        X = np.asarray(values, np.float64) / 100
        decimal = "," if comma_decimal and sep != "," else "."
        q = '"' if quote else ""
        cells = [[f"{q}{v:.2f}{q}".replace(".", decimal) for v in row] for row in X]
        lines = ([sep.join(f"c{i}" for i in range(X.shape[1]))] if header else []) + [sep.join(r) for r in cells]
        p = tmp_path / "f.csv"
        p.write_bytes(("\r\n" if crlf else "\n").join(lines).encode() + b"\n")
        try:
            ds = load_dataset(p)
        except AekitError:
            return
        got = np.asarray(ds.X, np.float64)
        if got.shape != X.shape or not np.allclose(got, X, atol=1e-4):
            raise Wrong(f"{p.read_bytes()[:120]!r} read as shape {got.shape} {got.ravel()[:6]}")
    _outcome(trust, "fuzzing (hypothesis)", body)


def test_fuzz_csv_bytes(trust, tmp_path: Path) -> None:
    @SETTINGS
    @given(data=st.binary(max_size=300) | st.text(alphabet=st.sampled_from(list("0123456789.,;\t\n\r -+eE\"'#abNA")),
                                                   max_size=200).map(str.encode))
    def body(data: bytes) -> None:
        p = tmp_path / "f.csv"
        p.write_bytes(data)
        _expected(lambda: load_dataset(p))
    _outcome(trust, "fuzzing (hypothesis)", body)


GOOD_NPY = npy_of(np.arange(12, dtype=np.float32).reshape(4, 3))


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    b = bytearray(data)
    for pos, val in edits:
        b[pos % len(b)] = val
    return bytes(b)


EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4)


def test_fuzz_npy_bytes(trust, tmp_path: Path) -> None:
    @SETTINGS
    @given(edits=EDITS, cut=st.integers(0, len(GOOD_NPY)))
    def body(edits: list[tuple[int, int]], cut: int) -> None:
        p = tmp_path / "x.npy"
        p.write_bytes(_mutate(GOOD_NPY, edits)[:cut or None])
        _expected(lambda: load_dataset(p))
    _outcome(trust, "fuzzing (hypothesis)", body)


GOOD_IDX = idx_bytes((np.arange(4 * 3 * 3) % 256).astype(np.uint8).reshape(4, 3, 3))


def test_fuzz_idx_bytes(trust, tmp_path: Path) -> None:
    @SETTINGS
    @given(edits=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 255)), min_size=1, max_size=4),
           cut=st.integers(0, len(GOOD_IDX)))
    def body(edits: list[tuple[int, int]], cut: int) -> None:
        p = tmp_path / "train-images-idx3-ubyte"
        data = _mutate(GOOD_IDX, edits)[:cut or None]
        if len(data) >= 4 and data[3] > 8:  # keep the declared rank small: a 255-D case lives in test_arrays_images
            data = data[:3] + bytes([data[3] % 8]) + data[4:]
        p.write_bytes(data)
        _expected(lambda: load_dataset(p))
    _outcome(trust, "fuzzing (hypothesis)", body)


def test_fuzz_aek_bytes(trust, material, tmp_path: Path) -> None:
    """Any changed byte of an .aek file is refused (both CRCs), never decoded."""
    comp = aekit.load(material["comp"])
    good = material["aek"].read_bytes()

    @SETTINGS
    @given(edits=EDITS)
    def body(edits: list[tuple[int, int]]) -> None:
        data = _mutate(good, edits)
        if data == good:
            return
        try:
            comp.decompress(data)
        except AekitError:
            return
        raise Wrong(f"decoded a changed file (edits {edits})")
    _outcome(trust, "fuzzing (hypothesis)", body)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
                           | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


def _paths(cfg: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(cfg, dict):
        for k, v in cfg.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    return out


def test_fuzz_config_values(trust, material, tmp_path: Path) -> None:
    """Any value at any key of config.json, checksums recomputed: refused, or the same model."""
    import pandas as pd

    from tests.trust.hostile.conftest import COLUMNS, table
    base = json.loads((material["run"] / "config.json").read_text())
    frame = pd.DataFrame(table(), columns=COLUMNS)
    ref = aekit.load(material["run"]).transform(frame)
    paths = [p for p in _paths(base) if p[0] not in ("config_sha256",)]
    counter = iter(range(10**6))

    @SETTINGS
    @given(which=st.integers(0, len(paths) - 1), value=JSON_VALUES)
    def body(which: int, value: Any) -> None:
        where = tmp_path / f"c{next(counter)}"
        where.mkdir()
        m = fresh(material, where)
        cfg = copy.deepcopy(base)
        node = cfg
        for k in paths[which][:-1]:
            node = node[k]
        node[paths[which][-1]] = value
        resign(m, cfg)
        try:
            model = aekit.load(m)
        except AekitError:
            return
        try:
            codes = model.transform(frame)
            recon = model.inverse_transform(codes)
        except AekitError as exc:
            raise Wrong(f"{'.'.join(map(str, paths[which]))} = {value!r} loaded, then: {exc}") from None
        if codes.shape != ref.shape or not np.allclose(codes, ref, atol=1e-6) or recon.shape != (60, 6):
            raise Wrong(f"{'.'.join(map(str, paths[which]))} = {value!r} loaded as another model")
    _outcome(trust, "fuzzing (hypothesis)", body)
