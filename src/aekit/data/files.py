"""Atomic file writes: a temp file in the target's folder, then ``os.replace``.

A crash, a full disk or an exception half-way leaves either the old file or the new one,
never a half-written file. An exception also removes the temp file; only a killed process
can leave one behind (a hidden ``.<name>.<random>.tmp`` beside the target), and
:func:`remove_stale_temps` clears those when a run or model folder is written again.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


#: The names :func:`atomic_path` gives its temp files: ``.<target name>.<12 hex digits>.tmp``.
TEMP_PATTERN = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temp files killed writes left in ``folder``; return what was removed.

    Call it only where no other write into ``folder`` is under way (a run or model folder
    about to be written): a temp file in use would be taken from its writer.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet, or unreadable: nothing to clean
        return removed
    for entry in entries:
        if TEMP_PATTERN.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                continue
    return removed


def _create_temp(folder: Path, name: str) -> Path:
    """Create a new empty file beside ``name``; mode 0666 minus the umask, as open() would give."""
    while True:
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:  # a 48-bit collision: draw again
            continue


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
    tmp = _create_temp(target.parent, target.name)
    try:
        yield tmp
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
