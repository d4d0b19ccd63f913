"""Atomic file writes: a temp file in the target's folder, then ``os.replace``.

A crash, a full disk or an exception half-way leaves either the old file or the new one,
never a half-written file. An exception also removes the temp file; only a killed process
can leave one behind (a hidden ``.<name>.<random>.tmp`` beside the target), and
:func:`remove_stale_temps` clears those when a run or model folder is written again.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from aekit.errors import DiskFullError

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


def file_kind(path: str | os.PathLike[str]) -> str:
    """What is at ``path``, in words: "a file", "a folder", "a named pipe (FIFO)", "a device", "a socket",
    "nothing" (symbolic links followed)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing, a dangling link, unreadable, a NUL in the name
        return "nothing"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


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
    A full disk (or quota) raises :class:`~aekit.errors.DiskFullError` naming the file;
    the file already at ``path``, if any, is left as it was.

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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _create_temp(target.parent, target.name)
    except OSError as exc:
        raise _disk_full(exc, target) or exc
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and (full := _disk_full(exc, target)) is not None:
            raise full from exc
        raise


#: The errors a write gets when the file system has no room left: no space, over quota.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def _disk_full(exc: OSError, target: Path) -> DiskFullError | None:
    """The one-line error for a write that ran out of space, or None for any other failure."""
    if isinstance(exc, DiskFullError) or exc.errno not in _FULL_ERRNOS:
        return None
    kept = f"the earlier {target.name} is kept" if target.exists() else f"no {target.name} was written"
    return DiskFullError(f"disk full while writing {target} ({os.strerror(exc.errno)}); {kept}. Free space on "
                         "that disk, or choose a folder on another disk (--out).")


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_files(files: Mapping[str | os.PathLike[str], bytes]) -> None:
    """Write several files that belong together (a model's weights and config), atomically each.

    Every temp file is written and synced before the first rename, so a full disk or a
    failed write leaves all the old files in place, never a new one beside an old one.

    Parameters
    ----------
    files : mapping of path to bytes
        Each file's complete new content; renamed in this order.
    """
    with ExitStack() as stack:  # leaving it renames the last-entered first: enter them in reverse
        for path, data in reversed(list(files.items())):
            _write_synced(stack.enter_context(atomic_path(path)), data)


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
        _write_synced(tmp, data)
