"""The real manifest: pinned, covering the builder's inputs, matching shared/data, and
fetched whole through a local mirror."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest

from convrec.catalog import download_files
from convrec.catalog.download import download_datasets
from convrec.catalog.download_manifest import MANIFEST
from convrec.catalog.sources import DATASET_FILES, REDIAL_TRAIN_FILES, locate_files
from tests.catalog.download.local_site import (
    HAVE_RAR_READER,
    SHARED_DATA,
    Site,
    leftovers,
    needs_shared_data,
    rar4_stored,
)

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
