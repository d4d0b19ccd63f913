"""How much one input may expand to in memory, checked from its header before anything is allocated.

A small compressed file can declare or expand to far more than it holds: a 1 MB gzip of
zeros inflates to 1 GB, an IDX or ``.npy`` header can declare terabytes, a PNG of a few
kilobytes can decode to 20000 x 20000 pixels. aekit reads the size first and refuses an
input above the limit with one error naming it, instead of a ``MemoryError`` half-way.

The limit is :data:`DEFAULT_MAX_INPUT_BYTES` (1 GiB) of decoded data per input (one IDX
file, one ``.npz`` array, one image, one image folder as float32). Raise it with the
environment variable ``AEKIT_MAX_INPUT_BYTES``, in bytes, with an optional K/M/G/T suffix
(powers of 1024)::

    AEKIT_MAX_INPUT_BYTES=8G aekit train --data big.npz

Uncompressed files are read only up to what they hold: a header that declares more than
the file contains is refused as truncated, whatever the limit.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from aekit.errors import DataFileError, InputError

#: The environment variable that sets the limit, in bytes (K/M/G/T suffixes allowed).
MAX_INPUT_BYTES_ENV = "AEKIT_MAX_INPUT_BYTES"
#: The limit when the variable is unset: 1 GiB of decoded data per input.
DEFAULT_MAX_INPUT_BYTES = 1 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def max_input_bytes() -> int:
    """The limit in force: ``AEKIT_MAX_INPUT_BYTES`` when set, else :data:`DEFAULT_MAX_INPUT_BYTES`.

    Raises
    ------
    aekit.errors.InputError
        The variable is set to something other than a positive size such as ``4G``.
    """
    raw = os.environ.get(MAX_INPUT_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_INPUT_BYTES
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?", raw, flags=re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise InputError(f"{MAX_INPUT_BYTES_ENV}={raw!r} is not a size; set it to a number of bytes, optionally "
                         "with K, M, G or T (powers of 1024), e.g. 4G.")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_bytes(n: int) -> str:
    """``n`` bytes as a short human size: ``1.5 GiB``, ``512 B``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _suggest(n_bytes: int) -> str:
    """A limit a little above ``n_bytes``, in whole units of the variable's syntax."""
    for suffix, unit in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n_bytes >= unit:
            return f"{-(-n_bytes // unit) + (1 if suffix != 'T' else 0)}{suffix}"
    return str(n_bytes + 1)


def check_input_size(n_bytes: int, *, what: str) -> None:
    """Refuse an input that decodes to more than the limit, before it is allocated.

    Parameters
    ----------
    n_bytes : int
        What the input takes in memory once decoded (from its header).
    what : str
        The input, as the message should name it ("mnist.npz, array 'X' (shape (10, 3))").

    Raises
    ------
    aekit.errors.DataFileError
        ``n_bytes`` is above :func:`max_input_bytes`; the message names both and how to raise the limit.
    """
    limit = max_input_bytes()
    if n_bytes > limit:
        raise DataFileError(
            f"{what} decodes to {format_bytes(n_bytes)}, above aekit's limit of {format_bytes(limit)} for one input "
            f"({MAX_INPUT_BYTES_ENV}). A small file that expands this far is usually damaged or hostile; if you "
            f"expect this size and have the memory, raise the limit, e.g. {MAX_INPUT_BYTES_ENV}={_suggest(n_bytes)}.")


def check_npy_header(fp: BinaryIO, *, what: str, available: int | None = None) -> None:
    """Read the header of the ``.npy`` stream ``fp`` (it is left just after it) and refuse an array too large.

    Parameters
    ----------
    fp : binary file
        At the start of a ``.npy`` file, or of one array of an ``.npz``.
    what : str
        The array, as the message should name it.
    available : int, optional
        The size of an uncompressed file: its header may not declare more than that, whatever the limit.
        Without it (a compressed array) the limit applies.

    A header NumPy cannot parse is left for ``np.load`` to report, except one that breaks
    NumPy's own header parser (Python's tokenizer), which is refused here.
    """
    import tokenize

    from numpy.lib import format as npy

    try:
        version = npy.read_magic(fp)
        read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _, dtype = read(fp)
    except (tokenize.TokenError, SyntaxError) as exc:
        raise DataFileError(f"{what} has a corrupt .npy header ({exc}); re-create it with np.save.") from exc
    except (ValueError, OSError, EOFError):
        return
    n_bytes = math.prod(shape) * dtype.itemsize
    if available is None:
        check_input_size(n_bytes, what=f"{what} (shape {shape}, {dtype})")
    elif n_bytes > available - fp.tell():
        raise DataFileError(f"{what} is truncated: its header declares shape {shape} of {dtype}, {n_bytes} bytes, "
                            f"and the file holds {max(available - fp.tell(), 0)}. Re-create it with np.save.")


@contextmanager
def pillow_size_check_off() -> Iterator[None]:
    """Open images with Pillow's own size bound off; the caller checks the size with :func:`check_input_size`.

    Pillow refuses images above about 179 million pixels (twice ``Image.MAX_IMAGE_PIXELS``)
    whatever the memory, and warns from half that. Inside this block that bound is off, so
    that one limit governs, ``AEKIT_MAX_INPUT_BYTES``, and raising it is enough. Opening
    reads the header only: check ``im.size`` before ``im.load()``.
    """
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


__all__ = ["DEFAULT_MAX_INPUT_BYTES", "MAX_INPUT_BYTES_ENV", "check_input_size", "check_npy_header", "format_bytes",
           "max_input_bytes", "pillow_size_check_off"]
