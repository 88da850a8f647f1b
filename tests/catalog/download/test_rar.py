"""RAR extraction: a fake extractor, bsdtar as a subprocess, and the real tool on a
hand-built RAR 4 archive."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from convrec.catalog import download as dl
from convrec.catalog import download_files
from convrec.catalog.download import download_datasets
from convrec.catalog.download_manifest import Extract, ManifestEntry, Member
from convrec.errors import DownloadError
from tests.catalog.download.local_site import HAVE_RAR_READER, Site, leftovers, rar4_stored, sha

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


