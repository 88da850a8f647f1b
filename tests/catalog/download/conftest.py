"""Fixtures of the download tests: the local site, the synthetic manifest, no backoff."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from convrec.catalog import download as dl
from convrec.catalog.download_manifest import ManifestEntry
from tests.catalog.download.local_site import ServerState, Site, _Handler, synthetic_entries


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



@pytest.fixture
def entries(site: Site, monkeypatch: pytest.MonkeyPatch) -> tuple[ManifestEntry, ...]:
    made = synthetic_entries(site)
    monkeypatch.setattr(dl, "MANIFEST", made)
    return made

