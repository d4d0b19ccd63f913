"""Run directories: the folder one training or application run writes its files into.

A run folder holds the model (``config.json`` + ``model.safetensors``), the training
checkpoint, ``history.csv``, ``metrics.json``, figures and ``report.html``. Every file is
written atomically (temp file beside it, then a rename), so a run killed at any moment
leaves each file either old or new, never half-written.

One process at a time writes into a run folder: :func:`run_lock` holds ``.aekit.lock``
in it (an advisory ``flock``, which the system releases when the process ends, however it
ends), so a second ``aekit train --resume`` into the same folder is refused naming the
first one's process id instead of silently replacing its files.
"""

from __future__ import annotations

import io
import json
import math
import os
import socket
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aekit.data.files import atomic_path, atomic_write_bytes, remove_stale_temps
from aekit.errors import InputError

#: Files a run writes and ``create_run_dir(..., overwrite=True)`` removes. Nothing else in
#: the folder is ever deleted.
RUN_FILES: tuple[str, ...] = (
    "config.json", "model.safetensors", "checkpoint.safetensors", "history.csv", "metrics.json",
    "run.json", "loss_curves.png", "reconstructions.png", "report.html",
)
#: The lock file :func:`run_lock` holds in a run folder while a process writes into it.
LOCK_NAME = ".aekit.lock"
#: Array file types :func:`write_array` writes, for messages.
ARRAY_SUFFIXES: tuple[str, ...] = (".npy", ".csv")


def check_run_dir(path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False) -> Path:
    """Refuse a run folder that would be clobbered; create nothing.

    Parameters
    ----------
    path : str or path-like
        The run folder.
    overwrite : bool, default=False
        Allow replacing the run already in a non-empty folder.
    resume : bool, default=False
        Allow continuing the run already in a non-empty folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    aekit.errors.InputError
        ``path`` is a file, is a non-empty folder and neither flag is set, or both flags
        are set.
    """
    folder = Path(path)
    if overwrite and resume:
        raise InputError(f"overwrite and resume both set for {folder}: resume (--resume) continues the run in "
                         "it, overwrite (--overwrite) replaces it; choose one.")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, but a run needs a folder there. Choose another output folder (--out).")
    if folder.is_dir() and not (overwrite or resume):
        existing = sorted(p.name for p in folder.iterdir() if p.name != LOCK_NAME)  # a lock alone is no run
        if existing:
            shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
            raise InputError(f"the run folder {folder} already exists and is not empty ({shown}). Pass --resume "
                             "(resume=True) to continue that run, --overwrite (overwrite=True) to replace it, "
                             "or choose another folder with --out.")
    return folder


def create_run_dir(path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False) -> Path:
    """Create (or reuse) a run folder without clobbering an earlier run by accident.

    Parameters
    ----------
    path : str or path-like
        The run folder; parents are created.
    overwrite : bool, default=False
        Replace the run already there: the files in :data:`RUN_FILES` are removed,
        anything else in the folder is left alone.
    resume : bool, default=False
        Keep the run already there (its checkpoint is what a resumed fit continues).

    Returns
    -------
    pathlib.Path
        The folder, which exists on return.

    Raises
    ------
    aekit.errors.InputError
        As :func:`check_run_dir`.

    Examples
    --------
    >>> run = create_run_dir(tmp / "runs" / "mnist-dense-32")   # doctest: +SKIP
    >>> create_run_dir(run)                                      # doctest: +SKIP
    Traceback (most recent call last):
    InputError: the run folder ... already exists and is not empty (config.json, ...). Pass --resume ...
    """
    folder = check_run_dir(path, overwrite=overwrite, resume=resume)
    if overwrite and folder.is_dir():
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(folder)  # left by a killed earlier run: nothing else writes here now
    return folder


#: The locks this process holds: resolved folder -> (file descriptor, nesting depth).
_HELD: dict[Path, tuple[int, int]] = {}


def _holder_text(raw: bytes) -> tuple[str, dict[str, Any]]:
    """The holder a lock file names, as words for a message, and its fields."""
    try:
        info = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        info = None
    if not isinstance(info, dict):
        return "an unknown process", {}
    since = f", since {info['since']}" if info.get("since") else ""
    host = f" on {info['host']}" if info.get("host") and info.get("host") != socket.gethostname() else ""
    command = f" ({info['command']})" if info.get("command") else ""
    return f"process {info.get('pid')}{host}{command}{since}", info


def _acquire(folder: Path) -> int:
    import fcntl

    path = folder / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder, _ = _holder_text(os.pread(fd, 4096, 0))
            os.close(fd)
            raise InputError(
                f"the run folder {folder} is in use by {holder}: two writers would replace each other's files. "
                "Wait for that run to finish (or stop it), or write to another folder (--out).") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:  # not a file its last holder removed while this process waited to open it
            break
        os.close(fd)
    previous = os.pread(fd, 4096, 0)
    if previous.strip():
        holder, _ = _holder_text(previous)
        warnings.warn(f"took over the lock of {folder}: {holder} held it and is gone (killed or crashed). Its "
                      "files there are each whole (atomic writes); --resume continues from its last checkpoint.",
                      UserWarning, stacklevel=4)
    mine = {"pid": os.getpid(), "host": socket.gethostname(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:3]]),
            "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(mine) + "\n").encode(), 0)
    return fd


@contextmanager
def run_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the lock of run folder ``path`` (created if missing) for the duration of the block.

    Re-entrant within one process; a second process is refused at once. The lock is
    released, and ``.aekit.lock`` removed, when the block ends; a process killed while
    holding it leaves the file, and the next writer takes the lock over with a warning.
    Where the system has no ``fcntl`` (Windows), no lock is taken.

    Yields
    ------
    pathlib.Path
        The folder.

    Raises
    ------
    aekit.errors.InputError
        Another live process holds the lock; the message names its process id.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    if key in _HELD:
        fd, depth = _HELD[key]
        _HELD[key] = (fd, depth + 1)
    elif sys.platform == "win32":
        yield folder
        return
    else:
        _HELD[key] = (_acquire(folder), 1)
    try:
        yield folder
    finally:
        fd, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (fd, depth - 1)
        else:
            del _HELD[key]
            (folder / LOCK_NAME).unlink(missing_ok=True)  # still held: no one else can be using it
            os.close(fd)


@contextmanager
def locked_run_dir(path: str | os.PathLike[str], *, overwrite: bool = False,
                   resume: bool = False) -> Iterator[Path]:
    """:func:`create_run_dir` under :func:`run_lock`: the folder is checked, cleaned and written by this process alone.

    A folder this call created and the block left empty is removed again.

    Yields
    ------
    pathlib.Path
        The run folder.

    Raises
    ------
    aekit.errors.InputError
        As :func:`check_run_dir`, or the folder is in use by another process.
    """
    folder = check_run_dir(path, overwrite=overwrite, resume=resume)
    created = not folder.exists()
    try:
        with run_lock(folder):
            yield create_run_dir(folder, overwrite=overwrite, resume=resume)
    finally:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Path, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def _finite_or_none(value: Any) -> Any:
    """NaN and infinities become null: strict JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically.

    NumPy scalars and arrays, paths and sets are converted; NaN and infinite floats are
    written as ``null`` so that any JSON reader accepts the file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    text = json.dumps(_finite_or_none(json.loads(json.dumps(obj, default=_json_default))),
                      indent=2, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))
    return Path(path)


def write_history_csv(path: str | os.PathLike[str], history: Sequence[Mapping[str, Any]]) -> Path:
    """Write one row per epoch record, atomically.

    Columns are the union of the records' keys in order of first appearance (``epoch``
    first when present); a key missing from a record is left empty.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    columns: list[str] = []
    for record in history:
        columns += [str(k) for k in record if str(k) not in columns]
    if "epoch" in columns:
        columns.remove("epoch")
        columns.insert(0, "epoch")
    frame = pd.DataFrame([{str(k): v for k, v in r.items()} for r in history], columns=columns)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
    return Path(path)


def write_array(path: str | os.PathLike[str], array: Any, *, columns: Sequence[str] | None = None) -> Path:
    """Write an array as ``.npy`` (any shape) or ``.csv`` (one row per sample), atomically.

    Parameters
    ----------
    path : str or path-like
        Ending in ``.npy`` or ``.csv``.
    array : array-like of shape (n_samples, ...)
    columns : sequence of str, optional
        CSV header; default ``x0, x1, ...``. Samples of more than one axis are flattened
        to one row each.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    aekit.errors.InputError
        Another file type, or ``columns`` of the wrong length.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    arr = np.asarray(array)
    if suffix == ".npy":
        with atomic_path(target) as tmp, open(tmp, "wb") as f:
            np.save(f, arr, allow_pickle=False)  # a file handle: np.save would append .npy to a name
            f.flush()
            os.fsync(f.fileno())
        return target
    if suffix == ".csv":
        flat = arr.reshape(len(arr), -1) if arr.ndim != 1 else arr.reshape(-1, 1)
        names = list(columns) if columns is not None else [f"x{i}" for i in range(flat.shape[1])]
        if len(names) != flat.shape[1]:
            raise InputError(f"{len(names)} column names given for {flat.shape[1]} values per row in {target.name}.")
        buffer = io.StringIO()
        pd.DataFrame(flat, columns=names).to_csv(buffer, index=False)
        atomic_write_bytes(target, buffer.getvalue().encode("utf-8"))
        return target
    raise InputError(f"cannot write an array to {target.name!r}: use a name ending in "
                     f"{' or '.join(ARRAY_SUFFIXES)}.")


__all__ = ["ARRAY_SUFFIXES", "LOCK_NAME", "RUN_FILES", "check_run_dir", "create_run_dir", "locked_run_dir", "run_lock",
           "write_array", "write_history_csv", "write_json"]
