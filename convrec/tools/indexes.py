"""Bookkeeping shared by every index: a manifest beside the files, so builds are idempotent.

An index folder holds a `manifest.json` naming the catalog it was built from
(the catalog's source fingerprint and schema version) and the index's own
format version. `is_current` says whether a rebuild is needed; `write_manifest`
is called last, after the index files are complete, so an interrupted build is
never mistaken for a finished one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.filecheck import DAMAGE, file_problem

MANIFEST = "manifest.json"
T = TypeVar("T")


# The files each index's loader reads, checked before it loads (see `guarded`).
INDEX_FILES: dict[str, tuple[str, ...]] = {
    "bm25": ("item_ids.npy", "fields.npz"),
    "dense": ("item_ids.npy", "vectors.npy"),
    "cf": ("model.npz", "popularity.npz"),
    "profiles": ("profiles.sqlite",),
    "ranker": ("model.txt", "signals.npz", "contexts.npz", "card.json"),
}

FILE_KINDS = {("ranker", "model.txt"): "lightgbm"}  # files whose suffix does not say it


class IndexFileError(ConvrecError):
    """An index file is missing, truncated or not of its kind (one line, with the fix)."""


def rebuild_hint(name: str) -> str:
    return f"rebuild it with `convrec index build --only {name} --force`"


def check_files(name: str, folder: Path, files: Iterable[str]) -> None:
    """Refuse a damaged index before loading it: each file must be there, whole and of its
    kind (`convrec.filecheck.file_problem`: headers and sizes only)."""
    for file in files:
        problem = file_problem(Path(folder) / file, FILE_KINDS.get((name, file)))
        if problem is not None:
            raise IndexFileError(f"the {name} index file {Path(folder) / file} is {problem}; "
                                 f"{rebuild_hint(name)}")


@contextmanager
def loading(name: str, folder: Path) -> Iterator[None]:
    """What a damaged file makes a reader raise while the `name` index loads becomes one
    IndexFileError line naming the rebuild command (the loaders' one shared guard)."""
    try:
        yield
    except ConvrecError:
        raise
    except DAMAGE as exc:
        lines = str(exc).strip().splitlines()
        reason = (lines[0] if lines else type(exc).__name__)[:200]
        raise IndexFileError(f"the {name} index at {folder} cannot be read ({reason}); "
                             f"{rebuild_hint(name)}") from None


def catalog_fingerprint(catalog: Catalog) -> str:
    meta = catalog.meta()
    return f"{meta.get('schema_version')}:{meta.get('source_fingerprint')}"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def is_current(folder: Path, catalog: Catalog, version: int) -> bool:
    manifest = read_manifest(folder)
    return (
        manifest is not None
        and manifest.get("catalog") == catalog_fingerprint(catalog)
        and manifest.get("version") == version
    )


def write_manifest(
    folder: Path, catalog: Catalog, version: int, seconds: float, **extra: Any
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "catalog": catalog_fingerprint(catalog),
        "version": version,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 2),
        **extra,
    }
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(folder / MANIFEST)


def guarded(resource: str, index_dir: Path, catalog: Catalog, loader: Callable[[], T]) -> T:
    """Run the loader of a process-wide resource; for an index's (`INDEX_FILES`: "bm25",
    "profiles.store", ...) whose manifest says it is current, check its files first and turn
    what a damaged file raises while loading into one IndexFileError line. A missing or
    stale manifest is left to the loader, which says so (or builds, for the profiles)."""
    name = resource.split(".")[0]
    if name not in INDEX_FILES:
        return loader()
    folder = Path(index_dir) / name
    if read_manifest(folder) is not None and _is_current_any(folder, catalog):
        check_files(name, folder, INDEX_FILES[name])
    with loading(name, folder):
        return loader()


def refuse_stale(folder: Path, catalog: Catalog, version: int, what: str, origin: str,
                 fix: str) -> None:
    """Refuse, in one line, an index whose manifest is of another catalog or format: "the
    {what} at {folder} was {origin} another catalog or format; {fix}". (Without a manifest
    the index's own loader says what is missing.)"""
    if read_manifest(folder) is not None and not is_current(folder, catalog, version):
        raise ConvrecError(f"the {what} at {folder} was {origin} another catalog or format; "
                           f"{fix}")


def _is_current_any(folder: Path, catalog: Catalog) -> bool:
    manifest = read_manifest(folder)
    return manifest is not None and manifest.get("catalog") == catalog_fingerprint(catalog)


# Index folders whose files the loaders read as they are: each is taken only with the
# manifest its build writes last (name as loaded by Resources -> the command that builds it)
BUILT_FOLDERS = {"bm25": "convrec index build", "dense": "convrec index build",
                 "cf": "convrec cf train"}


def check_finished(folder: Path, name: str, fix: str) -> None:
    """Refuse an index folder without its manifest: a build that did not finish (its files
    may be half-written). One-line error naming `fix`, the command that builds it. (A missing
    folder is left to the index's own loader, which says so.)"""
    if folder.is_dir() and read_manifest(folder) is None:
        raise ConvrecError(f"the {name} index at {folder} is incomplete (a build did not "
                           f"finish); build it with `{fix}`")
