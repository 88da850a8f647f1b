"""The files of a download on disk: hashes, partial files, checks, and taking the pinned
members out of a downloaded archive (zip in Python; RAR with bsdtar or unrar, since Python
has no RAR reader). `download` fetches; this module never touches the network."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from convrec.catalog.download_manifest import ManifestEntry, Member
from convrec.errors import DownloadError

CHUNK_SIZE = 1 << 20
RAR_TOOL_HINT = (
    "install bsdtar (`sudo apt-get install libarchive-tools`) or unrar "
    "(`sudo apt-get install unrar`), or copy the datasets and pass --source DIR"
)



def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_valid(path: Path, sha256: str | None) -> bool:
    if not path.is_file():
        return False
    return sha256 is None or sha256_of(path) == sha256


def unlink_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)


def part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def check_sha(path: Path, expected: str | None, label: str, source: str) -> None:
    """Raise (and delete `path`) when its sha256 differs from `expected`."""
    if expected is None:
        return
    actual = sha256_of(path)
    if actual != expected:
        unlink_quietly(path)
        raise DownloadError(
            f"checksum mismatch for {label} from {source}: expected sha256 {expected}, "
            f"got {actual}; the file was deleted, retry or report it if it persists"
        )


def reason_text(reason: object) -> str:
    """'Connection refused' rather than '[Errno 111] Connection refused'."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason).strip()
    return text or type(reason).__name__




def stream_to(src: IO[bytes], target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK_SIZE)


def _install(tmp: Path, member: Member, root: Path, archive_label: str) -> Path:
    """Verify an extracted file and move it to its final name."""
    final = root / member.dest
    check_sha(tmp, member.sha256, member.dest, archive_label)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    return final


def _extract_zip(archive: Path, members: Iterable[Member], root: Path) -> list[Path]:
    """Take the named members out of a zip; nothing else is written, so no path tricks apply."""
    written: list[Path] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in members:
                part = part_path(root / member.dest)
                part.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(member.archive_name) as src:
                        stream_to(src, part)
                except KeyError:
                    raise DownloadError(
                        f"{archive.name} has no member {member.archive_name}"
                    ) from None
                except BaseException:
                    unlink_quietly(part)
                    raise
                written.append(_install(part, member, root, archive.name))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DownloadError(f"could not unzip {archive}: {reason_text(exc)}") from None
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


def extract_entry(entry: ManifestEntry, root: Path) -> list[Path]:
    assert entry.extract is not None
    archive = root / entry.dest
    if entry.extract.fmt == "zip":
        return _extract_zip(archive, entry.extract.members, root)
    return _extract_rar_members(archive, entry.extract.members, root)
