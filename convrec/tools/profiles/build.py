"""Building and opening the store beside the indexes, and whether the catalog knows a
user."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog
from convrec.progress import Progress
from convrec.tools.base import parse_user_ref
from convrec.tools.indexes import is_current, read_manifest, write_manifest
from convrec.tools.profiles.extract import extract_all
from convrec.tools.profiles.model import DB_NAME, FOLDER, PROFILES_VERSION
from convrec.tools.profiles.store import ProfileStore, _now

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- build


def profiles_path(index_dir: Path) -> Path:
    return Path(index_dir) / FOLDER / DB_NAME


def build_profiles(
    catalog: Catalog, index_dir: Path, *, force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Extract every profile into INDEX_DIR/profiles/profiles.sqlite (skipped when current).

    Returns a report: built (False when skipped), path, seconds and counts.
    """
    folder = Path(index_dir) / FOLDER
    path = folder / DB_NAME
    if not force and path.is_file() and is_current(folder, catalog, PROFILES_VERSION):
        manifest = read_manifest(folder) or {}
        return {"built": False, "path": str(path), **{
            k: v for k, v in manifest.items() if k not in {"catalog", "version"}}}
    started = time.perf_counter()
    if progress:
        progress("reading the catalog", 0, None)
    # Extract first, write after: edits made meanwhile wait for the short write, not the build.
    profiles = list(extract_all(catalog, progress=progress))
    if progress:
        progress("writing profiles", 0, None)
    store = ProfileStore(path)
    try:
        counts = store.replace_profiles(
            profiles, {"version": str(PROFILES_VERSION), "built_at": _now()})
    finally:
        store.close()
    seconds = time.perf_counter() - started
    counts["bytes"] = path.stat().st_size
    write_manifest(folder, catalog, PROFILES_VERSION, seconds, **counts)
    log.info("profiles: %s in %.1f s", counts, seconds)
    return {"built": True, "path": str(path), "seconds": round(seconds, 2), **counts}


def open_profiles(catalog: Catalog, index_dir: Path) -> ProfileStore:
    """The profile store, built first when it is missing or older than the catalog."""
    build_profiles(catalog, index_dir)
    return ProfileStore(profiles_path(index_dir))


def catalog_knows_user(catalog: Catalog, user_id: str) -> bool:
    """Whether the user has any history in the catalog (ratings, tags or reviews)."""
    kind, key = parse_user_ref(user_id)
    if kind == "ml":
        sql = ("SELECT 1 FROM ratings WHERE user_id = ? UNION ALL "
               "SELECT 1 FROM tags WHERE user_id = ? LIMIT 1")
        return bool(catalog.query(sql, [int(key), int(key)]))
    return bool(catalog.query("SELECT 1 FROM reviews WHERE critic = ? LIMIT 1", [key]))
