"""Where the source datasets are, and which file holds what.

A source folder has the layout of shared/data (see its README). Each dataset
file may also be stored uncompressed or compressed differently (csv, csv.gz,
csv.zip), since users who download upstream archives end up with other forms.
Derived link files are optional: the builder recomputes them when absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from convrec.errors import DataSourceError

# logical name -> (path in the source folder without compression suffix, required)
DATASET_FILES: dict[str, tuple[str, bool]] = {
    "ml_movies": ("movielens/ml-latest-small/movies.csv", True),
    "ml_ratings": ("movielens/ml-latest-small/ratings.csv", True),
    "ml_tags": ("movielens/ml-latest-small/tags.csv", True),
    "ml_links": ("movielens/ml-latest-small/links.csv", True),
    "tmdb_movies": ("tmdb/tmdb_5000_movies.csv", True),
    "tmdb_credits": ("tmdb/tmdb_5000_credits.csv", True),
    "redial_movies": ("redial/movies_with_mentions.csv", True),
    "redial_test": ("redial/test_data.jsonl", True),
    "redial_links": ("redial/redial_movie_links.csv", False),
    "rt_reviews": ("reviews/rotten_tomatoes_flatiron/rt.reviews.tsv", True),
    "rt_movie_info": ("reviews/rotten_tomatoes_flatiron/rt.movie_info.tsv", True),
    "rt_links": ("reviews/rotten_tomatoes_flatiron/rt_movie_links.csv", False),
}

# ReDial training-split files, any of which may be present: the full upstream
# train_data (10,006 dialogues), the partial copies shipped in shared/data, and the
# dialogues gathered from other public copies (redial/train_more/README.md: complete
# dialogues, then dialogues known only up to a prefix). Read in this order: a
# conversationId already read (test split included) is skipped.
# train_more has no single upstream file to pin, so `convrec data download` does not
# fetch it; the builder reads it when present and goes without it otherwise.
REDIAL_TRAIN_FILES: dict[str, str] = {
    "redial/train_data.jsonl": "train",
    "redial/train_partial/kgsf_valid_data.jsonl": "train",
    "redial/train_partial/kepler_train_data_subset.jsonl": "train",
    "redial/train_more/train_more_full.jsonl": "train",
    "redial/train_more/train_more_partial.jsonl": "train",
}

COMPRESSION_SUFFIXES = ("", ".gz", ".zip")


@dataclass(frozen=True)
class SourceFiles:
    """Resolved paths of every dataset file in one source folder."""

    root: Path
    paths: dict[str, Path]
    redial_train: dict[Path, str] = field(default_factory=dict)

    def get(self, name: str) -> Path | None:
        return self.paths.get(name)

    def require(self, name: str) -> Path:
        path = self.paths.get(name)
        if path is None:
            rel, _ = DATASET_FILES[name]
            raise DataSourceError(f"missing dataset file {rel} under {self.root}")
        return path


def _find_variant(root: Path, rel: str) -> Path | None:
    for suffix in COMPRESSION_SUFFIXES:
        candidate = root / (rel + suffix)
        if candidate.is_file():
            return candidate
    # MovieLens upstream is one zip; its extracted folder may be missing.
    return None


def locate_files(root: Path) -> SourceFiles:
    """Find every dataset file under `root`; raise one clear error listing what is missing."""
    if not root.is_dir():
        raise DataSourceError(f"data folder {root} does not exist")
    paths: dict[str, Path] = {}
    missing: list[str] = []
    for name, (rel, required) in DATASET_FILES.items():
        found = _find_variant(root, rel)
        if found is not None:
            paths[name] = found
        elif required:
            missing.append(rel)
    if missing:
        more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        shown = ", ".join(missing[:4]) + more
        raise DataSourceError(
            f"data folder {root} lacks {shown} (csv, .gz or .zip); "
            "point --source or CONVREC_DATA_DIR at a complete copy, or run `convrec data download`"
        )
    train = {}
    for rel, split in REDIAL_TRAIN_FILES.items():
        found = _find_variant(root, rel)
        if found is not None:
            train[found] = split
    return SourceFiles(root=root, paths=paths, redial_train=train)


def shared_data_candidates() -> list[Path]:
    """The ../shared/data folders worth a look: beside the working directory or this checkout."""
    project_root = Path(__file__).resolve().parents[2]
    seen: list[Path] = []
    for base in (Path.cwd(), project_root):
        for candidate in (base.parent / "shared" / "data", base / "shared" / "data"):
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.append(resolved)
    return seen


def resolve_source_dir(
    explicit: Path | None, data_dir: Path | None, cache_dir: Path
) -> tuple[Path | None, list[str]]:
    """Pick the source folder: --source, CONVREC_DATA_DIR, ../shared/data, or the download cache.

    Returns the folder (None when nothing usable was found) and the places looked at,
    so the caller can say where it looked.
    """
    if explicit is not None:
        if not explicit.is_dir():
            raise DataSourceError(f"--source {explicit} is not a folder")
        return explicit, [str(explicit)]
    if data_dir is not None:
        if not data_dir.is_dir():
            raise DataSourceError(
                f"CONVREC_DATA_DIR={data_dir} is not a folder; fix it or unset it"
            )
        return data_dir, [str(data_dir)]
    looked: list[str] = []
    for candidate in shared_data_candidates():
        looked.append(str(candidate))
        if (candidate / "movielens").is_dir():
            return candidate, looked
    downloaded = cache_dir / "data"
    looked.append(str(downloaded))
    if (downloaded / "movielens").is_dir():
        return downloaded, looked
    return None, looked

