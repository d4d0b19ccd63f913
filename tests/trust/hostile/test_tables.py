"""CSV and Parquet files a careless user or an attacker hands to ``load_dataset``."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aekit.data import load_dataset


class Case(NamedTuple):
    build: Callable[[Path], Path]      # writes the file, returns its path
    expect: str | None = None          # regex a refusal must match
    want: Any = None                   # the right X (array), or a check(Dataset) -> bool
    valid: bool = False                # a good file: refusing it is wrong
    kwargs: dict | None = None


def text(name: str, content: str | bytes, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return p
    return build


def x_equals(expected: Any) -> Callable[[Any], bool]:
    expected = np.asarray(expected, dtype=np.float32)

    def check(ds: Any) -> bool:
        X = np.asarray(ds.X)
        assert X.shape == expected.shape, f"shape {X.shape}, expected {expected.shape}"
        assert np.allclose(X, expected, equal_nan=True), f"values {X.ravel()[:8]}, expected {expected.ravel()[:8]}"
        return True
    return check


def _time_column(ds: Any) -> bool:
    """A date column is the time stamp of each row (kept out of X), not a feature and not dropped silently."""
    assert np.allclose(ds.X, [[1], [2]]), f"X {ds.X.ravel()}"
    assert ds.time_index is not None and len(ds.time_index) == 2, "the date column vanished"
    return True


A = [[1.5, 2.0], [3.0, 4.25], [5.0, 6.0]]
BAD_NUMBER = r"numer|number|column|text|parse|read"

CSV: dict[str, Case] = {
    "empty": Case(text("t.csv", ""), r"empty"),
    "whitespace_only": Case(text("t.csv", "  \n\n \n"), r"empty|no rows|no data|column"),
    "header_only": Case(text("t.csv", "a,b\n"), r"no rows|header|sample"),
    "plain": Case(text("t.csv", "a,b\n1.5,2\n3,4.25\n5,6\n"), want=A, valid=True),
    "no_header": Case(text("t.csv", "1.5,2\n3,4.25\n5,6\n"), want=A, valid=True),
    "pandas_default_header": Case(text("t.csv", "0,1\n1.5,2\n3,4.25\n5,6\n"), r"header", A),
    "semicolon_decimal_comma": Case(text("t.csv", "a;b\n1,5;2\n3;4,25\n5;6\n"), want=A, valid=True),
    "semicolon_no_header": Case(text("t.csv", "1,5;2\n3;4,25\n5;6\n"), want=A, valid=True),
    "tab_in_csv": Case(text("t.csv", "a\tb\n1.5\t2\n3\t4.25\n5\t6\n"), want=A, valid=True),
    "pipe_separated": Case(text("t.csv", "a|b\n1.5|2\n3|4.25\n5|6\n"), r"separator|column", A),
    "utf8_bom": Case(text("t.csv", "\ufeffa,b\n1.5,2\n3,4.25\n5,6\n"), want=A, valid=True),
    "crlf": Case(text("t.csv", "a,b\r\n1.5,2\r\n3,4.25\r\n5,6\r\n"), want=A, valid=True),
    "cr_only": Case(text("t.csv", "a,b\r1.5,2\r3,4.25\r5,6\r"), r"line|column|read", A),
    "quoted_numbers": Case(text("t.csv", 'a,b\n"1.5","2"\n"3","4.25"\n"5","6"\n'), want=A, valid=True),
    "spaces_around": Case(text("t.csv", "a, b\n 1.5 , 2\n3 ,4.25\n 5, 6\n"), r"numer|column", A),
    "plus_signs_exponents": Case(text("t.csv", "a,b\n+1.5,2e0\n3,425e-2\n5.0,+6\n"), want=A, valid=True),
    "utf16": Case(text("t.csv", "a,b\n1.5,2\n3,4.25\n5,6\n", "utf-16"), r"utf|encod|read|text|numer", A),
    "latin1_header": Case(text("t.csv", "temp\xe9rature,b\n1.5,2\n3,4.25\n5,6\n", "latin-1"),
                          r"utf|encod|read", A),
    "text_column": Case(text("t.csv", "a,city\n1,paris\n2,rome\n"), r"city"),
    "hex_numbers": Case(text("t.csv", "a,b\n0x10,1\n0x20,2\n"), r"'a'|non-numeric|numer"),
    "thousands_quoted": Case(text("t.csv", 'a,b\n"1,000",2\n"2,000",3\n'), r"'a'|non-numeric|numer", [[1000, 2], [2000, 3]]),
    "ragged_long_row": Case(text("t.csv", "a,b\n1,2\n3,4,5\n6,7\n"), r"field|column|line|row"),
    "ragged_short_row": Case(text("t.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n"), r"missing|NaN|field|column",
                             [[1, 2, 3], [4, 5, np.nan], [6, 7, 8]]),
    "trailing_comma": Case(text("t.csv", "a,b,\n1.5,2,\n3,4.25,\n5,6,\n"), r"column|empty", A),
    "comment_line_first": Case(text("t.csv", "# exported by tool\n1.5,2\n3,4.25\n5,6\n"), r"comment|column|field|header",
                               A),
    "missing_cells": Case(text("t.csv", "a,b\n1,\n,4\nNA,null\n"), r"missing|NaN",
                          [[1, np.nan], [np.nan, 4], [np.nan, np.nan]]),
    "inf_text": Case(text("t.csv", "a,b\ninf,1\n-inf,2\n"), r"infinite|inf",
                     [[np.inf, 1], [-np.inf, 2]]),
    "overflow_float32": Case(text("t.csv", "a,b\n1e39,1\n2,2\n"), r"float32|large|overflow|range|infinite",
                             [[1e39, 1], [2, 2]]),
    "overflow_float64": Case(text("t.csv", "a,b\n1e400,1\n2,2\n"), r"large|overflow|range|infinite"),
    "duplicate_names": Case(text("t.csv", "a,a\n1.5,2\n3,4.25\n5,6\n"), r"duplicate|'a'", A),
    "empty_column_name": Case(text("t.csv", ",b\n1.5,2\n3,4.25\n5,6\n"), r"name|column", A),
    "one_column": Case(text("t.csv", "a\n1\n2\n3\n"), want=[[1], [2], [3]], valid=True),
    "one_value": Case(text("t.csv", "5\n"), r"header|row|sample", [[5]]),
    "booleans": Case(text("t.csv", "a,b\nTrue,1\nFalse,2\n"), r"'a'|bool|numer", [[1, 1], [0, 2]]),
    "dates": Case(text("t.csv", "when,b\n2024-01-01,1\n2024-01-02,2\n"), r"when", _time_column),
    "dates_backwards": Case(text("t.csv", "when,b\n2024-01-02,1\n2024-01-01,2\n"), r"when|sort|back"),
    "dates_repeated": Case(text("t.csv", "when,b\n2024-01-01,1\n2024-01-01,2\n"), r"when|repeat"),
    "nul_bytes": Case(text("t.csv", b"a,b\n1\x00,2\n3,4\n"), r"NUL|null|binary|numer|read|column|'a'"),
    "binary_garbage": Case(text("t.csv", bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8))),
                           r"read|utf|binary|encod|numer|column|text"),
    "gzip_named_csv": Case(text("t.csv", gzip.compress(b"a,b\n1,2\n")), r"read|utf|binary|gzip|encod|numer|column"),
    "csv_gz": Case(text("t.csv.gz", gzip.compress(b"a,b\n1.5,2\n3,4.25\n5,6\n")), want=A, valid=True),
    "truncated_csv_gz": Case(text("t.csv.gz", gzip.compress(b"a,b\n1.5,2\n3,4.25\n5,6\n" * 50)[:40]),
                             r"truncat|corrupt|read|gzip|end"),
    "csv_bz2": Case(text("t.csv.bz2", __import__("bz2").compress(b"a,b\n1.5,2\n3,4.25\n5,6\n")), want=A, valid=True),
    "csv_xz": Case(text("t.csv.xz", __import__("lzma").compress(b"a,b\n1.5,2\n3,4.25\n5,6\n")), want=A, valid=True),
    "tsv": Case(text("t.tsv", "a\tb\n1.5\t2\n3\t4.25\n5\t6\n"), want=A, valid=True),
    "tsv_holding_commas": Case(text("t.tsv", "a,b\n1.5,2\n3,4.25\n5,6\n"), r"separator|comma|column", A),
    "xlsx_named_csv": Case(text("t.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(300)),
                           r"read|utf|binary|encod|numer|column|text|excel|zip"),
    "html_named_csv": Case(text("t.csv", "<!DOCTYPE html><html><body>404 Not Found</body></html>\n"),
                           r"html|web page|numer|column|text|header|row"),
    "json_named_csv": Case(text("t.csv", '[{"a": 1, "b": 2}, {"a": 3, "b": 4}]\n'), r"json|numer|column|text|header|row"),
    "wide_2000_columns": Case(lambda t: _frame(t, pd.DataFrame(np.ones((3, 2000)))), want=np.ones((3, 2000)),
                              valid=True),
    "very_long_number": Case(text("t.csv", "a,b\n" + "9" * 100_000 + ",1\n2,2\n"), r"large|overflow|infinite|range|non-numeric"),
    "label_column_missing": Case(text("t.csv", "a,b\n1,2\n3,4\n"), r"label|'y'", kwargs={"label_column": "y"}),
    "label_column_nan": Case(text("t.csv", "a,y\n1,0\n3,\n"), r"label|missing", kwargs={"label_column": "y"}),
    "label_is_only_column": Case(text("t.csv", "y\n0\n1\n"), r"no feature|label", kwargs={"label_column": "y"}),
    "text_labels": Case(text("t.csv", "a,y\n1,cat\n3,dog\n5,cat\n"),
                        want=lambda ds: np.allclose(ds.X.ravel(), [1, 3, 5]) and ds.y is not None
                        and len(set(ds.y.tolist())) == 2 and ds.y[0] == ds.y[2] != ds.y[1],
                        valid=True, kwargs={"label_column": "y"}),
    "folder_named_csv": Case(lambda t: _mkdir(t / "t.csv"), r"folder|director|image"),
    "dangling_symlink": Case(lambda t: _symlink(t, "nowhere.csv", "t.csv"), r"exist"),
    "symlink_loop": Case(lambda t: _symlink(t, "t.csv", "t.csv"), r"exist|loop|symbolic|link"),
    "fifo_named_csv": Case(lambda t: _fifo(t / "t.csv"), r"fifo|pipe|regular|special|not a file"),
}


def _frame(tmp: Path, frame: pd.DataFrame) -> Path:
    p = tmp / "t.csv"
    frame.to_csv(p, index=False)
    return p


def _mkdir(p: Path) -> Path:
    p.mkdir()
    (p / "x.csv").write_text("a\n1\n")
    return p


def _symlink(tmp: Path, target: str, name: str) -> Path:
    os.symlink(tmp / target, tmp / name)
    return tmp / name


def _fifo(p: Path) -> Path:
    os.mkfifo(p)
    return p


def _run(trust: Any, category: str, case: Case, tmp: Path) -> None:
    path = case.build(tmp)
    want = case.want
    check = None if want is None else (want if callable(want) else x_equals(want))
    trust.api(category, lambda: load_dataset(path, **(case.kwargs or {})), expect=case.expect, check=check,
              valid=case.valid, timeout=20)


@pytest.mark.parametrize("name", list(CSV))
def test_csv(trust, tmp_path: Path, name: str) -> None:
    _run(trust, "CSV files", CSV[name], tmp_path)


def pq_table(name: str, table: "pa.Table | Callable[[], pa.Table]") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        pq.write_table(table() if callable(table) else table, p)
        return p
    return build


def pq_cut(fraction: float) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / "t.parquet"
        pq.write_table(pa.table({"a": np.arange(200.0), "b": np.arange(200.0)}), p)
        data = p.read_bytes()
        p.write_bytes(data[: int(len(data) * fraction)])
        return p
    return build


def pq_flip(offset: float) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / "t.parquet"
        pq.write_table(pa.table({"a": np.arange(200.0), "b": np.arange(200.0)}), p)
        data = bytearray(p.read_bytes())
        data[int(len(data) * offset)] ^= 0xFF
        p.write_bytes(bytes(data))
        return p
    return build


def _flip_check(ds: Any) -> bool:
    """A flipped byte that parquet cannot notice must still not scramble the values silently."""
    want = np.stack([np.arange(200.0), np.arange(200.0)], 1)
    assert np.asarray(ds.X).shape == want.shape and np.allclose(ds.X, want), "values changed"
    return True


PQ_A = pa.table({"a": [1.5, 3.0, 5.0], "b": [2.0, 4.25, 6.0]})
PARQUET: dict[str, Case] = {
    "plain": Case(pq_table("t.parquet", PQ_A), want=A, valid=True),
    "pq_suffix": Case(pq_table("t.pq", PQ_A), want=A, valid=True),
    "int_columns": Case(pq_table("t.parquet", pa.table({"a": [1, 2], "b": [3, 4]})), want=[[1, 3], [2, 4]], valid=True),
    "float16": Case(pq_table("t.parquet", pa.table({"a": pa.array(np.float16([1.5, 3])), "b": pa.array(np.float16([2, 4]))})),
                    r"float16|halffloat|type", [[1.5, 2], [3, 4]]),
    "nullable_ints": Case(pq_table("t.parquet", pa.table({"a": pa.array([1, None, 3], pa.int64()), "b": [1.0, 2.0, 3.0]})),
                          r"missing|NaN", [[1, 1], [np.nan, 2], [3, 3]]),
    "string_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "s": ["x", "y"]})), r"'s'"),
    "dictionary_strings": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "s": pa.array(["x", "y"]).dictionary_encode()})),
                               r"'s'"),
    "list_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "l": [[1, 2], [3]]})), r"'l'"),
    "struct_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "st": [{"u": 1}, {"u": 2}]})), r"'st'"),
    "timestamp_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "ts": pa.array(
        np.array(["2024-01-01", "2024-01-02"], "datetime64[ns]"))})), r"'ts'|time", _time_column),
    "bool_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "b": [True, False]})), r"'b'|bool",
                        [[1, 1], [2, 0]]),
    "decimal_column": Case(pq_table("t.parquet", pa.table({"a": pa.array([1, 2], pa.decimal128(5, 2))})),
                           r"'a'|decimal", [[1], [2]]),
    "binary_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "raw": [b"\x00", b"\x01"]})), r"'raw'"),
    "zero_rows": Case(pq_table("t.parquet", pa.table({"a": pa.array([], pa.float64())})), r"no rows|empty|sample"),
    "zero_columns": Case(pq_table("t.parquet", lambda: pa.table({})), r"column|empty|no rows"),
    "int_column_names": Case(lambda t: _pq_frame(t, pd.DataFrame({0: [1.5, 3, 5], 1: [2, 4.25, 6]})), want=A,
                             valid=True),
    "wide_1000": Case(lambda t: _pq_frame(t, pd.DataFrame(np.ones((2, 1000)), columns=[f"c{i}" for i in range(1000)])),
                      want=np.ones((2, 1000)), valid=True),
    "label_column": Case(pq_table("t.parquet", pa.table({"a": [1.0, 2.0], "y": [0, 1]})), valid=True,
                         want=lambda ds: ds.X.shape == (2, 1) and list(ds.y) == [0, 1], kwargs={"label_column": "y"}),
    "garbage": Case(text("t.parquet", b"hello, I am not parquet" * 10), r"parquet"),
    "empty_file": Case(text("t.parquet", b""), r"parquet|empty"),
    "magic_only": Case(text("t.parquet", b"PAR1PAR1"), r"parquet"),
    "magic_garbage_magic": Case(text("t.parquet", b"PAR1" + bytes(range(256)) * 4 + b"PAR1"), r"parquet"),
    "csv_named_parquet": Case(text("t.parquet", "a,b\n1,2\n"), r"parquet"),
    **{f"truncated_{int(f * 100)}pct": Case(pq_cut(f), r"parquet|corrupt|truncat") for f in
       (0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9, 0.95, 0.99)},
    **{f"flipped_byte_at_{int(f * 100)}pct": Case(pq_flip(f), r"parquet|corrupt|checksum|read", _flip_check) for f in
       (0.02, 0.3, 0.5, 0.7, 0.97)},
}


def _pq_frame(tmp: Path, frame: pd.DataFrame) -> Path:
    p = tmp / "t.parquet"
    frame.columns = [str(c) for c in frame.columns] if len(frame.columns) > 2 else frame.columns
    table = pa.Table.from_pandas(frame, preserve_index=False) if len(frame.columns) > 2 else pa.table(
        {str(c): frame[c].to_numpy() for c in frame.columns})
    pq.write_table(table, p)
    return p


@pytest.mark.parametrize("name", list(PARQUET))
def test_parquet(trust, tmp_path: Path, name: str) -> None:
    _run(trust, "Parquet files", PARQUET[name], tmp_path)
