"""Bookkeeping shared by every index: a manifest beside the files, so builds are idempotent.

An index folder holds a `manifest.json` naming the catalog it was built from
(the catalog's source fingerprint and schema version) and the index's own
format version. `is_current` says whether a rebuild is needed; `write_manifest`
is called last, after the index files are complete, so an interrupted build is
never mistaken for a finished one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog

MANIFEST = "manifest.json"


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


# Index folders whose files the loaders read as they are: each is taken only with the
# manifest its build writes last (name as loaded by Resources -> the command that builds it)
BUILT_FOLDERS = {"bm25": "convrec index build", "dense": "convrec index build",
                 "cf": "convrec cf train"}


def check_finished(folder: Path, name: str, fix: str) -> None:
    """Refuse an index folder without its manifest: a build that did not finish (its files
    may be half-written). One-line error naming `fix`, the command that builds it. (A missing
    folder is left to the index's own loader, which says so.)"""
    from convrec.errors import ConvrecError

    if folder.is_dir() and read_manifest(folder) is None:
        raise ConvrecError(f"the {name} index at {folder} is incomplete (a build did not "
                           f"finish); build it with `{fix}`")
