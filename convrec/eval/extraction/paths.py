"""Where the extraction benchmark's inputs are: the datasets folder convrec itself uses
(--source / CONVREC_DATA_DIR / ../shared/data / the download cache, never downloading
here) and the hand-made files under benchmarks/extract/."""

from __future__ import annotations

from pathlib import Path

from convrec.catalog.ensure import find_or_download_sources
from convrec.catalog.sources import COMPRESSION_SUFFIXES, locate_files
from convrec.config import get_settings
from convrec.errors import DataSourceError

BENCH_DIR = Path("benchmarks/extract")
JUDGED = BENCH_DIR / "redial_judged.jsonl"
SUITE = BENCH_DIR / "paraphrase_suite.jsonl"
INSPIRED_SPLITS = ("dev", "test")


def data_root() -> Path:
    """The datasets folder, found the way the catalog builder finds it."""
    return find_or_download_sources(get_settings(), allow_download=False)


def _variant(root: Path, rel: str) -> Path | None:
    for suffix in COMPRESSION_SUFFIXES:
        if (root / (rel + suffix)).is_file():
            return root / (rel + suffix)
    return None


def inspired_file(split: str, root: Path | None = None) -> Path:
    """INSPIRED's dialog_data/{dev,test}.tsv."""
    if split not in INSPIRED_SPLITS:
        raise DataSourceError(f"INSPIRED has no split {split!r}: choose dev or test")
    root = root or data_root()
    path = _variant(root, f"inspired/dialog_data/{split}.tsv")
    if path is None:
        raise DataSourceError(f"missing inspired/dialog_data/{split}.tsv under {root}")
    return path


def redial_files(split: str, root: Path | None = None) -> list[Path]:
    """ReDial dialogue files of a split: test = test_data.jsonl; dev = every training-split
    file present (train_data or train_partial, and train_more): what tuning may look at."""
    root = root or data_root()
    files = locate_files(root)
    if split == "test":
        return [files.require("redial_test")]
    if split != "dev":
        raise DataSourceError(f"ReDial mentions have no split {split!r}: choose dev or test")
    found = sorted(files.redial_train)  # train_more included (catalog.sources lists it)
    if not found:
        raise DataSourceError(f"no ReDial training dialogues under {root}")
    return found
