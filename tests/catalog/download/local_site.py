"""A local HTTP server and a synthetic manifest for the download tests (never the real network)."""

from __future__ import annotations

import hashlib
import http.server
import io
import shutil
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from convrec.catalog.download_manifest import Extract, ManifestEntry, Member

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
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




def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part") or ".extract-" in str(p)]


# --------------------------------------------------------------------------- RAR 4 archives


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
