from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aekit.data import tables
from aekit.data.tables import iter_table_chunks, read_array, read_table
from aekit.errors import DataFileError, InputError


@pytest.fixture
def frame(rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({
        "age": rng.integers(18, 90, 50),
        "weight": rng.normal(70, 10, 50),
        "smoker": rng.integers(0, 2, 50).astype(bool),
        "label": np.where(rng.random(50) > 0.5, "sick", "well"),
    })


# --- arrays ------------------------------------------------------------------------------------

def test_npy_table(tmp_path: Path, rng: np.random.Generator) -> None:
    a = rng.normal(size=(20, 5))
    np.save(tmp_path / "a.npy", a)
    ds = read_array(tmp_path / "a.npy")
    assert ds.X.dtype == np.float32 and ds.X.shape == (20, 5) and ds.y is None
    assert not isinstance(ds.X, np.memmap) and ds.name == "a.npy" and ds.image_shape is None
    np.testing.assert_allclose(ds.X, a, rtol=1e-6)


def test_npy_images_gain_a_channel_axis(tmp_path: Path) -> None:
    np.save(tmp_path / "imgs.npy", np.zeros((4, 8, 9), dtype=np.uint8))
    ds = read_array(tmp_path / "imgs.npy")
    assert ds.X.shape == (4, 1, 8, 9) and ds.image_shape == (1, 8, 9)


def test_npy_memory_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    np.save(tmp_path / "big.npy", np.arange(60, dtype=np.float64).reshape(20, 3))
    ds = read_array(tmp_path / "big.npy", mmap=True)
    assert isinstance(ds.X, np.memmap) and ds.X.dtype == np.float64 and ds.X[3, 1] == 10
    monkeypatch.setattr(tables, "MMAP_THRESHOLD_BYTES", 100)  # above the threshold: automatic
    assert isinstance(read_array(tmp_path / "big.npy").X, np.memmap)
    assert not isinstance(read_array(tmp_path / "big.npy", mmap=False).X, np.memmap)


def test_object_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match=r"obj.npy holds Python objects.*never unpickles.*astype"):
        read_array(tmp_path / "obj.npy")


@pytest.mark.parametrize("x_key, y_key", [("X", "y"), ("x", "labels"), ("data", None), ("images", "y"),
                                          ("only", None)])
def test_npz_keys(tmp_path: Path, rng: np.random.Generator, x_key: str, y_key: str | None) -> None:
    arrays = {x_key: rng.normal(size=(6, 2))}
    if y_key:
        arrays[y_key] = np.array([0, 1, 2, 0, 1, 2])
    np.savez(tmp_path / "d.npz", **arrays)
    ds = read_array(tmp_path / "d.npz")
    assert ds.X.shape == (6, 2)
    assert (ds.y is None) == (y_key is None)
    if y_key:
        assert ds.y.dtype == np.int64 and ds.y.tolist() == [0, 1, 2, 0, 1, 2]


def test_npz_string_labels_are_numbered(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.zeros((3, 2)), y=np.array(["b", "a", "b"]))
    assert read_array(tmp_path / "d.npz").y.tolist() == [1, 0, 1]


def test_npz_ambiguous_keys_are_listed(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", a=np.zeros((3, 2)), b=np.zeros((3, 2)))
    with pytest.raises(DataFileError, match=r"arrays 'a', 'b'.*'X', 'x', 'data'.*np.savez\(path, X=X, y=y\)"):
        read_array(tmp_path / "d.npz")


def test_npz_label_length_mismatch(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.zeros((3, 2)), y=np.zeros(4, dtype=int))
    with pytest.raises(InputError, match=r"shape \(4,\); expected one label per sample \(3,\)"):
        read_array(tmp_path / "d.npz")


def test_array_nan_is_refused(tmp_path: Path) -> None:
    a = np.zeros((5, 3))
    a[2, 1] = np.nan
    np.save(tmp_path / "a.npy", a)
    with pytest.raises(InputError, match=r"1 NaN value \(first at row 2, column 1\)"):
        read_array(tmp_path / "a.npy")


def test_array_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        read_array(tmp_path / "none.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataFileError, match=r"junk.npy is not a .npy file"):
        read_array(tmp_path / "junk.npy")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFileError, match=r"junk.npz is not a .npz \(zip\) file"):
        read_array(tmp_path / "junk.npz")
    np.save(tmp_path / "cut.npy", np.zeros((100, 10)))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "cut.npy").read_bytes()[:500])
    with pytest.raises(DataFileError, match=r"cut.npy.*(corrupt|truncated|valid)"):
        read_array(tmp_path / "cut.npy")
    (tmp_path / "a.csv").write_text("a\n1\n")
    with pytest.raises(InputError, match="read_table"):
        read_array(tmp_path / "a.csv")


# --- tables ------------------------------------------------------------------------------------

def test_csv_with_label_column(tmp_path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(tmp_path / "t.csv", index=False)
    ds = read_table(tmp_path / "t.csv", label_column="label")
    assert ds.X.shape == (50, 3) and ds.X.dtype == np.float32
    assert ds.columns == ("age", "weight", "smoker")
    assert ds.y.tolist() == (frame["label"] == "well").astype(int).tolist()  # sorted: sick=0, well=1
    np.testing.assert_allclose(ds.X[:, 1], frame["weight"], rtol=1e-6)


def test_text_columns_are_all_named(tmp_path: Path, frame: pd.DataFrame) -> None:
    frame["city"] = "Paris"
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"non-numeric columns 'label', 'city'.*OneHotEncoder.*label_column='label'"):
        read_table(tmp_path / "t.csv")


def test_unknown_label_column(tmp_path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"label_column 'target' is not a column.*'age', 'weight'"):
        read_table(tmp_path / "t.csv", label_column="target")


def test_nan_cell_names_count_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b,c\n1,2,3\n4,5,6\n7,,9\n10,11,\n")
    with pytest.raises(InputError, match=r"t.csv has 2 NaN values \(first at row 2, column 'b'\).*fill them in"):
        read_table(tmp_path / "t.csv")


def test_empty_tables(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty.csv is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="header but no rows"):
        read_table(tmp_path / "header.csv")


def test_tsv(tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("a\tb\n1\t2\n3\t4\n")
    assert read_table(tmp_path / "t.tsv").X.tolist() == [[1, 2], [3, 4]]


def test_parquet_round_trip(tmp_path: Path, frame: pd.DataFrame) -> None:
    frame.to_parquet(tmp_path / "t.parquet")
    ds = read_table(tmp_path / "t.parquet", label_column="label")
    ref = read_table(_csv(tmp_path, frame), label_column="label")
    np.testing.assert_array_equal(ds.X, ref.X)
    np.testing.assert_array_equal(ds.y, ref.y)
    assert ds.columns == ref.columns and ds.name == "t.parquet"


def test_corrupt_parquet(tmp_path: Path) -> None:
    (tmp_path / "t.parquet").write_bytes(b"PAR1 nonsense")
    with pytest.raises(DataFileError, match=r"t.parquet could not be read as a Parquet table"):
        read_table(tmp_path / "t.parquet")


def _csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(tmp_path / "t.csv", index=False)
    return tmp_path / "t.csv"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunks_cover_the_table(tmp_path: Path, frame: pd.DataFrame, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    chunks = list(iter_table_chunks(path, 16, label_column="label"))
    assert [len(c) for c in chunks] == [16, 16, 16, 2]
    assert all(c.dtype == np.float32 and c.shape[1] == 3 for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), read_table(path, label_column="label").X)


def test_chunks_report_nan_with_file_row(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i}" for i in range(10))
    (tmp_path / "t.csv").write_text("a,b\n" + rows.replace("7,7", "7,") + "\n")
    chunks = iter_table_chunks(tmp_path / "t.csv", 4)
    assert len(next(chunks)) == 4
    with pytest.raises(InputError, match=r"first at row 7, column 'b'"):
        list(chunks)


def test_chunks_check_arguments_eagerly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="chunksize must be an int >= 1"):
        iter_table_chunks(tmp_path / "t.csv", 0)
    with pytest.raises(DataFileError, match="does not exist"):
        iter_table_chunks(tmp_path / "t.csv", 10)


# ------------------------------------------------- hostile-suite findings (#13), one each
@pytest.mark.parametrize("text, expected", [
    ("# exported by tool\n\n# units: mm\n1.5,2\n3,4.25\n", [[1.5, 2], [3, 4.25]]),  # comments skipped, not a header
    ("a,b\n1,2,\n3,4,\n", [[1, 2], [3, 4]]),  # trailing separators
    ("1,5;2\n3;4,25\n5;6\n", [[1.5, 2], [3, 4.25], [5, 6]]),  # ';' and decimal commas without a header
], ids=["leading_comments", "trailing_separators", "semicolons_decimal_commas_no_header"])
def test_odd_but_valid_csv_reads_the_numbers_written(tmp_path: Path, text: str, expected: list) -> None:
    p = tmp_path / "t.csv"
    p.write_text(text)
    np.testing.assert_allclose(read_table(p).X, expected)


def test_rows_longer_than_the_header_are_refused_not_indexed(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("a\n1.5,2\n3,4.25\n")  # pandas alone makes column 0 an index and loses it
    with pytest.raises(InputError, match="more fields than its header"):
        read_table(p)


def test_a_cut_gzip_table_is_one_clear_error(tmp_path: Path) -> None:
    import gzip

    p = tmp_path / "t.csv.gz"
    p.write_bytes(gzip.compress(b"a,b\n1.5,2\n3,4.25\n" * 50)[:40])
    with pytest.raises(DataFileError, match="not truncated"):
        read_table(p)


@pytest.mark.parametrize("head, word", [(b"PK\x03\x04\x14\x00", "ZIP archive"), (b"a,b\n\x00\x01\x02", "binary")])
def test_binary_files_named_csv_are_refused(tmp_path: Path, head: bytes, word: str) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes(head + bytes(300))
    with pytest.raises(DataFileError, match=word):
        read_table(p)
