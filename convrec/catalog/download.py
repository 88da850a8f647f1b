"""Fetch the public upstream dataset files into a folder laid out like shared/data.

`download_datasets` downloads every entry of `MANIFEST` (pinned URLs: GroupLens for
MovieLens, raw.githubusercontent.com at fixed commits for the rest), checks each file's
sha256, and extracts the archive members the catalog builder reads, so that
`convrec.catalog.sources.locate_files(dest)` succeeds afterwards.

Safety rules: bytes are streamed to `<file>.part` and only moved to the final name once
their checksum matched, so an interrupted or corrupt download never leaves a plausible
looking file behind. Files already present with the right checksum are not fetched
again, so the command can be re-run after a failure.

The derived link files (redial/redial_movie_links.csv and
reviews/rotten_tomatoes_flatiron/rt_movie_links.csv) are ours, not upstream data: they
are not downloadable and the catalog builder recomputes them when they are absent.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from convrec import __version__
from convrec.errors import DownloadError

if TYPE_CHECKING:
    from convrec.config import Settings

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as progress(entry name, bytes done, bytes total or None when unknown)."""

CHUNK_SIZE = 1 << 20
RETRIES = 3
# Seconds to wait before the 2nd and 3rd attempt; tests set these to zero.
BACKOFF_SECONDS: tuple[float, ...] = (1.0, 4.0)
MIRROR_SCHEMES = ("http", "https", "file")
OFFLINE_HINT = "this machine may be offline: copy the datasets and pass --source DIR"
RAR_TOOL_HINT = (
    "install bsdtar (`sudo apt-get install libarchive-tools`) or unrar "
    "(`sudo apt-get install unrar`), or copy the datasets and pass --source DIR"
)
_USER_AGENT = f"convrec/{__version__} (dataset download)"


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


@dataclass(frozen=True)
class FileRecord:
    """A file of the data folder that a download run wrote or found valid."""

    entry: str
    path: Path
    size: int


@dataclass
class DownloadReport:
    """What `download_datasets` did, per file."""

    dest: Path
    fetched: list[FileRecord] = field(default_factory=list)  # downloaded now
    extracted: list[FileRecord] = field(default_factory=list)  # taken out of an archive now
    skipped: list[FileRecord] = field(default_factory=list)  # already present and valid

    @property
    def bytes_fetched(self) -> int:
        return sum(r.size for r in self.fetched)

    @property
    def up_to_date(self) -> bool:
        """True when every file was already present and valid (nothing was done)."""
        return not self.fetched and not self.extracted


class _TransientError(Exception):
    """A failure worth retrying: connection refused or dropped, timeout, HTTP 5xx."""

    def __init__(self, reason: str, *, offline: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offline = offline  # True: the host could not be reached at all


# --------------------------------------------------------------------------- helpers


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_valid(path: Path, sha256: str | None) -> bool:
    if not path.is_file():
        return False
    return sha256 is None or sha256_of(path) == sha256


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _check_sha(path: Path, expected: str | None, label: str, source: str) -> None:
    """Raise (and delete `path`) when its sha256 differs from `expected`."""
    if expected is None:
        return
    actual = sha256_of(path)
    if actual != expected:
        _unlink(path)
        raise DownloadError(
            f"checksum mismatch for {label} from {source}: expected sha256 {expected}, "
            f"got {actual}; the file was deleted, retry or report it if it persists"
        )


def _reason_text(reason: object) -> str:
    """'Connection refused' rather than '[Errno 111] Connection refused'."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason).strip()
    return text or type(reason).__name__


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or parts.netloc or url


def entry_url(entry: ManifestEntry, mirror: str | None) -> str:
    """The URL `entry` is fetched from: upstream, or `{mirror}/{entry.mirror_path}`."""
    if mirror is None:
        return entry.url
    return f"{mirror.rstrip('/')}/{urllib.parse.quote(entry.mirror_path)}"


def _check_mirror(mirror: str | None) -> None:
    if mirror is None:
        return
    scheme = urllib.parse.urlsplit(mirror).scheme.lower()
    if scheme not in MIRROR_SCHEMES:
        raise DownloadError(f"mirror {mirror!r} must be an http://, https:// or file:// URL")


# --------------------------------------------------------------------------- fetching


def _open(url: str, timeout: float) -> IO[bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        response: IO[bytes] = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise _TransientError(f"HTTP {exc.code} {exc.reason}", offline=False) from exc
        raise DownloadError(
            f"{_host(url)} answered HTTP {exc.code} {exc.reason} for {url}"
        ) from None
    except urllib.error.URLError as exc:
        if urllib.parse.urlsplit(url).scheme == "file":
            raise DownloadError(f"cannot read {url}: {_reason_text(exc.reason)}") from None
        raise _TransientError(_reason_text(exc.reason)) from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise _TransientError(_reason_text(exc)) from exc
    return response


def _content_length(response: IO[bytes]) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _fetch_once(
    url: str, part: Path, name: str, progress: ProgressCallback | None, timeout: float
) -> None:
    """Stream `url` into `part`; transient failures raise _TransientError."""
    response = _open(url, timeout)
    with response:
        total = _content_length(response)
        done = 0
        if progress is not None:
            progress(name, 0, total)
        try:
            out = part.open("wb")
        except OSError as exc:
            raise DownloadError(f"could not write {part}: {_reason_text(exc)}") from None
        with out:
            while True:
                try:
                    chunk = response.read(CHUNK_SIZE)
                except (OSError, http.client.HTTPException) as exc:
                    raise _TransientError(
                        f"connection lost after {done} bytes ({_reason_text(exc)})", offline=False
                    ) from exc
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise DownloadError(f"could not write {part}: {_reason_text(exc)}") from None
                done += len(chunk)
                if progress is not None:
                    progress(name, done, total)
    if total is not None and done != total:
        raise _TransientError(f"connection closed after {done} of {total} bytes", offline=False)


def _download(
    url: str, part: Path, name: str, progress: ProgressCallback | None, timeout: float
) -> None:
    """Download `url` to `part`, retrying transient failures with a growing pause."""
    part.parent.mkdir(parents=True, exist_ok=True)
    last: _TransientError | None = None
    for attempt in range(RETRIES):
        if attempt:
            time.sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
        try:
            _fetch_once(url, part, name, progress, timeout)
            return
        except _TransientError as exc:
            last = exc
        except BaseException:
            _unlink(part)
            raise
        _unlink(part)
    assert last is not None
    if last.offline:
        raise DownloadError(f"could not reach {_host(url)}: {last.reason}; {OFFLINE_HINT}")
    raise DownloadError(
        f"{_host(url)} failed {RETRIES} times for {url} ({last.reason}); "
        "try again later, or copy the datasets and pass --source DIR"
    )


# --------------------------------------------------------------------------- extraction


def _stream_to(src: IO[bytes], target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK_SIZE)


def _install(tmp: Path, member: Member, root: Path, archive_label: str) -> Path:
    """Verify an extracted file and move it to its final name."""
    final = root / member.dest
    _check_sha(tmp, member.sha256, member.dest, archive_label)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    return final


def _extract_zip(archive: Path, members: Iterable[Member], root: Path) -> list[Path]:
    """Take the named members out of a zip; nothing else is written, so no path tricks apply."""
    written: list[Path] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in members:
                part = _part_path(root / member.dest)
                part.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(member.archive_name) as src:
                        _stream_to(src, part)
                except KeyError:
                    raise DownloadError(
                        f"{archive.name} has no member {member.archive_name}"
                    ) from None
                except BaseException:
                    _unlink(part)
                    raise
                written.append(_install(part, member, root, archive.name))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DownloadError(f"could not unzip {archive}: {_reason_text(exc)}") from None
    return written


def _rar_command(archive: Path, out_dir: Path) -> list[str]:
    """The command extracting every member of `archive` into `out_dir`: bsdtar, else unrar."""
    bsdtar = shutil.which("bsdtar")
    if bsdtar is not None:
        return [bsdtar, "-xf", str(archive), "-C", str(out_dir)]
    unrar = shutil.which("unrar")
    if unrar is not None:
        return [unrar, "x", "-o+", "-idq", "-y", str(archive), str(out_dir) + os.sep]
    raise DownloadError(f"extracting {archive.name} needs bsdtar or unrar; {RAR_TOOL_HINT}")


def _extract_rar(archive: Path, out_dir: Path) -> None:
    """Extract all of `archive` into `out_dir` with an external tool (Python has no RAR reader)."""
    command = _rar_command(archive, out_dir)
    tool = Path(command[0]).name
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DownloadError(f"{tool} could not extract {archive.name}: {exc}") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {result.returncode}"
        raise DownloadError(f"{tool} could not extract {archive.name}: {detail}")


def _find_extracted(out_dir: Path, member: Member, archive: Path) -> Path:
    """The extracted file for `member`: its exact path, else the one file with its base name."""
    exact = out_dir / member.archive_name
    if exact.is_file():
        return exact
    basename = Path(member.archive_name).name
    matches = [p for p in out_dir.rglob(basename) if p.is_file()]
    if len(matches) == 1:
        return matches[0]
    raise DownloadError(f"{archive.name} has no member {member.archive_name}")


def _extract_rar_members(archive: Path, members: Iterable[Member], root: Path) -> list[Path]:
    # Extract next to the destination (same file system) so the final move is atomic.
    out_dir = Path(tempfile.mkdtemp(prefix=".extract-", dir=archive.parent))
    try:
        _extract_rar(archive, out_dir)
        return [
            _install(_find_extracted(out_dir, m, archive), m, root, archive.name) for m in members
        ]
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def _extract(entry: ManifestEntry, root: Path) -> list[Path]:
    assert entry.extract is not None
    archive = root / entry.dest
    if entry.extract.fmt == "zip":
        return _extract_zip(archive, entry.extract.members, root)
    return _extract_rar_members(archive, entry.extract.members, root)


# --------------------------------------------------------------------------- driver


def _record(entry: ManifestEntry, path: Path) -> FileRecord:
    return FileRecord(entry=entry.name, path=path, size=path.stat().st_size)


def _fetch_entry(
    entry: ManifestEntry,
    root: Path,
    mirror: str | None,
    progress: ProgressCallback | None,
    timeout: float,
) -> Path:
    """Download `entry` to its destination: via `.part`, checksum first, then an atomic move."""
    url = entry_url(entry, mirror)
    final = root / entry.dest
    part = _part_path(final)
    _download(url, part, entry.name, progress, timeout)
    _check_sha(part, entry.sha256, entry.dest, url)
    os.replace(part, final)
    return final


def _process(
    entry: ManifestEntry,
    root: Path,
    report: DownloadReport,
    *,
    mirror: str | None,
    force: bool,
    progress: ProgressCallback | None,
    timeout: float,
) -> None:
    outputs = [(root / rel, sha) for rel, sha in entry.outputs()]
    if not force and all(_is_valid(path, sha) for path, sha in outputs):
        report.skipped.extend(_record(entry, path) for path, _ in outputs)
        return
    archive = root / entry.dest
    # A kept archive that is still valid is not fetched again just because a member is gone.
    if not force and entry.sha256 is not None and _is_valid(archive, entry.sha256):
        report.skipped.append(_record(entry, archive))
    else:
        report.fetched.append(_record(entry, _fetch_entry(entry, root, mirror, progress, timeout)))
    if entry.extract is None:
        return
    # If extraction fails, a carrier archive stays in place for inspection; it has no pinned
    # hash, so the next run fetches it again.
    report.extracted.extend(_record(entry, path) for path in _extract(entry, root))
    if not entry.extract.keep_archive:
        _unlink(archive)


def download_datasets(
    dest: Path,
    *,
    mirror: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    timeout: float = 60,
) -> DownloadReport:
    """Fetch every `MANIFEST` entry into `dest` (shared/data layout) and verify it.

    Entries whose files are already present with the right sha256 are skipped unless
    `force`. `mirror` (http://, https:// or file://) replaces each upstream URL with
    `{mirror}/{entry.mirror_path}`. `timeout` is per network operation, in seconds.
    Raises DownloadError (one-line message) on the first entry that fails; entries
    completed before it stay in place, so a re-run resumes.
    """
    _check_mirror(mirror)
    root = Path(dest)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"could not create {root}: {_reason_text(exc)}") from None
    report = DownloadReport(dest=root)
    for entry in MANIFEST:
        _process(
            entry, root, report, mirror=mirror, force=force, progress=progress, timeout=timeout
        )
    return report


def default_download_dir(settings: Settings) -> Path:
    """Where `convrec data download` puts the files; `resolve_source_dir` looks there too."""
    return settings.cache / "data"
