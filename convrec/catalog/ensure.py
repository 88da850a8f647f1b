"""Make sure a current catalog exists: find the datasets (or download them), then build."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from convrec.catalog.builder import BuildReport, build_catalog
from convrec.catalog.sources import resolve_source_dir
from convrec.config import Settings
from convrec.errors import DataSourceError
from convrec.progress import Progress

log = logging.getLogger(__name__)


def find_or_download_sources(
    settings: Settings,
    source: Path | None = None,
    *,
    allow_download: bool = True,
    download: Callable[[Path], object] | None = None,
) -> Path:
    """The dataset folder: --source, CONVREC_DATA_DIR, ../shared/data, or a fresh download."""
    found, looked = resolve_source_dir(source, settings.data_dir, settings.cache)
    if found is not None:
        return found
    if not allow_download:
        raise DataSourceError(
            f"no datasets found (looked in {', '.join(looked)}); pass --source DIR, "
            "set CONVREC_DATA_DIR, or run `convrec data download`"
        )
    dest = settings.cache / "data"
    log.info("no local datasets (looked in %s); downloading into %s", ", ".join(looked), dest)
    if download is None:
        # deferred: convrec.catalog.download pulls in pooch, tqdm, xxhash
        from convrec.catalog.download import download_datasets

        download_datasets(dest)
    else:
        download(dest)
    return dest


def ensure_catalog(
    settings: Settings,
    source: Path | None = None,
    *,
    force: bool = False,
    allow_download: bool = True,
    progress: Progress | None = None,
) -> BuildReport:
    source_dir = find_or_download_sources(settings, source, allow_download=allow_download)
    return build_catalog(source_dir, settings.catalog, force=force, progress=progress)
