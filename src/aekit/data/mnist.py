"""MNIST and Fashion-MNIST from their canonical IDX files: found locally, or downloaded once.

Lookup order for each file: ``root/<kind>``, ``root``, ``$AEKIT_DATA/<kind>``,
``$AEKIT_DATA``, then the cache ``$XDG_CACHE_HOME/aekit/<kind>`` (default
``~/.cache/aekit/<kind>``). Missing files are downloaded into the cache, checked against
the md5 sums torchvision lists, and written atomically.

Shape:
    - X: (N, 1, 28, 28) float32 in [0, 1]; y: (N,) int64 in 0..9
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from aekit.data.checks import check_choice
from aekit.data.dataset import Dataset
from aekit.data.files import atomic_path
from aekit.data.idx import read_idx
from aekit.errors import DataFileError

MnistKind = Literal["mnist", "fashion-mnist"]
KINDS: tuple[str, ...] = ("mnist", "fashion-mnist")
SPLITS: tuple[str, ...] = ("train", "test")

#: Download mirrors per kind, tried in order. Override with ``mirrors=`` or the
#: ``AEKIT_MNIST_MIRROR`` environment variable (comma-separated base URLs).
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

#: (images, labels) file names per split, as the publishers name them.
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: md5 of the official files: the ``.gz`` values are torchvision's, the others those of
#: the decompressed files (see shared/data/README.md).
MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

ALL_FILES: tuple[str, ...] = (*FILES["train"], *FILES["test"])
_TIMEOUT_S = 30.0


def load_mnist(split: Literal["train", "test"] = "train", *, root: str | os.PathLike[str] | None = None,
               download: bool = True, kind: MnistKind = "mnist", verify: bool = True,
               mirrors: Sequence[str] | None = None) -> Dataset:
    """Load MNIST or Fashion-MNIST, from local files or downloaded once into the cache.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        60,000 training or 10,000 test images.
    root : str or path-like, optional
        A folder holding the four files (or a ``<kind>`` sub-folder that does), searched
        first. Then ``$AEKIT_DATA`` (and ``$AEKIT_DATA/<kind>``), then the cache
        ``$XDG_CACHE_HOME/aekit/<kind>`` (default ``~/.cache/aekit/<kind>``).
    download : bool, default=True
        Fetch missing files into the cache.
    kind : {"mnist", "fashion-mnist"}, default="mnist"
    verify : bool, default=True
        Check each file's md5 against the official value (about 0.1 s for the training set).
    mirrors : sequence of str, optional
        Base URLs to download from, in order. Default: ``$AEKIT_MNIST_MIRROR``
        (comma-separated) if set, else :data:`MIRRORS`.

    Returns
    -------
    Dataset
        ``X`` float32 ``(N, 1, 28, 28)`` scaled to [0, 1], ``y`` int64 ``(N,)``,
        ``image_shape=(1, 28, 28)``, ``name=kind``.

    Raises
    ------
    DataFileError
        If the files are absent and cannot be downloaded (the message says which files to
        put where), or a file is corrupt, truncated or fails its checksum.

    Examples
    --------
    >>> test = load_mnist("test")            # doctest: +SKIP
    >>> test.X.shape, test.y[:3]             # doctest: +SKIP
    ((10000, 1, 28, 28), array([7, 2, 1]))
    """
    check_choice("kind", kind, KINDS)
    check_choice("split", split, SPLITS)
    if root is not None and not Path(root).expanduser().is_dir():
        raise DataFileError(f"root folder {str(root)!r} does not exist. Pass the folder that holds "
                            f"the {kind} files, or leave root=None to use $AEKIT_DATA or the cache.")
    paths = []
    for gz_name in FILES[split]:
        found = _find(gz_name, kind, root)
        if found is not None and verify and not _md5_ok(found, kind):
            if download and found.parent == cache_dir(kind):  # our own copy: fetch it again
                found = None
            else:
                raise DataFileError(
                    f"{found} has md5 {_md5(found)}, but the official {kind} file has "
                    f"{MD5[kind][found.name.replace('.idx', '-idx')]}: it is corrupt, truncated or a "
                    "different file. Delete it (it will be downloaded again), or pass verify=False "
                    "to use it anyway."
                )
        if found is None:
            if not download:
                raise DataFileError(_missing_message(kind, root, gz_name, tried=None))
            found = _download(gz_name, kind, root, _mirrors(kind, mirrors), verify=verify)
        paths.append(found)
    return read_idx_pair(paths[0], paths[1], name=kind)


def read_idx_pair(images: str | os.PathLike[str], labels: str | os.PathLike[str] | None, *,
                  name: str) -> Dataset:
    """Read an MNIST-style images file (and labels file) into an image :class:`Dataset`.

    Parameters
    ----------
    images : str or path-like
        IDX file of shape ``(N, H, W)`` (grayscale) or ``(N, C, H, W)``; uint8 values are
        divided by 255.
    labels : str or path-like or None
        IDX file of N integer labels.
    name : str
        Stored as ``Dataset.name``.

    Returns
    -------
    Dataset
        ``X`` float32 ``(N, C, H, W)``, ``y`` int64 ``(N,)`` or None.
    """
    raw = read_idx(images)
    if raw.ndim not in (3, 4):
        raise DataFileError(f"{images} holds an array of shape {raw.shape}; an images file is "
                            "(N, H, W) or (N, C, H, W). Is it a labels file?")
    X = raw.astype(np.float32)
    if raw.dtype == np.uint8:
        X /= 255.0
    if X.ndim == 3:
        X = X[:, None]  # (N, H, W) -> (N, 1, H, W)
    y = None
    if labels is not None:
        lab = read_idx(labels)
        if lab.ndim != 1 or lab.dtype.kind not in "iu":
            raise DataFileError(f"{labels} holds shape {lab.shape} of {lab.dtype}; a labels file "
                                "holds one integer per image. Is it an images file?")
        if len(lab) != len(X):
            raise DataFileError(f"{labels} has {len(lab)} labels but {images} has {len(X)} images; "
                                "the two files belong to different sets. Re-download them as a pair.")
        y = lab.astype(np.int64)
    shape = (int(X.shape[1]), int(X.shape[2]), int(X.shape[3]))
    return Dataset(X=X, y=y, name=name, image_shape=shape)


def find_split_files(folder: str | os.PathLike[str],
                     split: Literal["train", "test"] = "train") -> tuple[Path, Path] | None:
    """Return the (images, labels) files of ``split`` in ``folder``, or None if either is absent.

    Accepts the ``.gz`` names, the decompressed names and the ``train-images.idx3-ubyte``
    spelling some archives use.
    """
    found = [_in_folder(Path(folder), name) for name in FILES[split]]
    return (found[0], found[1]) if found[0] is not None and found[1] is not None else None


def cache_dir(kind: str = "mnist") -> Path:
    """The download cache: ``$XDG_CACHE_HOME/aekit/<kind>``, default ``~/.cache/aekit/<kind>``."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "aekit" / kind


def _search_dirs(kind: str, root: str | os.PathLike[str] | None) -> list[Path]:
    dirs: list[Path] = []
    for base in (root, os.environ.get("AEKIT_DATA") or None):
        if base is not None:
            base = Path(base).expanduser()
            dirs += [base / kind, base]  # a kind-specific sub-folder beats a shared one
    return [*dirs, cache_dir(kind)]


def _variants(gz_name: str) -> tuple[str, ...]:
    plain = gz_name[:-3]
    dotted = plain.replace("-idx", ".idx")
    return gz_name, plain, dotted, dotted + ".gz"


def _in_folder(folder: Path, gz_name: str) -> Path | None:
    for name in _variants(gz_name):
        if (folder / name).is_file():
            return folder / name
    return None


def _find(gz_name: str, kind: str, root: str | os.PathLike[str] | None) -> Path | None:
    for folder in _search_dirs(kind, root):
        found = _in_folder(folder, gz_name)
        if found is not None:
            return found
    return None


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _md5_ok(path: Path, kind: str) -> bool:
    expected = MD5[kind].get(path.name.replace(".idx", "-idx"))
    return expected is None or _md5(path) == expected


def _mirrors(kind: str, mirrors: Sequence[str] | None) -> tuple[str, ...]:
    if mirrors is not None:
        return tuple(mirrors)
    env = os.environ.get("AEKIT_MNIST_MIRROR", "")
    from_env = tuple(m.strip() for m in env.split(",") if m.strip())
    return from_env or MIRRORS[kind]


def _download(gz_name: str, kind: str, root: str | os.PathLike[str] | None, mirrors: Sequence[str],
              *, verify: bool) -> Path:
    """Fetch one file into the cache from the first mirror that serves it intact."""
    target = cache_dir(kind) / gz_name
    expected = MD5[kind][gz_name]
    tried: list[str] = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + gz_name
        try:
            with atomic_path(target) as tmp:
                digest = _fetch(url, tmp)
                if verify and digest != expected:
                    raise _ChecksumMismatch(f"md5 {digest}, expected {expected}")
                read_idx(tmp)  # a truncated or foreign file never lands in the cache
            return target
        except (OSError, http.client.HTTPException, ValueError, _ChecksumMismatch) as exc:  # URLError is an OSError
            tried.append(f"{url} ({exc})")
    raise DataFileError(_missing_message(kind, root, gz_name, tried=tried))


class _ChecksumMismatch(Exception):
    """A mirror served a file whose md5 is not the official one."""


def _fetch(url: str, dest: Path) -> str:
    """Stream ``url`` into ``dest``; return the md5 of what arrived."""
    h = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "aekit (python urllib)"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response, open(dest, "wb") as f:
        while chunk := response.read(1 << 16):
            h.update(chunk)
            f.write(chunk)
    return h.hexdigest()


def _missing_message(kind: str, root: str | os.PathLike[str] | None, gz_name: str,
                     tried: list[str] | None) -> str:
    if tried is None:
        searched = ", ".join(str(d) for d in _search_dirs(kind, root))
        head = f"{kind} file {gz_name} was not found (searched {searched}) and download=False."
    elif not tried:
        head = f"Could not download {kind} file {gz_name}: the mirror list is empty."
    else:
        head = f"Could not download {kind} file {gz_name}; tried " + "; ".join(tried) + "."
    return (
        f"{head} To work offline, put the four files {', '.join(ALL_FILES)} in {cache_dir(kind)} "
        "(or in a folder passed as root=, or in the folder named by the AEKIT_DATA environment "
        f"variable), or {'pass download=True' if tried is None else 'set AEKIT_MNIST_MIRROR to a reachable mirror'}."
    )
