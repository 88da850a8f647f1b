"""Tests for convrec.catalog.download against a local HTTP server (never the real network).

Most tests swap MANIFEST for small synthetic entries so the fetch / verify / extract
logic runs on a few hundred bytes. One integration test downloads the real manifest
from a mirror built out of ../shared/data. The credits RAR is not in shared/data, so the
test wraps shared/data's CSV in a hand-built (stored, uncompressed) RAR 4 archive and
extracts it with the real bsdtar/unrar; without either tool, the RAR extractor is replaced
by one that gunzips the CSV. Either way the pinned sha256 of the extracted CSV is checked.
Real upstream RAR decompression (the upstream archive is compressed) is not exercised.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import re
import shutil
import socket
import struct
import sys
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import pytest

from convrec.catalog import download as dl
from convrec.catalog import download_files
from convrec.catalog.download import download_datasets, entry_url
from convrec.catalog.download_manifest import MANIFEST, Extract, ManifestEntry, Member
from convrec.catalog.sources import DATASET_FILES, REDIAL_TRAIN_FILES, locate_files
from convrec.errors import DownloadError

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "MANIFEST.sha256").is_file(),
    reason=f"{SHARED_DATA} (the offline dataset copy) is absent",
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- local server


@dataclass
class ServerState:
    hits: Counter[str] = field(default_factory=Counter)
    # URL path -> "fail_once" | "always_fail" | "truncate_once"
    faults: dict[str, str] = field(default_factory=dict)


class _Handler(http.server.SimpleHTTPRequestHandler):
    state: ServerState  # set per server through partial()

    def __init__(self, *args: object, state: ServerState, **kwargs: object) -> None:
        self.state = state
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.state.hits[self.path] += 1
        fault = self.state.faults.get(self.path)
        first = self.state.hits[self.path] == 1
        if fault == "always_fail" or (fault == "fail_once" and first):
            self.send_error(503)
            return
        if fault == "truncate_once" and first:
            body = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        super().do_GET()


@dataclass
class Site:
    root: Path  # folder served at url
    url: str
    state: ServerState

    def put(self, rel: str, data: bytes) -> None:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "www"
    root.mkdir()
    state = ServerState()
    handler = partial(_Handler, directory=str(root), state=state)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Site(root=root, url=f"http://127.0.0.1:{server.server_address[1]}", state=state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "BACKOFF_SECONDS", (0.0, 0.0))


# --------------------------------------------------------------------------- synthetic manifest

PLAIN = b"id,title\n1,Alpha (1999)\n2,Beta (2001)\n"
ONE = b"a,b\n1,2\n"
TWO = b"readme\n"


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


ZIP = make_zip({"pkg/one.csv": ONE, "pkg/two.txt": TWO, "pkg/unused.bin": b"x"})


def synthetic_entries(site: Site) -> tuple[ManifestEntry, ...]:
    """A plain file and a zip, published upstream (/up/...) and on a mirror (/mirror/...)."""
    site.put("up/plain-upstream.csv", PLAIN)
    site.put("up/pkg-upstream.zip", ZIP)
    site.put("mirror/sub/plain.csv", PLAIN)
    site.put("mirror/arch/pkg.zip", ZIP)
    return (
        ManifestEntry(
            name="plain",
            url=f"{site.url}/up/plain-upstream.csv",
            dest="sub/plain.csv",
            sha256=sha(PLAIN),
            mirror_path="sub/plain.csv",
        ),
        ManifestEntry(
            name="archive",
            url=f"{site.url}/up/pkg-upstream.zip",
            dest="arch/pkg.zip",
            sha256=sha(ZIP),
            mirror_path="arch/pkg.zip",
            extract=Extract(
                fmt="zip",
                members=(
                    Member("pkg/one.csv", "arch/pkg/one.csv", sha(ONE)),
                    Member("pkg/two.txt", "arch/pkg/two.txt", sha(TWO)),
                ),
            ),
        ),
    )


@pytest.fixture
def entries(site: Site, monkeypatch: pytest.MonkeyPatch) -> tuple[ManifestEntry, ...]:
    made = synthetic_entries(site)
    monkeypatch.setattr(dl, "MANIFEST", made)
    return made


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part") or ".extract-" in str(p)]


# --------------------------------------------------------------------------- core behaviour


def test_fetches_verifies_and_extracts(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    dest = tmp_path / "data"
    report = download_datasets(dest, mirror=f"{site.url}/mirror")

    assert (dest / "sub/plain.csv").read_bytes() == PLAIN
    assert (dest / "arch/pkg.zip").read_bytes() == ZIP
    assert (dest / "arch/pkg/one.csv").read_bytes() == ONE
    assert (dest / "arch/pkg/two.txt").read_bytes() == TWO
    assert not (dest / "arch/pkg/unused.bin").exists()
    assert leftovers(dest) == []
    assert [(r.entry, r.path, r.size) for r in report.fetched] == [
        ("plain", dest / "sub/plain.csv", len(PLAIN)),
        ("archive", dest / "arch/pkg.zip", len(ZIP)),
    ]
    assert {r.path.name for r in report.extracted} == {"one.csv", "two.txt"}
    assert report.skipped == []
    assert report.bytes_fetched == len(PLAIN) + len(ZIP)
    assert not report.up_to_date


def test_mirror_replaces_upstream_urls(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    download_datasets(tmp_path / "a")
    assert set(site.state.hits) == {"/up/plain-upstream.csv", "/up/pkg-upstream.zip"}

    site.state.hits.clear()
    download_datasets(tmp_path / "b", mirror=f"{site.url}/mirror/")  # trailing slash is fine
    assert set(site.state.hits) == {"/mirror/sub/plain.csv", "/mirror/arch/pkg.zip"}
    assert entry_url(entries[0], "https://example.org/m") == "https://example.org/m/sub/plain.csv"


def test_file_url_mirror(tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]) -> None:
    dest = tmp_path / "data"
    report = download_datasets(dest, mirror=(site.root / "mirror").as_uri())
    assert (dest / "arch/pkg/one.csv").read_bytes() == ONE
    assert len(report.fetched) == 2
    assert site.state.hits == Counter()


def test_rejects_other_mirror_schemes(tmp_path: Path, entries: tuple[ManifestEntry, ...]) -> None:
    with pytest.raises(DownloadError, match="http://, https:// or file://"):
        download_datasets(tmp_path / "data", mirror="ftp://example.org/data")


def test_second_run_skips_valid_files(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    hits = sum(site.state.hits.values())

    report = download_datasets(dest, mirror=f"{site.url}/mirror")

    assert sum(site.state.hits.values()) == hits
    assert report.fetched == [] and report.extracted == []
    assert report.up_to_date
    assert {r.path.relative_to(dest).as_posix() for r in report.skipped} == {
        "sub/plain.csv",
        "arch/pkg.zip",
        "arch/pkg/one.csv",
        "arch/pkg/two.txt",
    }
    assert sum(r.size for r in report.skipped) == len(PLAIN) + len(ZIP) + len(ONE) + len(TWO)


def test_force_fetches_again(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    report = download_datasets(dest, mirror=f"{site.url}/mirror", force=True)
    assert len(report.fetched) == 2 and len(report.extracted) == 2
    assert report.skipped == []
    assert site.state.hits["/mirror/sub/plain.csv"] == 2


def test_corrupt_file_is_fetched_again(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    (dest / "sub/plain.csv").write_bytes(b"truncated")

    report = download_datasets(dest, mirror=f"{site.url}/mirror")

    assert (dest / "sub/plain.csv").read_bytes() == PLAIN
    assert [r.entry for r in report.fetched] == ["plain"]
    assert site.state.hits["/mirror/arch/pkg.zip"] == 1


def test_missing_member_is_extracted_from_the_kept_archive(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    (dest / "arch/pkg/two.txt").unlink()

    report = download_datasets(dest, mirror=f"{site.url}/mirror")

    assert (dest / "arch/pkg/two.txt").read_bytes() == TWO
    assert site.state.hits["/mirror/arch/pkg.zip"] == 1  # not downloaded again
    assert report.fetched == []
    assert {r.path.name for r in report.extracted} == {"one.csv", "two.txt"}


def test_checksum_mismatch_names_file_and_hashes(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "0" * 64
    monkeypatch.setattr(dl, "MANIFEST", (replace(entries[0], sha256=wrong),))
    dest = tmp_path / "data"

    with pytest.raises(DownloadError) as info:
        download_datasets(dest, mirror=f"{site.url}/mirror")

    message = str(info.value)
    assert "sub/plain.csv" in message
    assert wrong in message and sha(PLAIN) in message
    assert "\n" not in message
    assert not (dest / "sub/plain.csv").exists()
    assert leftovers(dest) == []


def test_member_checksum_mismatch(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = entries[1]
    assert archive.extract is not None
    bad = replace(archive.extract.members[0], sha256="f" * 64)
    monkeypatch.setattr(
        dl, "MANIFEST", (replace(archive, extract=replace(archive.extract, members=(bad,))),)
    )
    dest = tmp_path / "data"
    with pytest.raises(DownloadError, match=r"arch/pkg/one\.csv.*expected sha256 f{64}"):
        download_datasets(dest, mirror=f"{site.url}/mirror")
    assert not (dest / "arch/pkg/one.csv").exists()
    assert leftovers(dest) == []


def test_missing_zip_member(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = entries[1]
    assert archive.extract is not None
    gone = Member("pkg/absent.csv", "arch/pkg/absent.csv", None)
    monkeypatch.setattr(
        dl, "MANIFEST", (replace(archive, extract=replace(archive.extract, members=(gone,))),)
    )
    with pytest.raises(DownloadError, match=r"pkg\.zip has no member pkg/absent\.csv"):
        download_datasets(tmp_path / "data", mirror=f"{site.url}/mirror")


def test_retries_after_server_error(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    site.state.faults["/mirror/sub/plain.csv"] = "fail_once"
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    assert site.state.hits["/mirror/sub/plain.csv"] == 2
    assert (dest / "sub/plain.csv").read_bytes() == PLAIN


def test_retries_after_truncated_body(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    site.state.faults["/mirror/arch/pkg.zip"] = "truncate_once"
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    assert site.state.hits["/mirror/arch/pkg.zip"] == 2
    assert (dest / "arch/pkg.zip").read_bytes() == ZIP


def test_gives_up_after_three_server_errors(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    site.state.faults["/mirror/sub/plain.csv"] = "always_fail"
    dest = tmp_path / "data"
    with pytest.raises(DownloadError, match=r"failed 3 times .*HTTP 503"):
        download_datasets(dest, mirror=f"{site.url}/mirror")
    assert site.state.hits["/mirror/sub/plain.csv"] == 3
    assert not (dest / "sub/plain.csv").exists()
    assert leftovers(dest) == []


def test_not_found_is_not_retried(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    (site.root / "mirror/sub/plain.csv").unlink()
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_datasets(tmp_path / "data", mirror=f"{site.url}/mirror")
    assert site.state.hits["/mirror/sub/plain.csv"] == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_host_gives_one_line_offline_hint(
    tmp_path: Path, entries: tuple[ManifestEntry, ...]
) -> None:
    with pytest.raises(DownloadError) as info:
        download_datasets(tmp_path / "data", mirror=f"http://127.0.0.1:{closed_port()}", timeout=5)
    message = str(info.value)
    assert message.startswith("could not reach 127.0.0.1: ")
    assert message.endswith(
        "; this machine may be offline: copy the datasets and pass --source DIR"
    )
    assert "\n" not in message
    assert "Errno" not in message
    assert leftovers(tmp_path / "data") == []


def test_progress_reports_bytes(
    tmp_path: Path, site: Site, entries: tuple[ManifestEntry, ...]
) -> None:
    calls: list[tuple[str, int, int | None]] = []
    download_datasets(
        tmp_path / "data",
        mirror=f"{site.url}/mirror",
        progress=lambda name, done, total: calls.append((name, done, total)),
    )
    assert calls[0] == ("plain", 0, len(PLAIN))
    assert ("plain", len(PLAIN), len(PLAIN)) in calls
    assert calls[-1] == ("archive", len(ZIP), len(ZIP))


# --------------------------------------------------------------------------- RAR extraction

CREDITS = b"movie_id,title,cast,crew\n1,Alpha,[],[]\n"


@pytest.fixture
def rar_entry(site: Site, monkeypatch: pytest.MonkeyPatch) -> ManifestEntry:
    """A RAR entry whose 'archive' bytes are served as-is; extractors are faked per test."""
    site.put("mirror/t/credits.rar", b"RAR-BYTES:" + CREDITS)
    entry = ManifestEntry(
        name="credits",
        url="https://upstream.invalid/credits.rar",
        dest="t/credits.rar",
        sha256=None,
        mirror_path="t/credits.rar",
        extract=Extract(
            fmt="rar",
            members=(Member("credits.csv", "t/credits.csv", sha(CREDITS)),),
            keep_archive=False,
        ),
    )
    monkeypatch.setattr(dl, "MANIFEST", (entry,))
    return entry


def test_rar_with_fake_extractor(
    tmp_path: Path, site: Site, rar_entry: ManifestEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_extract(archive: Path, out_dir: Path) -> None:
        (out_dir / "credits.csv").write_bytes(archive.read_bytes().removeprefix(b"RAR-BYTES:"))

    monkeypatch.setattr(download_files, "_extract_rar", fake_extract)
    dest = tmp_path / "data"
    report = download_datasets(dest, mirror=f"{site.url}/mirror")

    assert (dest / "t/credits.csv").read_bytes() == CREDITS
    assert not (dest / "t/credits.rar").exists()  # the carrier archive is not kept
    assert [r.path.name for r in report.fetched] == ["credits.rar"]
    assert [r.path.name for r in report.extracted] == ["credits.csv"]
    assert leftovers(dest) == []

    again = download_datasets(dest, mirror=f"{site.url}/mirror")
    assert again.up_to_date and [r.path.name for r in again.skipped] == ["credits.csv"]


def write_fake_bsdtar(bindir: Path, *, fail: bool = False) -> None:
    """A stand-in `bsdtar -xf ARCHIVE -C DIR` that writes the member into a subfolder."""
    bindir.mkdir(exist_ok=True)
    script = bindir / "bsdtar"
    body = (
        "import sys; sys.stderr.write('bsdtar: Unrecognized archive format\\n'); sys.exit(1)\n"
        if fail
        else (
            "import pathlib, sys\n"
            "args = sys.argv[1:]\n"
            "archive = pathlib.Path(args[args.index('-xf') + 1])\n"
            "out = pathlib.Path(args[args.index('-C') + 1]) / 'inner'\n"
            "out.mkdir()\n"
            "(out / 'credits.csv').write_bytes(archive.read_bytes()[len(b'RAR-BYTES:'):])\n"
        )
    )
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(0o755)


def test_rar_through_bsdtar_subprocess(
    tmp_path: Path, site: Site, rar_entry: ManifestEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fake_bsdtar(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    assert (dest / "t/credits.csv").read_bytes() == CREDITS  # found in inner/ by base name
    assert leftovers(dest) == []


def test_rar_tool_failure_is_reported(
    tmp_path: Path, site: Site, rar_entry: ManifestEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fake_bsdtar(tmp_path / "bin", fail=True)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(
        DownloadError, match=r"bsdtar could not extract credits\.rar: bsdtar: Unrecognized"
    ):
        download_datasets(tmp_path / "data", mirror=f"{site.url}/mirror")
    assert leftovers(tmp_path / "data") == []


def test_rar_without_tool_says_what_to_install(
    tmp_path: Path, site: Site, rar_entry: ManifestEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(DownloadError) as info:
        download_datasets(tmp_path / "data", mirror=f"{site.url}/mirror")
    message = str(info.value)
    assert "needs bsdtar or unrar" in message
    assert "apt-get install libarchive-tools" in message
    assert "\n" not in message


def _rar4_block(head_type: int, flags: int, body: bytes) -> bytes:
    rest = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest


def rar4_stored(name: str, data: bytes) -> bytes:
    """A minimal RAR 4 archive holding `data` uncompressed (no RAR writer is needed)."""
    encoded = name.encode()
    dos_time = (2020 - 1980) << 25 | 1 << 21 | 1 << 16
    header = struct.pack(
        "<IIBIIBBHI",
        len(data),  # packed size
        len(data),  # unpacked size
        3,  # host OS: Unix
        zlib.crc32(data),
        dos_time,
        20,  # version needed to extract: 2.0
        0x30,  # method: stored
        len(encoded),
        0o100644,
    )
    return (
        b"Rar!\x1a\x07\x00"
        + _rar4_block(0x73, 0, bytes(6))  # archive header
        + _rar4_block(0x74, 0x8000, header + encoded)  # file header; data follows
        + data
        + _rar4_block(0x7B, 0x4000, b"")  # end of archive
    )


HAVE_RAR_READER = bool(shutil.which("bsdtar") or shutil.which("unrar"))


@pytest.mark.skipif(
    not HAVE_RAR_READER, reason="needs bsdtar (apt-get install libarchive-tools) or unrar"
)
def test_rar_with_real_tool(tmp_path: Path, site: Site, rar_entry: ManifestEntry) -> None:
    site.put("mirror/t/credits.rar", rar4_stored("credits.csv", CREDITS))
    dest = tmp_path / "data"
    download_datasets(dest, mirror=f"{site.url}/mirror")
    assert (dest / "t/credits.csv").read_bytes() == CREDITS
    assert not (dest / "t/credits.rar").exists()
    assert leftovers(dest) == []


# --------------------------------------------------------------------------- the real manifest


TRAIN_MORE = {
    "redial/train_more/train_more_full.jsonl",
    "redial/train_more/train_more_partial.jsonl",
}


def test_manifest_is_pinned_and_covers_the_builder_inputs() -> None:
    dests: list[str] = []
    for entry in MANIFEST:
        assert entry.url.startswith("https://")
        if "raw.githubusercontent.com" in entry.url:
            assert re.match(
                r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", entry.url
            )
        for rel, digest in entry.outputs():
            if digest is None:
                # Only an archive may go unpinned, and only when every member it yields is.
                assert rel == entry.dest and entry.extract is not None, rel
                assert all(m.sha256 for m in entry.extract.members), rel
            else:
                assert re.fullmatch(r"[0-9a-f]{64}", digest), rel
            dests.append(rel)
    assert len(dests) == len(set(dests))

    produced = {re.sub(r"\.(gz|zip)$", "", rel) for rel in dests}
    derived = {
        "redial/redial_movie_links.csv",
        "reviews/rotten_tomatoes_flatiron/rt_movie_links.csv",
    }
    required = {rel for rel, _ in DATASET_FILES.values()} - derived
    assert required <= produced
    # train_data is too large for any pinned copy; train_more is gathered from many
    # sources (shared/data/redial/train_more/README.md), not one upstream file: both are
    # optional inputs that a download does not produce.
    assert set(REDIAL_TRAIN_FILES) - {"redial/train_data.jsonl"} - TRAIN_MORE <= produced
    assert not TRAIN_MORE & produced


@needs_shared_data
def test_manifest_hashes_match_shared_data() -> None:
    pinned: dict[str, str] = {}
    for line in (SHARED_DATA / "MANIFEST.sha256").read_text().splitlines():
        if line.strip():
            line_sha, line_rel = line.split(maxsplit=1)
            pinned[line_rel] = line_sha
    unpinned = []
    for entry in MANIFEST:
        for rel, digest in entry.outputs():
            if digest is None:  # an archive whose members are pinned (checked above)
                continue
            if rel in pinned:
                assert pinned[rel] == digest, rel
            else:
                unpinned.append(rel)
    assert unpinned == ["tmdb/tmdb_5000_credits.csv"]
    # The credits CSV is stored re-compressed in shared/data; its README gives the CSV hash.
    (credits,) = (e for e in MANIFEST if e.name == "tmdb_credits")
    assert credits.extract is not None
    csv_sha = credits.extract.members[0].sha256
    assert csv_sha is not None
    assert csv_sha in (SHARED_DATA / "README.md").read_text()


def build_mirror_from_shared_data(mirror: Path) -> None:
    for entry in MANIFEST:
        if entry.name == "tmdb_credits":
            continue  # no RAR in shared/data; served as a placeholder below
        target = mirror / entry.mirror_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_DATA / entry.mirror_path, target)
    # No RAR in shared/data: wrap the gunzipped CSV in a stored RAR when a reader exists,
    # else serve a placeholder that `gunzip_credits` replaces the extractor for.
    rar = mirror / "tmdb/tmdb_5000_credits.rar"
    rar.parent.mkdir(parents=True, exist_ok=True)
    if HAVE_RAR_READER:
        with gzip.open(SHARED_DATA / "tmdb/tmdb_5000_credits.csv.gz") as src:
            rar.write_bytes(rar4_stored("tmdb_5000_credits.csv", src.read()))
    else:
        rar.write_bytes(b"placeholder: see gunzip_credits")


def gunzip_credits(archive: Path, out_dir: Path) -> None:
    """Stands in for bsdtar: shared/data holds the credits CSV gzipped, not the RAR."""
    with (
        gzip.open(SHARED_DATA / "tmdb/tmdb_5000_credits.csv.gz") as src,
        (out_dir / "tmdb_5000_credits.csv").open("wb") as out,
    ):
        shutil.copyfileobj(src, out, 1 << 20)


@pytest.mark.integration
@needs_shared_data
def test_real_manifest_through_local_mirror(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_mirror_from_shared_data(site.root)
    if not HAVE_RAR_READER:
        monkeypatch.setattr(download_files, "_extract_rar", gunzip_credits)
    dest = tmp_path / "cache" / "data"

    report = download_datasets(dest, mirror=site.url)

    assert {r.entry for r in report.fetched} == {e.name for e in MANIFEST}
    found = locate_files(dest)
    assert found.require("tmdb_credits") == dest / "tmdb/tmdb_5000_credits.csv"
    assert found.require("ml_ratings") == dest / "movielens/ml-latest-small/ratings.csv"
    assert len(found.redial_train) == 2  # the train_partial files; train_more is not fetched
    assert leftovers(dest) == []

    again = download_datasets(dest, mirror=site.url)
    assert again.up_to_date
