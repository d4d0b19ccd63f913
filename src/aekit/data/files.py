"""Atomic file writes: a temp file in the target's folder, then ``os.replace``.

A crash, a full disk or an exception half-way leaves either the old file or the new one,
never a half-written file, and never a stray temp file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# mkstemp creates files as 0600; give the final file the permissions open() would have.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temp file lives in the same folder (so the rename is atomic on POSIX and
    Windows) and is deleted when the block raises. Missing parent folders are created.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.

    Yields
    ------
    pathlib.Path
        An existing, empty temp file to write to (by name; reopen it as you like).

    Examples
    --------
    >>> with atomic_path(tmp / "table.csv") as tmp_file:   # doctest: +SKIP
    ...     frame.to_csv(tmp_file)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename).

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.
    data : bytes
        The complete new content.
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
