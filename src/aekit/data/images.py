"""Image folders and single images, via Pillow.

A folder of images is one unlabelled set; a folder of sub-folders is a labelled set, one
class per sub-folder (sorted names, ``y`` = index), searched recursively.

Shape:
    - read_image_folder: X (N, C, H, W) float32 in [0, 1], C = 1 (grayscale) or 3 (RGB)
    - read_image: (C, H, W) float32 in [0, 1]; write_image takes (H, W) or (C, H, W)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image, UnidentifiedImageError

from aekit.data.checks import check_choice
from aekit.data.dataset import Dataset
from aekit.data.files import atomic_path, file_kind
from aekit.data.limits import check_input_size, pillow_size_check_off
from aekit.errors import DataFileError, InputError

ImageMode = Literal["auto", "L", "RGB"]
IMAGE_MODES: tuple[str, ...] = ("auto", "L", "RGB")
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
_WIDE_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}  # more than 8 bits per pixel


@contextmanager
def _opened(path: Path) -> Iterator[Image.Image]:
    """``Image.open`` under aekit's input limit (:mod:`aekit.data.limits`): the header's size is
    checked before any pixel is decoded."""
    with pillow_size_check_off(), Image.open(path) as im:
        w, h = im.size
        check_input_size(w * h * len(im.getbands()) * 4,  # what read_image returns: float32 per band
                         what=f"image file {path} ({h}x{w} pixels, {len(im.getbands())} bands, as float32)")
        yield im


def read_image_folder(path: str | os.PathLike[str], *, size: int | tuple[int, int] | None = None,
                      mode: ImageMode = "auto") -> Dataset:
    """Read every image under a folder; sub-folder names become class labels.

    Parameters
    ----------
    path : str or path-like
        A folder of PNG/JPEG/BMP/GIF/WEBP files, or of sub-folders of them (one per
        class, searched recursively). Hidden files and other file types are skipped.
    size : int or (int, int), optional
        Resize every image to ``(H, W)`` (an int means square): LANCZOS when shrinking,
        bilinear when enlarging. Without it all images must share one size.
    mode : {"auto", "L", "RGB"}, default="auto"
        Channels: "auto" reads grayscale when every image is grayscale, else RGB. Alpha is
        dropped.

    Returns
    -------
    Dataset
        ``X`` float32 ``(N, C, H, W)`` in [0, 1], ``y`` int64 class indices (sorted
        sub-folder names, see :func:`image_folder_classes`) or None, ``image_shape``.

    Raises
    ------
    DataFileError
        Missing folder, no images in it, an image Pillow cannot decode (named), or images
        above the input limit (:mod:`aekit.data.limits`, ``AEKIT_MAX_INPUT_BYTES``).
    InputError
        Images of different sizes without ``size=`` (two are named), or loose images next
        to class folders.

    Examples
    --------
    >>> ds = read_image_folder("photos/", size=(64, 64))   # doctest: +SKIP
    >>> ds.X.shape, image_folder_classes("photos/")        # doctest: +SKIP
    ((120, 3, 64, 64), ['cats', 'dogs'])
    """
    check_choice("mode", mode, IMAGE_MODES)
    target = _check_size(size)
    root = _existing_folder(path)
    files, labels, _ = _list_images(root)
    modes, sizes = [], []
    for f in files:
        try:
            with _opened(f) as im:  # reads the header only
                modes.append(im.mode)
                sizes.append(im.size)
        except DataFileError:
            raise
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DataFileError(_corrupt(f, exc)) from exc
    if mode == "auto":
        mode = "L" if all(_is_gray(f, m) for f, m in zip(files, modes)) else "RGB"
    if target is None:
        first = sizes[0]
        other = next((i for i, s in enumerate(sizes) if s != first), None)
        if other is not None:
            raise InputError(
                f"images in {root} differ in size: {files[0].relative_to(root)} is {first[1]}x{first[0]} "
                f"and {files[other].relative_to(root)} is {sizes[other][1]}x{sizes[other][0]} (height x "
                f"width). Resize them to one size first (for example with Pillow's Image.resize), or in Python "
                f"read them with read_image_folder(path, size=({first[1]}, {first[0]}))."
            )
        target = (first[1], first[0])
    channels = 1 if mode == "L" else 3
    check_input_size(len(files) * channels * target[0] * target[1] * 4,
                     what=f"the {len(files)} images in {root} as float32 ({channels}x{target[0]}x{target[1]} each)")
    X = np.empty((len(files), channels, *target), dtype=np.float32)  # (N, C, H, W)
    for i, f in enumerate(files):
        X[i] = read_image(f, mode=mode, size=target)  # type: ignore[arg-type]
    y = np.asarray(labels, dtype=np.int64) if labels is not None else None
    return Dataset(X=X, y=y, name=root.name or str(root), image_shape=(channels, *target))


def image_folder_classes(path: str | os.PathLike[str]) -> list[str]:
    """Class names of an image folder, in label order (``y == i`` is ``classes[i]``).

    Parameters
    ----------
    path : str or path-like
        A folder as for :func:`read_image_folder`.

    Returns
    -------
    list of str
        Sorted names of the sub-folders holding images; empty for an unlabelled folder.
    """
    return _list_images(_existing_folder(path))[2]


def read_image(path: str | os.PathLike[str], *, mode: ImageMode = "auto",
               size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Read one image as a float32 ``(C, H, W)`` array in [0, 1].

    Parameters
    ----------
    path : str or path-like
        Any image file Pillow reads.
    mode : {"auto", "L", "RGB"}, default="auto"
        "auto": one channel for grayscale images, three otherwise. Alpha is dropped.
    size : int or (int, int), optional
        Resize to ``(H, W)``.

    Returns
    -------
    np.ndarray
        float32 ``(1, H, W)`` or ``(3, H, W)``; 16-bit images keep their precision.

    Raises
    ------
    DataFileError
        Missing file, one Pillow cannot decode, or an image above the input limit
        (:mod:`aekit.data.limits`, ``AEKIT_MAX_INPUT_BYTES``).
    """
    check_choice("mode", mode, IMAGE_MODES)
    target = _check_size(size)
    p = Path(path)
    kind = file_kind(p)
    if kind != "a file":
        raise DataFileError(f"image file {str(p)!r} does not exist. Check the path." if kind == "nothing" else
                            f"image file {str(p)!r} is {kind}, not a regular file. Check the path.")
    try:
        with _opened(p) as im:
            im.load()
            if mode == "auto":
                mode = "L" if _is_gray(p, im.mode, im) else "RGB"
            return _to_array(im, mode, target)
    except DataFileError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        # Pillow reports damaged data as OSError ("truncated"), ValueError or SyntaxError
        raise DataFileError(_corrupt(p, exc)) from exc


def write_image(path: str | os.PathLike[str], array: ArrayLike) -> None:
    """Write a ``(H, W)``, ``(1, H, W)`` or ``(3, H, W)`` array as an image file, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; the format follows the suffix (``.png``, ``.jpg``, ``.bmp``, ...).
    array : array-like
        Floats in [0, 1] (clipped, then rounded to 8 bits) or uint8 values.

    Raises
    ------
    InputError
        For another shape (channels-last arrays get a transpose hint), NaN values, or a
        suffix Pillow cannot write.

    Examples
    --------
    >>> write_image("reconstruction.png", x_hat[0])   # doctest: +SKIP
    """
    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[0] in (1, 3):
        arr = arr[0] if arr.shape[0] == 1 else np.moveaxis(arr, 0, -1)  # (C, H, W) -> (H, W, C)
    elif arr.ndim == 3 and arr.shape[-1] in (1, 3, 4):
        raise InputError(f"write_image takes channels first, (C, H, W); got shape {arr.shape}, which "
                         "looks channels-last. Pass array.transpose(2, 0, 1).")
    elif arr.ndim != 2:
        raise InputError(f"write_image takes (H, W), (1, H, W) or (3, H, W); got shape {arr.shape}.")
    if arr.dtype.kind not in "fiub":
        raise InputError(f"write_image needs numbers; got dtype {arr.dtype}.")
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise InputError(f"the image for {path} has {int((~np.isfinite(arr)).sum())} NaN or "
                             "infinite values; clean the array first.")
        arr = np.round(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)
    target = Path(path)
    fmt = Image.registered_extensions().get(target.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise InputError(f"cannot write images with suffix {target.suffix!r} ({target.name}); "
                         "use .png (lossless), .jpg, .bmp, .gif, .tif or .webp.")
    with atomic_path(target) as tmp:
        Image.fromarray(arr).save(tmp, format=fmt)


def _check_size(size: int | tuple[int, int] | Sequence[int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in size)):
        raise InputError(f"size must be (height, width) with two ints >= 1, or one int for a square; got {size!r}.")
    return int(size[0]), int(size[1])


def _existing_folder(path: str | os.PathLike[str]) -> Path:
    root = Path(path).expanduser()
    if not root.exists():
        raise DataFileError(f"image folder {str(root)!r} does not exist. Check the path.")
    if not root.is_dir():
        raise DataFileError(f"{str(root)!r} is a file, not a folder; use read_image for one image.")
    return root


def _is_image(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()


def _list_images(root: Path) -> tuple[list[Path], list[int] | None, list[str]]:
    """Files in label order, their labels (None when unlabelled), and the class names."""
    loose = sorted(p for p in root.iterdir() if _is_image(p))
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    per_class = [(d.name, sorted(p for p in d.rglob("*") if _is_image(p)
                                 and not any(part.startswith(".") for part in p.relative_to(d).parts)))
                 for d in subdirs]
    per_class = [(name, files) for name, files in per_class if files]
    if per_class and loose:
        raise InputError(
            f"{root} mixes class folders ({', '.join(n for n, _ in per_class[:3])}"
            f"{', ...' if len(per_class) > 3 else ''}) with {len(loose)} loose image(s) such as "
            f"{loose[0].name}. Move the loose images into a class folder, or read them separately."
        )
    if per_class:
        files = [f for _, fs in per_class for f in fs]
        labels = [i for i, (_, fs) in enumerate(per_class) for _ in fs]
        return files, labels, [name for name, _ in per_class]
    if not loose:
        others = sorted(p.name for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))[:3]
        seen = f" (found other files, e.g. {', '.join(others)})" if others else " (it is empty)"
        raise DataFileError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root}{seen}. Point to a folder "
                            "of images, or of one sub-folder of images per class.")
    return loose, None, []


def _is_gray(path: Path, mode: str, im: Image.Image | None = None) -> bool:
    if mode in _GRAY_MODES:
        return True
    if mode not in ("P", "PA"):
        return False
    # A palette image is gray when every palette entry is (v, v, v).
    if im is None:
        with _opened(path) as opened:
            palette = opened.getpalette() or []
    else:
        palette = im.getpalette() or []
    rgb = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
    return bool(np.all(rgb == rgb[:, :1]))


def _to_array(im: Image.Image, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """Decoded image -> float32 (C, H, W) in [0, 1], resized to ``size`` = (H, W) if given."""
    if im.mode in _WIDE_MODES:
        # Keep more than 8 bits: scale to [0, 1] in float, resize in Pillow's float mode.
        gray = np.asarray(im, dtype=np.float32)
        if im.mode == "F":
            gray = np.clip(gray, 0.0, 1.0)
        elif im.mode.startswith("I;16") or gray.max() > 255:  # plain "I" holding 8-bit values stays /255
            gray = gray / 65535.0
        else:
            gray = gray / 255.0
        out = Image.fromarray(np.ascontiguousarray(gray, dtype=np.float32))  # mode "F"
        if size is not None:
            out = _resize(out, size)
        chan = np.asarray(out, dtype=np.float32)[None]  # (1, H, W)
        return np.repeat(chan, 3, axis=0) if mode == "RGB" else chan
    converted = im.convert(mode)
    if size is not None:
        converted = _resize(converted, size)
    arr = np.asarray(converted, dtype=np.float32) / 255.0
    return arr[None] if arr.ndim == 2 else np.moveaxis(arr, -1, 0)  # (H, W, C) -> (C, H, W)


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    h, w = size
    if (w, h) == im.size:
        return im
    shrinking = w * h < im.size[0] * im.size[1]
    return im.resize((w, h), Image.Resampling.LANCZOS if shrinking else Image.Resampling.BILINEAR)


def _corrupt(path: Path, exc: BaseException) -> str:
    return (f"image file {path} could not be decoded ({type(exc).__name__}: {exc}); it is corrupt, "
            "truncated or not an image. Replace or delete it.")
