"""Read each raw dataset file into a DataFrame or records, with clear errors.

Every reader checks the columns it needs and turns parser failures (corrupt
archives, truncated files, wrong delimiters) into a one-line DataSourceError
naming the file. Recoverable damage inside a file (a malformed JSON cell, a
broken dialogue line, a review without text) is skipped and counted in
`Skips`, never fatal.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from convrec.errors import DataSourceError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Skips(Counter[str]):
    """Counts of rows or cells skipped while reading, by reason."""

    def add(self, reason: str, n: int = 1) -> None:
        self[reason] += n


def _guard(path: Path, read: Callable[[], T]) -> T:
    try:
        return read()
    except DataSourceError:
        raise
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        zipfile.BadZipFile,
        gzip.BadGzipFile,
        EOFError,
        OSError,
        ValueError,
    ) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataSourceError(f"cannot read {path}: {reason}") from None


def _require_columns(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataSourceError(
            f"{path} lacks column(s) {', '.join(missing)}; is it the right file?"
        )


def read_csv(path: Path, columns: list[str], **kwargs: Any) -> pd.DataFrame:
    """pandas.read_csv with compression inferred, required columns checked and errors made clear."""
    frame = _guard(path, lambda: pd.read_csv(path, **kwargs))
    _require_columns(path, frame, columns)
    return frame


def read_bytes(path: Path) -> bytes:
    """The file's content, decompressed (.gz, or a .zip with one member)."""

    def read() -> bytes:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise DataSourceError(f"{path} should hold one file, holds {len(members)}")
                return zf.read(members[0])
        return path.read_bytes()

    return _guard(path, read)


def decode_text(path: Path, data: bytes, fallback: str = "cp1252") -> tuple[str, str]:
    """Decode as UTF-8 when the bytes are valid UTF-8, else with `fallback`.

    The Rotten Tomatoes reviews are cp1252 upstream, but a re-saved copy may be
    UTF-8; valid UTF-8 with non-ASCII text is almost never valid-looking cp1252
    by accident, so trying UTF-8 first picks the right one for both.
    """
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(fallback), fallback
    except UnicodeDecodeError as exc:
        raise DataSourceError(
            f"cannot decode {path} as UTF-8 or {fallback} (byte {exc.start}); "
            "the file may be corrupt"
        ) from None


def read_tsv_text(path: Path, columns: list[str]) -> tuple[pd.DataFrame, str]:
    """A tab-separated file of any of our encodings, every column as text ('' for empty)."""
    text, encoding = decode_text(path, read_bytes(path))
    frame = _guard(
        path,
        lambda: pd.read_csv(
            io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=0
        ),
    )
    _require_columns(path, frame, columns)
    return frame, encoding


def parse_json_cell(raw: Any, skips: Skips, reason: str) -> list[dict[str, Any]]:
    """A JSON list cell of TMDB; malformed or non-list cells count as a skip and give []."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw == "":
        return []
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        skips.add(reason)
        return []
    if not isinstance(value, list):
        skips.add(reason)
        return []
    return [v for v in value if isinstance(v, dict)]


def iter_jsonl(path: Path, skips: Skips) -> Iterator[dict[str, Any]]:
    """Objects of a JSON-lines file; blank lines are ignored, broken lines skipped and counted."""
    text, _ = decode_text(path, read_bytes(path), fallback="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            log.warning("%s:%d: not valid JSON, dialogue skipped", path, lineno)
            skips.add("redial: malformed dialogue line")
            continue
        if not isinstance(obj, dict) or "conversationId" not in obj or "messages" not in obj:
            skips.add("redial: dialogue without conversationId or messages")
            continue
        yield obj
