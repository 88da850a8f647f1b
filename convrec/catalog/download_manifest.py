"""What `convrec data download` fetches: every upstream file, pinned to a commit or a
release, where it goes in the data folder, and the sha256 it must have (the files and, for
archives, the members taken out of them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Member:
    """One file taken out of a downloaded archive."""

    archive_name: str  # path inside the archive
    dest: str  # where it goes, relative to the data folder
    sha256: str | None  # of the extracted bytes


@dataclass(frozen=True)
class Extract:
    """Post-processing of a downloaded archive."""

    fmt: Literal["zip", "rar"]
    members: tuple[Member, ...]
    # False: the archive is only a carrier (the RAR); it is deleted once extracted.
    keep_archive: bool = True


@dataclass(frozen=True)
class ManifestEntry:
    """One upstream file: where it comes from, where it goes, what it must hash to."""

    name: str
    url: str
    dest: str  # where the downloaded bytes are stored, relative to the data folder
    sha256: str | None  # of the downloaded bytes; None when only the extracted file is pinned
    mirror_path: str  # path below a --mirror base URL (archives are kept as archives there)
    extract: Extract | None = None

    def outputs(self) -> tuple[tuple[str, str | None], ...]:
        """The files (relative path, sha256) this entry leaves in the data folder."""
        kept: tuple[tuple[str, str | None], ...] = ()
        if self.extract is None or self.extract.keep_archive:
            kept = ((self.dest, self.sha256),)
        members = self.extract.members if self.extract else ()
        return kept + tuple((m.dest, m.sha256) for m in members)


def _github_raw(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


_REDIAL = ("ReDialData/website", "849e9eb1bb60e312f8bf4daa82fc10a285e9318b")
_RT = ("learn-co-curriculum/dsc-phase-1-project", "1acb3398003be64d5b4befe7937efa66828c1d73")
_ML_MEMBERS = ("ratings.csv", "movies.csv", "tags.csv", "links.csv", "README.txt")
_ML_SHA256 = {
    "ratings.csv": "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646",
    "movies.csv": "5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07",
    "tags.csv": "92a9f8bb7916dceef6151209845788c3643f794dfa79d1feaec7121b5960399d",
    "links.csv": "97ad18e4e56a09363c65676b6cb3482ce3e2cea2372a24620c1599c843325f31",
    "README.txt": "63d22ac138e80fae37021797ed8e1b9424b5239dc576a137422adf783ae3f404",
}

# Hashes are those of shared/data/MANIFEST.sha256 (see shared/data/README.md for provenance).
# The derived link files are deliberately absent (see the module docstring).
MANIFEST: tuple[ManifestEntry, ...] = (
    ManifestEntry(
        name="movielens",
        url="https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
        dest="movielens/ml-latest-small.zip",
        # The archive itself is not pinned (GroupLens may re-zip the same files);
        # every extracted member below is.
        sha256=None,
        mirror_path="movielens/ml-latest-small.zip",
        extract=Extract(
            fmt="zip",
            members=tuple(
                Member(f"ml-latest-small/{f}", f"movielens/ml-latest-small/{f}", _ML_SHA256[f])
                for f in _ML_MEMBERS
            ),
        ),
    ),
    ManifestEntry(
        name="tmdb_movies",
        url=_github_raw(
            "Bhavesh-2926/Movie_Recommender_System",
            "5cfa2a38bd54524aa912ac07eaf0a31152d7a1fb",
            "tmdb_5000_movies.csv.zip",
        ),
        dest="tmdb/tmdb_5000_movies.csv.zip",
        sha256="b5685b7ebb6d2cebb2b338be7409b4922f4099300d3a7012c650887d0fe80b66",
        mirror_path="tmdb/tmdb_5000_movies.csv.zip",
    ),
    ManifestEntry(
        # Only the extracted CSV is pinned: shared/data keeps it re-compressed as .csv.gz,
        # so no hash of the RAR itself is on record.
        name="tmdb_credits",
        url=_github_raw(
            "viha-sharma/Movie-Recommender-System",
            "a973349bbcb6ce25ef37f9519cec015712d5aa20",
            "tmdb_5000_credits.rar",
        ),
        dest="tmdb/tmdb_5000_credits.rar",
        sha256=None,
        mirror_path="tmdb/tmdb_5000_credits.rar",
        extract=Extract(
            fmt="rar",
            members=(
                Member(
                    "tmdb_5000_credits.csv",
                    "tmdb/tmdb_5000_credits.csv",
                    "9d0050599ff88d40366c4841204b1489862bca346bfa46c20b05a65d14508435",
                ),
            ),
            keep_archive=False,
        ),
    ),
    ManifestEntry(
        name="redial_test",
        url=_github_raw(*_REDIAL, "test_data"),
        dest="redial/test_data.jsonl",
        sha256="d7781750787d104ac005e829cc7e6277d25b14644a223b0c2445aaaded6b19ac",
        mirror_path="redial/test_data.jsonl",
    ),
    ManifestEntry(
        name="redial_movies",
        url=_github_raw(*_REDIAL, "movies_with_mentions.csv"),
        dest="redial/movies_with_mentions.csv",
        sha256="0d408daa474ac95b959a739a261dddd997dd800f5ea585da15a434a26187dbb0",
        mirror_path="redial/movies_with_mentions.csv",
    ),
    ManifestEntry(
        name="redial_train_kgsf_valid",
        url=_github_raw(
            "Lancelot39/KGSF", "a10c02cf31dd70d55e972c9ad046df16886f88e1", "data/valid_data.jsonl"
        ),
        dest="redial/train_partial/kgsf_valid_data.jsonl",
        sha256="037d2be6bd375e1869dda26375523067c7e997b4aa9826825793ad7e4978a88c",
        mirror_path="redial/train_partial/kgsf_valid_data.jsonl",
    ),
    ManifestEntry(
        name="redial_train_kepler",
        url=_github_raw(
            "baazouziwiem/Kepler-aSI-CRS",
            "ccf16d3a1f6bdb7a33fdc2a311650c3bde4a84f5",
            "train_data.jsonl",
        ),
        dest="redial/train_partial/kepler_train_data_subset.jsonl",
        sha256="920828563531de58210518c1b2952bd1d1bb2a31ae05d2ed235036a500b6d22c",
        mirror_path="redial/train_partial/kepler_train_data_subset.jsonl",
    ),
    ManifestEntry(
        name="rt_reviews",
        url=_github_raw(*_RT, "zippedData/rt.reviews.tsv.gz"),
        dest="reviews/rotten_tomatoes_flatiron/rt.reviews.tsv.gz",
        sha256="769086a46cab2f6aaca96c299f7f7fc84a68b8057773b97285424298f9a1dacb",
        mirror_path="reviews/rotten_tomatoes_flatiron/rt.reviews.tsv.gz",
    ),
    ManifestEntry(
        name="rt_movie_info",
        url=_github_raw(*_RT, "zippedData/rt.movie_info.tsv.gz"),
        dest="reviews/rotten_tomatoes_flatiron/rt.movie_info.tsv.gz",
        sha256="1c9dfc36cefbcaa22bf022995bc7e305cd3ee9ec79506494608792354b941ac9",
        mirror_path="reviews/rotten_tomatoes_flatiron/rt.movie_info.tsv.gz",
    ),
)
