"""One entry point for every data source: a data-set name, a file or a folder.

``load_dataset("mnist")``, ``load_dataset("photos/")``, ``load_dataset("table.csv",
label_column="label")`` all return a :class:`~aekit.data.dataset.Dataset`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from aekit.data.dataset import Dataset
from aekit.data.default import load_default
from aekit.data.images import read_image_folder
from aekit.data.mnist import find_split_files, load_mnist, read_idx_pair
from aekit.data.tables import read_array, read_table
from aekit.errors import DataFileError, InputError

#: Canonical data-set names ``load_dataset`` accepts.
DATASET_NAMES: tuple[str, ...] = ("default", "mnist-5k", "mnist", "fashion-mnist")
#: Other spellings, mapped to a canonical name.
ALIASES: dict[str, str] = {"fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist",
                           "mnist_5k": "mnist-5k"}
#: File types ``load_dataset`` reads, for messages.
FILE_TYPES: tuple[str, ...] = (".npy", ".npz", ".csv", ".tsv", ".parquet", ".pq",
                               "IDX (.idx, *-ubyte, .gz)", "image folder", "folder of MNIST IDX files")
_TABLE = (".csv", ".tsv", ".parquet", ".pq")
_ARRAY = (".npy", ".npz")


def load_dataset(source: str | os.PathLike[str], *, split: Literal["train", "test"] = "train",
                 root: str | os.PathLike[str] | None = None, size: int | tuple[int, int] | None = None,
                 label_column: str | None = None, time_column: str | None = None,
                 download: bool = True) -> Dataset:
    """Load a named data set, a data file or a folder.

    Parameters
    ----------
    source : str or path-like
        A name from :data:`DATASET_NAMES` ("default" and "mnist-5k" are the embedded
        5,000 digits; "mnist"; "fashion-mnist", also "fashion_mnist" or "fmnist"), or a
        path: an image folder, a folder holding MNIST IDX files, an IDX file (``.idx``,
        ``*-ubyte``, ``.gz``; a labels file beside it is used), ``.npy``, ``.npz``,
        ``.csv``, ``.tsv``, ``.parquet`` or ``.pq``. Names win over paths: pass a
        ``pathlib.Path`` (or ``"./mnist"``) for a folder that happens to share a name.
    split : {"train", "test"}, default="train"
        For named sets and MNIST IDX folders; a single file is read whole.
    root : str or path-like, optional
        Where to look for MNIST files first (see :func:`~aekit.data.mnist.load_mnist`).
    size : int or (int, int), optional
        Resize images of an image folder to ``(H, W)``.
    label_column : str, optional
        Label column of a table.
    time_column : str, optional
        Time column of a table (default: the one whose values parse as date-times, if any);
        see :func:`~aekit.data.tables.read_table`.
    download : bool, default=True
        Allow downloading MNIST / Fashion-MNIST.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        An unknown name or file type (the accepted ones are listed).
    DataFileError
        A path that does not exist, or a file that cannot be read.

    Examples
    --------
    >>> load_dataset("default", split="test").X.shape
    (1000, 1, 28, 28)
    """
    if isinstance(source, str):
        name = ALIASES.get(source.strip().lower(), source.strip().lower())
        if name in ("default", "mnist-5k"):
            return load_default(split)
        if name in ("mnist", "fashion-mnist"):
            return load_mnist(split, root=root, download=download, kind=name)  # type: ignore[arg-type]
    path = Path(source).expanduser()
    if not path.exists():
        if isinstance(source, str) and _looks_like_name(source):
            raise InputError(f"unknown data set {source!r}. {_accepted()}")
        raise DataFileError(f"{str(path)!r} does not exist. Check the path. {_accepted()}")
    if path.is_dir():
        pair = find_split_files(path, split)
        if pair is not None:
            return read_idx_pair(*pair, name=path.name)
        return read_image_folder(path, size=size)
    suffixes = [s.lower() for s in path.suffixes]
    inner = suffixes[-2] if len(suffixes) > 1 and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip") else None
    if suffixes and suffixes[-1] in _ARRAY:
        return read_array(path)
    if suffixes and (suffixes[-1] in _TABLE or inner in _TABLE):
        return read_table(path, label_column=label_column, time_column=time_column)
    if _is_idx_name(path.name):
        return read_idx_pair(path, _labels_beside(path), name=path.name)
    raise InputError(f"cannot tell how to read {path.name!r} from its name. {_accepted()}")


def _accepted() -> str:
    names = ", ".join(map(repr, (*DATASET_NAMES, *ALIASES)))
    return f"Accepted: the names {names}, or a path to: {', '.join(FILE_TYPES)}."


def _looks_like_name(source: str) -> bool:
    return not any(sep in source for sep in ("/", "\\", os.sep)) and "." not in source


def _is_idx_name(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".idx", ".gz")) or "-ubyte" in lower or ".idx" in lower


def _labels_beside(images: Path) -> Path | None:
    """The labels file matching an images file (``images`` -> ``labels``, ``idx3`` -> ``idx1``)."""
    name = images.name
    if "images" not in name:
        return None
    stem = name.replace("images", "labels").replace("idx3", "idx1")
    bare = stem[:-3] if stem.endswith(".gz") else stem
    for candidate in (stem, bare, bare + ".gz"):
        if (images.parent / candidate).is_file():
            return images.parent / candidate
    return None
