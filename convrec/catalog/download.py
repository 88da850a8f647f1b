"""Fetch the public upstream dataset files into a folder laid out like shared/data.

`download_datasets` downloads every entry of `MANIFEST` (`download_manifest`; pinned
URLs: GroupLens for MovieLens, raw.githubusercontent.com at fixed commits for the rest;
http(s) through pooch's `HTTPDownloader`, file:// mirrors by a plain copy), checks each
file's sha256, and extracts the archive members the catalog builder reads
(`download_files`), so that `convrec.catalog.sources.locate_files(dest)` succeeds
afterwards.

The retries, the checksums and the extraction stay ours rather than `pooch.retrieve`'s:
pooch retries every failure (a 404 too) after a pause that cannot be set, has no file://
downloader, and its Unzip processor extracts into `<archive>.unzip/`, where a manifest
entry here names each member, its destination and its own sha256 (checked by the same
`check_sha` as the downloads, whose one-line error names the data-folder file).

Safety rules: bytes are streamed to `<file>.part` and only moved to the final name once
their checksum matched, so an interrupted or corrupt download never leaves a plausible
looking file behind. Files already present with the right checksum are not fetched
again, so the command can be re-run after a failure.

The derived link files (redial/redial_movie_links.csv and
reviews/rotten_tomatoes_flatiron/rt_movie_links.csv) are ours, not upstream data: they
are not downloadable and the catalog builder recomputes them when they are absent.
"""

from __future__ import annotations

import os
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pooch

from convrec import __version__
from convrec.catalog.download_files import (
    CHUNK_SIZE,
    check_sha,
    extract_entry,
    is_valid,
    part_path,
    reason_text,
    unlink_quietly,
)
from convrec.catalog.download_manifest import MANIFEST, ManifestEntry
from convrec.errors import DownloadError
from convrec.progress import Progress

if TYPE_CHECKING:
    pass

# Progress here: progress(entry name, bytes done, bytes total or None when unknown).

RETRIES = 3
# Seconds to wait before the 2nd and 3rd attempt; tests set these to zero.
BACKOFF_SECONDS: tuple[float, ...] = (1.0, 4.0)
MIRROR_SCHEMES = ("http", "https", "file")
OFFLINE_HINT = "this machine may be offline: copy the datasets and pass --source DIR"
_USER_AGENT = f"convrec/{__version__} (dataset download)"


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


class _Writer:
    """The file pooch's HTTPDownloader writes into: `part`, reporting exact bytes as they come."""

    def __init__(self, part: Path, name: str, progress: Progress | None) -> None:
        self.part, self.name, self.progress = part, name, progress
        self.done = 0
        self.total: int | None = None
        try:
            self._out = part.open("wb")
        except OSError as exc:
            raise DownloadError(f"could not write {part}: {reason_text(exc)}") from None

    def write(self, chunk: bytes) -> None:
        try:
            self._out.write(chunk)
        except OSError as exc:
            raise DownloadError(f"could not write {self.part}: {reason_text(exc)}") from None
        self.done += len(chunk)
        if self.progress is not None:
            self.progress(self.name, self.done, self.total)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()


class _Length:
    """The progress-bar object pooch drives; only its `total` (Content-Length) is used: the
    byte counts come from `_Writer`, since pooch counts whole chunks."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    @property
    def total(self) -> int | None:
        return self._writer.total

    @total.setter
    def total(self, value: int) -> None:  # pooch sets it once, before the first chunk
        self._writer.total = value or None  # pooch says 0 when there is no Content-Length
        if self._writer.progress is not None:
            self._writer.progress(self._writer.name, 0, self._writer.total)

    def update(self, n: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _root_reason(exc: BaseException) -> str:
    """The socket-level reason under requests' and urllib3's wrappers ('Connection refused')."""
    seen: BaseException | None = exc
    deepest: BaseException = exc
    while seen is not None:
        deepest = seen
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        reason = getattr(seen, "reason", None)
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = (reason if isinstance(reason, BaseException) else nested
                or seen.__cause__ or seen.__context__)
    return reason_text(deepest)


def _fetch_http(
    url: str, part: Path, name: str, progress: Progress | None, timeout: float
) -> None:
    """Stream an http(s) `url` into `part` with pooch; transient failures raise _TransientError."""
    import requests  # deferred: requests takes ~0.4 s to import

    writer = _Writer(part, name, progress)
    downloader = pooch.HTTPDownloader(
        progressbar=_Length(writer), chunk_size=CHUNK_SIZE, timeout=timeout,
        headers={"User-Agent": _USER_AGENT},
    )
    try:
        downloader(url, writer, None)
    except requests.HTTPError as exc:
        answer = exc.response  # raise_for_status always attaches it
        code, why = (answer.status_code, answer.reason) if answer is not None else (0, "")
        if code >= 500 or code == 429:
            raise _TransientError(f"HTTP {code} {why}", offline=False) from exc
        raise DownloadError(f"{_host(url)} answered HTTP {code} {why} for {url}") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        if writer.done == 0 and not isinstance(exc, requests.ReadTimeout):
            raise _TransientError(_root_reason(exc)) from exc
        raise _TransientError(
            f"connection lost after {writer.done} bytes ({_root_reason(exc)})", offline=False
        ) from exc
    except requests.RequestException as exc:  # a body cut short, a broken chunk
        raise _TransientError(
            f"connection lost after {writer.done} bytes ({_root_reason(exc)})", offline=False
        ) from exc
    finally:
        writer.close()
    if writer.total is not None and writer.done != writer.total:
        raise _TransientError(
            f"connection closed after {writer.done} of {writer.total} bytes", offline=False
        )


def _copy_file(url: str, part: Path, name: str, progress: Progress | None) -> None:
    """A file:// mirror: copy the file into `part` (pooch fetches http(s) only)."""
    source = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    writer = _Writer(part, name, progress)
    try:
        with source.open("rb") as src:
            writer.total = source.stat().st_size
            if progress is not None:
                progress(name, 0, writer.total)
            while chunk := src.read(CHUNK_SIZE):
                writer.write(chunk)
    except OSError as exc:
        raise DownloadError(f"cannot read {url}: {reason_text(exc)}") from None
    finally:
        writer.close()


def _fetch_once(
    url: str, part: Path, name: str, progress: Progress | None, timeout: float
) -> None:
    if urllib.parse.urlsplit(url).scheme == "file":
        _copy_file(url, part, name, progress)
    else:
        _fetch_http(url, part, name, progress, timeout)


def _download(
    url: str, part: Path, name: str, progress: Progress | None, timeout: float
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
            unlink_quietly(part)
            raise
        unlink_quietly(part)
    assert last is not None
    if last.offline:
        raise DownloadError(f"could not reach {_host(url)}: {last.reason}; {OFFLINE_HINT}")
    raise DownloadError(
        f"{_host(url)} failed {RETRIES} times for {url} ({last.reason}); "
        "try again later, or copy the datasets and pass --source DIR"
    )


# --------------------------------------------------------------------------- driver


def _record(entry: ManifestEntry, path: Path) -> FileRecord:
    return FileRecord(entry=entry.name, path=path, size=path.stat().st_size)


def _fetch_entry(
    entry: ManifestEntry,
    root: Path,
    mirror: str | None,
    progress: Progress | None,
    timeout: float,
) -> Path:
    """Download `entry` to its destination: via `.part`, checksum first, then an atomic move."""
    url = entry_url(entry, mirror)
    final = root / entry.dest
    part = part_path(final)
    _download(url, part, entry.name, progress, timeout)
    check_sha(part, entry.sha256, entry.dest, url)
    os.replace(part, final)
    return final


def _process(
    entry: ManifestEntry,
    root: Path,
    report: DownloadReport,
    *,
    mirror: str | None,
    force: bool,
    progress: Progress | None,
    timeout: float,
) -> None:
    outputs = [(root / rel, sha) for rel, sha in entry.outputs()]
    if not force and all(is_valid(path, sha) for path, sha in outputs):
        report.skipped.extend(_record(entry, path) for path, _ in outputs)
        return
    archive = root / entry.dest
    # A kept archive that is still valid is not fetched again just because a member is gone.
    if not force and entry.sha256 is not None and is_valid(archive, entry.sha256):
        report.skipped.append(_record(entry, archive))
    else:
        report.fetched.append(_record(entry, _fetch_entry(entry, root, mirror, progress, timeout)))
    if entry.extract is None:
        return
    # If extraction fails, a carrier archive stays in place for inspection; it has no pinned
    # hash, so the next run fetches it again.
    report.extracted.extend(_record(entry, path) for path in extract_entry(entry, root))
    if not entry.extract.keep_archive:
        unlink_quietly(archive)


def download_datasets(
    dest: Path,
    *,
    mirror: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
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
        raise DownloadError(f"could not create {root}: {reason_text(exc)}") from None
    report = DownloadReport(dest=root)
    for entry in MANIFEST:
        _process(
            entry, root, report, mirror=mirror, force=force, progress=progress, timeout=timeout
        )
    return report
