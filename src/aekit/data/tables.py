"""Arrays and tables: ``.npy``/``.npz``, CSV/TSV and Parquet.

Shape:
    - tables: X (N, n_features) float32, y (N,) int64 when a label column is named
    - arrays: X as stored ((N, ...) samples first); (N, H, W) is read as grayscale images
      (N, 1, H, W); a large ``.npy`` comes back memory-mapped, unconverted
"""

from __future__ import annotations

import lzma
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aekit.data.checks import check_finite, check_float32_range, check_int
from aekit.data.dataset import Dataset
from aekit.data.files import file_kind
from aekit.data.limits import check_npy_header
from aekit.errors import DataFileError, InputError

if TYPE_CHECKING:
    import pandas as pd

#: ``.npy`` files larger than this are memory-mapped rather than read into memory.
MMAP_THRESHOLD_BYTES = 256 * 2**20
X_KEYS: tuple[str, ...] = ("X", "x", "data")
Y_KEYS: tuple[str, ...] = ("y", "labels")
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".parquet", ".pq")


def read_array(path: str | os.PathLike[str], *, mmap: bool | None = None) -> Dataset:
    """Read samples (and labels) from a ``.npy`` or ``.npz`` file, never unpickling.

    Parameters
    ----------
    path : str or path-like
        ``.npy``: one array, samples along axis 0. ``.npz``: samples under key ``"X"``,
        ``"x"`` or ``"data"`` (or the only non-label array), labels under ``"y"`` or
        ``"labels"`` if present.
    mmap : bool, optional
        Memory-map a ``.npy`` instead of reading it (the array streams from disk and is
        returned unconverted and unchecked). Default: only above
        :data:`MMAP_THRESHOLD_BYTES` (256 MB). Ignored for ``.npz``.

    Returns
    -------
    Dataset
        ``X`` float32 (or a read-only ``np.memmap``), ``y`` int64 or None. A 1-D array
        is read as N samples of one feature; ``(N, H, W)`` as grayscale images
        ``(N, 1, H, W)`` and ``(N, C, H, W)`` as images, with ``image_shape`` set.

    Raises
    ------
    DataFileError
        Missing or corrupt file, an object (pickled) array, or ``.npz`` keys that do not
        say which array holds the samples.

    Examples
    --------
    >>> np.savez(tmp / "set.npz", X=np.zeros((4, 3)), y=np.arange(4))   # doctest: +SKIP
    >>> read_array(tmp / "set.npz").X.shape                            # doctest: +SKIP
    (4, 3)
    """
    path = _existing_file(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        use_mmap = path.stat().st_size > MMAP_THRESHOLD_BYTES if mmap is None else bool(mmap)
        X = _load_npy(path, mmap_mode="r" if use_mmap else None)
        y = None
    elif suffix == ".npz":
        X, y = _load_npz(path)
        use_mmap = False
    else:
        raise InputError(f"read_array reads .npy and .npz files; got {path.name!r}. "
                         "Use read_table for CSV/Parquet, or aekit.data.load_dataset for any source.")
    if X.dtype.kind not in "fiub":
        raise DataFileError(f"{path.name} holds an array of dtype {X.dtype}; aekit needs numbers. "
                            "Save a numeric array, e.g. np.save(path, X.astype(np.float32)).")
    if X.ndim == 0:
        raise DataFileError(f"{path.name} holds a single value (shape ()); save samples along axis 0.")
    if len(X) == 0:
        raise InputError(f"{path.name} holds no samples (shape {X.shape}).")
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    elif X.ndim == 3:
        X = X.reshape(X.shape[0], 1, *X.shape[1:])  # (N, H, W) -> (N, 1, H, W)
    if not use_mmap:
        with np.errstate(over="ignore"):
            X32 = np.ascontiguousarray(X, dtype=np.float32)
        check_float32_range(X32, X, what=path.name)
        X = X32
        check_finite(X, what=path.name)
    if y is not None:
        y = _labels(y, n=len(X), what=f"labels in {path.name}")
    image_shape = tuple(int(s) for s in X.shape[1:]) if X.ndim == 4 else None
    return Dataset(X=X, y=y, name=path.name, image_shape=image_shape)  # type: ignore[arg-type]


def read_table(path: str | os.PathLike[str], *, label_column: str | None = None,
               time_column: str | None = None) -> Dataset:
    """Read a CSV, TSV or Parquet table of numeric features (and optional label and time columns).

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (also ``.csv.gz`` and the like), ``.tsv`` or ``.parquet``/``.pq``, with a
        header row naming the columns. A CSV's separator (``,``, ``;``, tab or ``|``) and
        decimal mark (``1,5`` beside ``;``) are read from its first lines; a CSV whose
        first row holds only numbers has no header: its columns are named "0", "1", ...
    label_column : str, optional
        A column holding labels: removed from ``X`` and returned as ``y`` (strings are
        numbered in sorted order).
    time_column : str, optional
        A column holding the time of each row (NAB's ``timestamp``): removed from ``X`` and
        returned as ``time_index``. Default: the one non-numeric column whose every value
        parses as a date-time, if there is one (a numeric column, e.g. Unix seconds, is
        only taken when named). Time zones are converted to UTC. The rows must be in strictly
        increasing time order: unsorted or repeated time stamps are refused.

    Returns
    -------
    Dataset
        ``X`` float32 ``(N, n_features)``, ``y`` int64 or None, ``columns`` the feature names,
        ``time_index`` (``datetime64[ns]``, or the numbers of a numeric time column) or None.

    Raises
    ------
    InputError
        Non-numeric feature columns (all named), missing values (count, first row and
        column), an unknown ``label_column`` or ``time_column``, time stamps that are
        missing, unparsable, out of order or repeated (the first such row named), or no rows.
    DataFileError
        Missing, unreadable or corrupt file.

    Examples
    --------
    >>> ds = read_table("patients.csv", label_column="outcome")   # doctest: +SKIP
    >>> ds.columns                                               # doctest: +SKIP
    ('age', 'weight', 'pressure')
    >>> read_table("nyc_taxi.csv").time_index[:1]                 # doctest: +SKIP
    array(['2014-07-01T00:00:00.000000000'], dtype='datetime64[ns]')
    """
    path = _existing_file(path)
    frame = _read_frame(path)
    if len(frame) == 0:
        raise InputError(f"{path.name} has a header but no rows; a table needs at least one sample.")
    frame, time_index = take_time_column(frame, path.name, time_column, label_column=label_column)
    X, y, columns = _split_frame(frame, path.name, label_column)
    check_finite(X, what=path.name, columns=columns)
    return Dataset(X=X, y=y, name=path.name, columns=tuple(columns), time_index=time_index)


def take_time_column(frame: "pd.DataFrame", name: str, time_column: str | None = None, *,
                     label_column: str | None = None,
                     check_order: bool = True) -> tuple["pd.DataFrame", np.ndarray | None]:
    """Split a table's time column off: the other columns, and the time stamps (or None).

    Parameters
    ----------
    frame : pandas.DataFrame
    name : str
        The table's name, for messages.
    time_column : str, optional
        The column to take. None: the one non-numeric column whose values all parse as
        date-times (none found: nothing is taken; several: refused, name one).
    label_column : str, optional
        Never taken as the time column.
    check_order : bool, default=True
        Refuse time stamps that are not strictly increasing.

    Returns
    -------
    frame : pandas.DataFrame
        Without the time column.
    time_index : ndarray or None
        ``datetime64[ns]`` (UTC when the stamps carried a zone), or the numbers of a
        numeric time column.
    """
    import pandas as pd

    if time_column is not None:
        if time_column not in frame.columns:
            cols = ", ".join(repr(str(c)) for c in frame.columns)
            raise InputError(f"time_column {time_column!r} is not a column of {name}; its columns are {cols}.")
        if time_column == label_column:
            raise InputError(f"{time_column!r} is named both as the label column and as the time column of {name}; "
                             "a column can be only one of them.")
        column = str(time_column)
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            stamps = values.to_numpy(dtype=np.float64, na_value=np.nan)
            _check_stamps(stamps, ~np.isfinite(stamps), values, name, column, check_order)
            if np.all(stamps == np.round(stamps)):
                stamps = stamps.astype(np.int64)
            return frame.drop(columns=[column]), stamps
        parsed = _parse_datetimes(values)
    else:
        found = [(str(c), p) for c in frame.columns if str(c) != label_column
                 and (p := _datetime_or_none(frame[c])) is not None]
        if not found:
            return frame, None
        if len(found) > 1:
            listed = ", ".join(repr(c) for c, _ in found)
            raise InputError(f"{name} has {len(found)} columns of date-times ({listed}); aekit cannot tell which one "
                             f"is the time of each row. Name it (time_column=... / --time-column {found[0][0]}) and "
                             "drop or encode the others.")
        column, parsed = found[0]
        values = frame[column]
    stamps = parsed.to_numpy(dtype="datetime64[ns]")
    _check_stamps(stamps, np.isnat(stamps), values, name, column, check_order)
    return frame.drop(columns=[column]), stamps


def _parse_datetimes(values: "pd.Series") -> "pd.Series":
    """Date-times of a column (NaT where a value does not parse), zones converted to UTC and dropped."""
    import warnings

    import pandas as pd

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": the values are then parsed one by one
        try:
            parsed = pd.to_datetime(values.astype("string"), errors="coerce", utc=True)
            if parsed.isna().sum() > values.isna().sum():
                parsed = pd.to_datetime(values.astype("string"), errors="coerce", utc=True, format="mixed")
        except (ValueError, TypeError, OverflowError):
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _datetime_or_none(values: "pd.Series") -> "pd.Series | None":
    """The parsed column if it holds date-times (a datetime dtype, or text that all parses as dates), else None."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values) or isinstance(values.dtype, pd.DatetimeTZDtype):
        return _parse_datetimes(values)
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    present = values.dropna()
    if len(present) == 0:
        return None
    text = present.astype(str)
    # Dates have digits and a separator; this keeps words ("red") and bare numbers ("12") out cheaply.
    if not text.head(20).str.contains(r"\d").all() or not text.head(20).str.contains(r"[-/:T ]").all():
        return None
    if _parse_datetimes(present.head(20)).isna().any():
        return None
    parsed = _parse_datetimes(values)
    return parsed if not parsed[values.notna()].isna().any() else None


def _check_stamps(stamps: np.ndarray, missing: np.ndarray, values: "pd.Series", name: str, column: str,
                  check_order: bool) -> None:
    """Refuse missing, unparsable, out-of-order or repeated time stamps, naming the first."""
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(f"the time column {column!r} of {name} has {int(missing.sum())} missing or unparsable "
                         f"time stamps (first at row {row}: {values.iloc[row]!r}). Every row needs its time: fix or "
                         "drop those rows.")
    if not check_order or len(stamps) < 2:
        return
    step = np.diff(stamps)
    zero = step == step.dtype.type(0)
    back = step < step.dtype.type(0)
    if back.any():
        row = int(np.flatnonzero(back)[0]) + 1
        raise InputError(f"the time column {column!r} of {name} is not in time order: row {row} "
                         f"({values.iloc[row]}) comes after row {row - 1} ({values.iloc[row - 1]}) "
                         f"({int(back.sum())} step{'s' if back.sum() > 1 else ''} back in all). Sort the rows by time (e.g. "
                         f"df.sort_values({column!r})) and save the table again.")
    if zero.any():
        row = int(np.flatnonzero(zero)[0]) + 1
        raise InputError(f"the time column {column!r} of {name} repeats time stamps: {values.iloc[row]} is on rows "
                         f"{row - 1} and {row} ({int(zero.sum())} repeat{'s' if zero.sum() > 1 else ''} in all). One row is one time step: combine "
                         f"the repeats (e.g. df.groupby({column!r}).mean()) or drop them.")


def iter_table_chunks(path: str | os.PathLike[str], chunksize: int = 65536, *,
                      label_column: str | None = None) -> Iterator[np.ndarray]:
    """Stream a CSV/TSV or Parquet table as float32 blocks of at most ``chunksize`` rows.

    Parameters
    ----------
    path : str or path-like
        As for :func:`read_table`.
    chunksize : int, default=65536
        Rows per block.
    label_column : str, optional
        A column to leave out of the blocks (as :func:`read_table` leaves it out of X).

    Yields
    ------
    np.ndarray
        float32 ``(rows, n_features)`` blocks, in file order.

    Raises
    ------
    InputError
        As :func:`read_table`, when the offending block is reached; missing values are
        reported with their row number in the whole file.

    Examples
    --------
    >>> total = sum(len(block) for block in iter_table_chunks("big.parquet", 10_000))  # doctest: +SKIP
    """
    check_int("chunksize", chunksize, minimum=1)
    return _chunks(_existing_file(path), chunksize, label_column)  # checked now, read lazily


def _chunks(path: Path, chunksize: int, label_column: str | None) -> Iterator[np.ndarray]:
    start = 0
    for frame in _iter_frames(path, chunksize):
        frame, _ = take_time_column(frame, path.name, None, label_column=label_column, check_order=False)
        X, _, columns = _split_frame(frame, path.name, label_column)
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise InputError(
                f"{path.name} has {int(bad.sum())} missing or infinite values in rows {start}-"
                f"{start + len(X) - 1} (first at row {start + row}, column {columns[col]!r}). Fill them "
                "in (for example with sklearn.impute.SimpleImputer) or drop those rows."
            )
        start += len(X)
        yield X


def _existing_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataFileError(f"{str(p)!r} does not exist. Check the path.")
    kind = file_kind(p)
    if kind == "a folder":
        raise DataFileError(f"{str(p)!r} is a folder, not a file. Pass a file, or use "
                            "read_image_folder / load_dataset for folders.")
    if kind != "a file":  # /dev/zero or a FIFO would be read forever
        raise DataFileError(f"{str(p)!r} is {kind}, not a regular file; aekit reads data only from regular files, "
                            "which have an end. Save the data to a file and pass that.")
    return p


def _check_magic(path: Path, magic: bytes, kind: str, writer: str) -> None:
    with open(path, "rb") as f:
        head = f.read(len(magic))
    if head != magic:
        raise DataFileError(f"{path.name} is not a {kind} file (it does not start with {magic!r}); "
                            f"check the file type, or re-create it with {writer}.")


def _load_npy(path: Path, *, mmap_mode: Any) -> np.ndarray:
    _check_magic(path, b"\x93NUMPY", ".npy", "np.save")
    with open(path, "rb") as f:  # a header may declare terabytes: checked before np.load allocates them
        check_npy_header(f, what=path.name, available=os.fstat(f.fileno()).st_size)
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickle" in str(exc).lower():
            raise DataFileError(_pickled(path.name)) from exc
        raise DataFileError(f"{path.name} is not a valid .npy file ({exc}). Re-create it with np.save.") from exc
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{path.name} could not be read as .npy ({exc}); it is corrupt or "
                            "truncated. Re-create it with np.save.") from exc


def _pickled(name: str) -> str:
    return (f"{name} holds Python objects (dtype object), which aekit never unpickles: loading a "
            "pickle can run arbitrary code. Save a numeric array instead, e.g. "
            "np.save(path, X.astype(np.float32)).")


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    _check_magic(path, b"PK", ".npz (zip)", "np.savez")
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            x_key = next((k for k in X_KEYS if k in keys), None)
            y_key = next((k for k in Y_KEYS if k in keys), None)
            if x_key is None:
                rest = [k for k in keys if k != y_key]
                if len(rest) != 1:
                    listed = ", ".join(map(repr, keys)) or "none"
                    raise DataFileError(
                        f"{path.name} holds arrays {listed}; aekit cannot tell which holds the samples. "
                        f"Save them under one of {', '.join(map(repr, X_KEYS))} (labels under "
                        f"{' or '.join(map(repr, Y_KEYS))}), e.g. np.savez(path, X=X, y=y)."
                    )
                x_key = rest[0]
            for key in (x_key, y_key):  # a few kB of deflated zeros can declare gigabytes
                if key is not None and f"{key}.npy" in npz.zip.namelist():
                    with npz.zip.open(f"{key}.npy") as member:
                        check_npy_header(member, what=f"{path.name}, array {key!r}")
            X, y = npz[x_key], (npz[y_key] if y_key is not None else None)
            if not isinstance(X, np.ndarray) or (y is not None and not isinstance(y, np.ndarray)):
                raise DataFileError(f"{path.name} holds a member that is not a .npy array ({x_key!r} or {y_key!r}); "
                                    "re-create the file with np.savez.")
            return X, y
    except ValueError as exc:
        if isinstance(exc, DataFileError):
            raise
        if "pickle" in str(exc).lower():
            raise DataFileError(_pickled(path.name)) from exc
        raise DataFileError(f"{path.name} is not a valid .npz file ({exc}). Re-create it with np.savez.") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path.name} could not be read as .npz ({exc}); it is corrupt or "
                            "truncated. Re-create it with np.savez.") from exc


def _labels(values: Any, *, n: int, what: str) -> np.ndarray:
    """Turn labels into int64: integers as they are, anything else numbered in sorted order."""
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != n:
        raise InputError(f"{what} have shape {arr.shape}; expected one label per sample ({n},).")
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            row = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InputError(f"{what} have {int((~np.isfinite(arr)).sum())} missing values (first at "
                             f"row {row}). Every sample needs a label; drop unlabelled rows.")
        if np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
    _, codes = np.unique(arr.astype(str), return_inverse=True)
    return codes.astype(np.int64)


def _read_frame(path: Path) -> "pd.DataFrame":
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path, engine="pyarrow")
        _check_text(path)
        options = _csv_options(path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = _named(pd.read_csv(path, **options))
        if any(issubclass(w.category, pd.errors.ParserWarning) and "does not match" in str(w.message)
               for w in caught):
            # pandas would have made the first field of every row an index: a column lost without a word.
            raise InputError(f"the rows of {path.name} have more fields than its header row has names "
                             f"({frame.shape[1]}); a title or comment line above the header, or a missing header "
                             "name? Give every column a name in the first line (or remove that line).")
        _check_one_column(frame, path, options)
        return frame
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path.name} is empty: no header and no rows.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError, EOFError, zlib.error,
            lzma.LZMAError) as exc:
        if isinstance(exc, DataFileError):
            raise
        kind = "Parquet" if suffix in (".parquet", ".pq") else "CSV"
        raise DataFileError(f"{path.name} could not be read as a {kind} table ({exc}). Check the file "
                            "type and that it is not truncated.") from exc


def _separator(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    return "\t" if ".tsv" in suffixes or ".tab" in suffixes else ","


#: Bytes of a CSV looked at to tell its separator, decimal mark and header row.
SNIFF_BYTES = 64 * 1024
_OTHER_SEPARATORS = (";", "\t", "|")
_OPENERS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


def _check_text(path: Path) -> None:
    """Refuse a binary file given as a text table (an Excel workbook renamed .csv, say) by its first bytes."""
    if path.suffix.lower() in _OPENERS:
        return  # compressed: its text is checked by what pandas makes of it
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"PK\x03\x04"):
        raise DataFileError(f"{path.name} is a ZIP archive (an Excel .xlsx workbook, say), not a text table. Save "
                            "it as CSV (in Excel: File > Save As > CSV) or as Parquet, and pass that file.")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataFileError(f"{path.name} holds binary data (NUL bytes), not a text table. Pass a CSV, TSV or "
                            "Parquet file.")


def _sniff_lines(raw: list[str]) -> list[str]:
    """The non-blank lines of a table's head after its leading ``#`` comments (and blank lines
    among them, counted by :func:`_comment_lines` for ``read_csv``'s ``skiprows``), at most 50."""
    return [line for line in raw[_comment_lines(raw):] if line.strip()][:50]


def _comment_lines(raw: list[str]) -> int:
    """How many of the first lines ``raw`` are ``#`` comments or blank (0 without a comment)."""
    n = 0
    while n < len(raw) and (not raw[n].strip() or raw[n].lstrip().startswith("#")):
        n += 1
    return n if any(line.lstrip().startswith("#") for line in raw[:n]) else 0


def _raw_head(path: Path) -> list[str]:
    """The first complete lines of the file as they are; [] if unreadable."""
    import importlib

    module = _OPENERS.get(path.suffix.lower())
    if path.suffix.lower() in (".zip", ".zst", ".tar"):
        return []
    try:
        opener = importlib.import_module(module).open if module else open
        with opener(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except (OSError, EOFError, ValueError):
        return []  # pandas reports the problem with its own words
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    return lines


def _is_number(field: str, decimal: str) -> bool:
    field = field.strip().strip('"').strip()
    if decimal != ".":
        field = field.replace(decimal, ".")
    try:
        float(field)
    except ValueError:
        return False
    return True


def _csv_options(path: Path) -> dict[str, Any]:
    """``pd.read_csv`` options for a CSV/TSV: separator, decimal mark and header row, read from its first lines.

    The separator is the file type's (tab for .tsv, else comma) unless the first line has
    none of it but one of ``;``, tab or ``|``, as often as every other line does; with
    ``;``, a comma between digits is the decimal mark (``1,5`` = 1.5). A first row of
    numbers only is data, not names (unless it is 0, 1, ..., n-1, pandas' default
    names): the columns are then named "0", "1", ...
    """
    sep = _separator(path)
    raw = _raw_head(path)
    lines, skip = _sniff_lines(raw), _comment_lines(raw)
    if not lines:
        return {"sep": sep, "index_col": False, **({"skiprows": skip} if skip else {})}
    first = lines[0]
    if sep not in first:
        for other in _OTHER_SEPARATORS:
            count = first.count(other)
            if count and all(line.count(other) == count for line in lines[1:]):
                sep = other
                break
    elif sep == "," and _semicolons_with_decimal_commas(lines):
        sep = ";"
    decimal = "."
    if sep != "," and any(re.search(r"\d,\d", line) for line in lines[1:] or lines):
        decimal = ","
    fields = first.split(sep)
    numeric = all(_is_number(f, decimal) for f in fields)
    default_names = [f.strip().strip('"') for f in fields] == [str(i) for i in range(len(fields))]
    # index_col=False: pandas would otherwise turn the first field of rows longer than the
    # header into an index, silently (the ParserWarning it gives instead is refused above).
    options: dict[str, Any] = {"sep": sep, "decimal": decimal, "index_col": False}
    if skip:
        options["skiprows"] = skip
    if numeric and not default_names:
        options["header"] = None
    return options


def _semicolons_with_decimal_commas(lines: list[str]) -> bool:
    """True for ``1,5;2`` lines: as many ``;`` on every line, and every data field a number with a decimal comma."""
    count = lines[0].count(";")
    if not count or any(line.count(";") != count for line in lines):
        return False
    data = lines[1:] or lines
    return all(_is_number(field, ",") for line in data for field in line.split(";"))


def _named(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Columns of a header-less read named "0", "1", ... (strings, as a header row would give)."""
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _check_one_column(frame: "pd.DataFrame", path: Path, options: dict[str, Any]) -> None:
    """Refuse a one-column read of a file whose header looks like several columns glued together."""
    if frame.shape[1] != 1:
        return
    name = str(frame.columns[0])
    glued = [c for c in (",", *_OTHER_SEPARATORS) if c != options["sep"] and c in name]
    if glued:
        shown = "tab" if glued[0] == "\t" else repr(glued[0])
        raise DataFileError(
            f"{path.name} was read as one column named {name[:60]!r}, which looks like several columns "
            f"separated by {shown}; the separator could not be told from its first lines. Save it with "
            "one separator on every line (comma, or tab in a .tsv) and '.' as the decimal mark."
        )


def _iter_frames(path: Path, chunksize: int) -> Iterator["pd.DataFrame"]:
    import pandas as pd

    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            reader = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid (a ValueError) or OSError
            raise DataFileError(f"{path.name} could not be read as Parquet ({exc}).") from exc
        for batch in reader.iter_batches(batch_size=chunksize):
            yield batch.to_pandas()
        return
    options = _csv_options(path)
    try:
        chunks = pd.read_csv(path, chunksize=chunksize, **options)
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path.name} is empty: no header and no rows.") from exc
    with chunks:
        for frame in chunks:
            _check_one_column(frame, path, options)
            yield _named(frame)


def _split_frame(frame: "pd.DataFrame", name: str,
                 label_column: str | None) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Separate the label column, refuse non-numeric features, return float32 X."""
    import pandas as pd

    y = None
    if label_column is not None:
        if label_column not in frame.columns:
            cols = ", ".join(repr(str(c)) for c in frame.columns)
            raise InputError(f"label_column {label_column!r} is not a column of {name}; its columns are {cols}.")
        labels = frame[label_column]
        if labels.isna().any():
            row = int(np.flatnonzero(labels.isna().to_numpy())[0])
            raise InputError(f"label column {label_column!r} of {name} has {int(labels.isna().sum())} "
                             f"missing values (first at row {row}). Every sample needs a label; drop "
                             "unlabelled rows.")
        y = _labels(labels.to_numpy(), n=len(frame), what=f"label column {label_column!r} of {name}")
        frame = frame.drop(columns=[label_column])
    bad = [str(c) for c in frame.columns
           if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
    if bad:
        hint = "" if label_column is not None else (
            f", or, if {'it is' if len(bad) == 1 else 'one of them is'} the label, "
            f"pass label_column={bad[0]!r}")
        raise InputError(
            f"{name} has non-numeric column{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}. "
            "Autoencoders need numbers: drop those columns or encode them (for example one-hot with "
            f"sklearn.preprocessing.OneHotEncoder){hint}."
        )
    if frame.shape[1] == 0:
        raise InputError(f"{name} has no feature columns left after removing the label column.")
    columns = [str(c) for c in frame.columns]
    with np.errstate(over="ignore"):
        X = frame.to_numpy(dtype=np.float32, na_value=np.nan)
    check_float32_range(X, frame, what=name, columns=columns)  # 1e39 is not "infinite" in the file
    return X, y, columns
