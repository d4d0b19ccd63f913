import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from aekit.data import DATASET_NAMES, load_dataset
from aekit.data.idx import write_idx
from aekit.errors import DataFileError, InputError


@pytest.mark.parametrize("name", ["default", "mnist-5k", "MNIST-5k", "mnist_5k"])
def test_embedded_names(name: str) -> None:
    ds = load_dataset(name, split="test")
    assert ds.name == "mnist-5k (embedded)" and len(ds) == 1000


@pytest.mark.parametrize("name, kind", [("mnist", "mnist"), ("fashion-mnist", "fashion-mnist"),
                                        ("fashion_mnist", "fashion-mnist"), ("fmnist", "fashion-mnist")])
def test_mnist_names(tmp_path: Path, fake_mnist, name: str, kind: str) -> None:
    folder, _ = fake_mnist
    shutil.copytree(folder, tmp_path / "root" / kind)
    ds = load_dataset(name, split="test", root=tmp_path / "root", download=False)
    assert ds.name == kind and ds.X.shape == (10, 1, 28, 28)


def test_folder_of_idx_files(fake_mnist) -> None:
    folder, _ = fake_mnist
    assert len(load_dataset(folder)) == 30 and len(load_dataset(folder, split="test")) == 10


def test_idx_file_with_labels_beside(fake_mnist, tmp_path: Path) -> None:
    folder, _ = fake_mnist
    ds = load_dataset(folder / "t10k-images-idx3-ubyte.gz")
    assert ds.X.shape == (10, 1, 28, 28) and ds.y is not None and ds.name == "t10k-images-idx3-ubyte.gz"
    write_idx(tmp_path / "faces.idx", np.zeros((2, 5, 5), dtype=np.uint8))
    alone = load_dataset(tmp_path / "faces.idx")
    assert alone.y is None and alone.image_shape == (1, 5, 5)


def test_image_folder(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.fromarray(np.zeros((6, 6), np.uint8)).save(tmp_path / cls / "0.png")
    ds = load_dataset(tmp_path, size=(4, 4))
    assert ds.X.shape == (2, 1, 4, 4) and ds.y.tolist() == [0, 1]


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv", ".tsv", ".parquet", ".pq", ".csv.gz"])
def test_file_types(tmp_path: Path, suffix: str) -> None:
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    path = tmp_path / f"d{suffix}"
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=[0, 1, 0, 1])
    if suffix == ".npy":
        np.save(path, X)
    elif suffix == ".npz":
        np.savez(path, X=X, y=np.array([0, 1, 0, 1]))
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    ds = load_dataset(path, label_column=None if suffix in (".npy", ".npz") else "label")
    np.testing.assert_array_equal(ds.X, X)
    assert (ds.y is None) == (suffix == ".npy")


def test_unknown_name_lists_names_and_types() -> None:
    expected = r"unknown data set 'mnsit'.*'default'.*'fashion-mnist'.*\.parquet.*image folder"
    with pytest.raises(InputError, match=expected) as info:
        load_dataset("mnsit")
    assert not isinstance(info.value, DataFileError)
    assert set(DATASET_NAMES) == {"default", "mnist-5k", "mnist", "fashion-mnist"}


def test_missing_path_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"does not exist"):
        load_dataset(tmp_path / "nothing.csv")
    with pytest.raises(DataFileError, match=r"does not exist"):
        load_dataset("some/dir/file.npy")
    (tmp_path / "notes.docx").write_bytes(b"x")
    with pytest.raises(InputError, match=r"cannot tell how to read 'notes.docx'.*\.npz"):
        load_dataset(tmp_path / "notes.docx")
