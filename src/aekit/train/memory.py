"""Keep freed memory for reuse while training on the CPU (glibc's allocator).

Every training step allocates and frees the same large tensors (activations and their
gradients: 12.8 MB each for a 256-image batch of 16 x 28 x 28 conv features). glibc returns
memory at the top of its heap to the kernel as soon as more than its trim threshold is free
(twice the largest block it has handed back, at most 64 MB), so the next step takes the same
pages again through page faults: about 94,000 a conv-autoencoder epoch on 2,000 MNIST
images, 15-20% of its time in the kernel. With the thresholds raised for the length of a fit
it took almost none (measured for issue #14; ``tests/train/test_memory.py`` checks the effect
on a few conv steps).

While a fit runs, blocks up to 256 MB come from the heap and up to 1 GB of free heap is
kept. Afterwards the thresholds go to 32 MB (mmap) and 64 MB (trim), the most glibc's own
adaptive rule raises them to, so the next free hands back all but 64 MB of what is free at
the top of the heap (``malloc_trim`` at the end of every fit would make the next fit fault
its pages in again: 2,300 faults per one-epoch fit of the dense model). Nothing happens on
other C libraries (macOS, Windows, musl), when ``GLIBC_TUNABLES`` sets malloc parameters
(the user's choice stands), or with ``AEKIT_MALLOC_TUNING=0``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import sys
from collections.abc import Iterator
from typing import Any

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MB = 1 << 20
_DURING = {_M_MMAP_THRESHOLD: 256 * _MB, _M_TRIM_THRESHOLD: 1024 * _MB}
_AFTER = {_M_MMAP_THRESHOLD: 32 * _MB, _M_TRIM_THRESHOLD: 64 * _MB}


@functools.cache
def _glibc() -> Any:
    """glibc's handle, or None (another C library, or a tuning the user asked to leave alone)."""
    if not sys.platform.startswith("linux") or os.environ.get("AEKIT_MALLOC_TUNING", "1") == "0":
        return None
    if "malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()  # only glibc has it
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        return libc
    except (OSError, AttributeError):
        return None


def _set(libc: Any, values: dict[int, int]) -> None:
    for param, value in values.items():
        libc.mallopt(param, value)


_depth = [0]  # reuse_freed_memory blocks open in this process

#: The benchmarks' switch to measure aekit as it was before this tuning; not an option for users.
_ENABLED = True


@contextlib.contextmanager
def reuse_freed_memory(on: bool = True) -> Iterator[bool]:
    """Raise glibc's mmap and trim thresholds for the block, then lower them again.

    Yields whether the tuning is in effect. Nested blocks keep it until the outermost ends.
    """
    libc = _glibc() if on and _ENABLED else None
    outermost = libc is not None and _depth[0] == 0
    if outermost:
        _set(libc, _DURING)
    _depth[0] += 1
    try:
        yield libc is not None
    finally:
        _depth[0] -= 1
        if outermost:
            _set(libc, _AFTER)
