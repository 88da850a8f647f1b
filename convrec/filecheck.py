"""Cheap structural checks of the files convrec reads: is it there, whole, and of its kind?

A missing, truncated or foreign file (another format, or another build's file of another
shape) otherwise surfaces as whatever the reader raises deep inside numpy, zipfile, SQLite
or LightGBM. `file_problem` reads only headers and sizes (a few bytes per file, no full read),
so the loaders can check before they load; `DAMAGE` is what those readers raise on a damaged
file, for the one place that turns it into a one-line error naming the rebuild command
(`convrec.tools.indexes.loading`, `convrec.catalog.db`).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import zipfile
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK"

# What numpy, zipfile, sqlite3, json and pickle raise on a damaged or foreign file.
DAMAGE: tuple[type[BaseException], ...] = (
    OSError, ValueError, EOFError, KeyError, IndexError, zipfile.BadZipFile,
    sqlite3.DatabaseError, pickle.UnpicklingError,
)


def file_problem(path: Path, kind: str | None = None) -> str | None:
    """Why the file at `path` cannot be what its suffix (or `kind`) says (None: it looks
    whole).

    .npy: the header parses, no Python objects, and the size is what the header declares;
    .npz: a zip archive whose members are such arrays; .sqlite: the SQLite header, and not
    shorter than its page count says; .json: parses; kind "lightgbm": a LightGBM text model
    with all its trees. Other files: present and not empty.
    """
    path = Path(path)
    kind = kind or path.suffix
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size == 0:
        return "empty"
    try:
        if kind == ".npy":
            with path.open("rb") as fh:
                return _npy_problem(fh, size)
        if kind == ".npz":
            return _npz_problem(path)
        if kind == ".sqlite":
            return _sqlite_problem(path, size)
        if kind == "lightgbm":  # LightGBM aborts the process on a cut model file
            return _lightgbm_problem(path)
        if kind == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    except DAMAGE as exc:
        return f"not in the expected format ({_first_line(exc)})"
    return None


def _npy_problem(fh: object, size: int) -> str | None:
    import numpy as np  # deferred: the catalog imports this module, and needs no numpy
    from numpy.lib import format as npformat  # deferred: as numpy above

    version = npformat.read_magic(fh)  # type: ignore[arg-type]
    read_header = (npformat.read_array_header_1_0 if version == (1, 0)
                   else npformat.read_array_header_2_0)
    shape, _fortran, dtype = read_header(fh)  # type: ignore[arg-type]
    if dtype.hasobject:
        return "not in the expected format (an array of Python objects)"
    want = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    have = size - fh.tell()  # type: ignore[attr-defined]
    if have < want:
        return f"truncated ({have:,} of {want:,} data bytes)"
    return None


def _npz_problem(path: Path) -> str | None:
    with path.open("rb") as fh:
        if fh.read(2) != ZIP_MAGIC:
            return "not in the expected format (not an .npz archive)"
    with zipfile.ZipFile(path) as archive:  # reads the central directory, at the end
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                return f"not in the expected format (member {info.filename})"
            with archive.open(info) as member:
                problem = _npy_problem(member, info.file_size)
            if problem:
                return f"{problem} in {info.filename}"
    return None


def _sqlite_problem(path: Path, size: int) -> str | None:
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "not in the expected format (not an SQLite database)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]  # the page count is current (SQLite >= 3.7)
    if valid and pages and size < pages * page_size:
        return f"truncated ({size:,} of {pages * page_size:,} bytes)"
    return None


def _lightgbm_problem(path: Path) -> str | None:
    data = path.read_bytes()
    if not data.startswith(b"tree\n"):
        return "not in the expected format (not a LightGBM model)"
    if b"\nend of trees" not in data:
        return "truncated (no end of trees)"
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]
