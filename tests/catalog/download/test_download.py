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

import socket
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from convrec.catalog import download as dl
from convrec.catalog.download import download_datasets, entry_url
from convrec.catalog.download_manifest import ManifestEntry, Member
from convrec.errors import DownloadError
from tests.catalog.download.local_site import ONE, PLAIN, TWO, ZIP, Site, leftovers, sha

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


