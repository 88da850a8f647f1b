"""`convrec bench load` against the shared-engine stack: PostgreSQL sessions + a Chroma server.

For docs/reliability/load.md (section load-<backend>-servers):

    TESTS_PREBUILT_HOME=/work/home python -m tests.engines.load_on_servers \
        [--sessions 10,20,50 --turns 10 --backend none --write]

Starts Debian's PostgreSQL and chromadb's `chroma run` on loopback with temporary folders
(the tests' harness, tests/harness/), populates the server's dense collection from the
home's index with `build_dense_index(..., chroma_url=...)` (the same call `convrec index
build` makes), then runs `convrec bench load` with CONVREC_SESSIONS_URL and
CONVREC_CHROMA_URL set, so the app it starts keeps sessions, feedback and jobs in
PostgreSQL and searches the Chroma server. Arguments after the module go to `bench load`.
Both engines are stopped and their folders removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from convrec.catalog.db import Catalog
from convrec.tools.dense import build_dense_index
from tests.harness.chroma import ChromaServer
from tests.harness.postgres import PostgresServer, find_bin_dir

DEFAULT_ARGS = ["--sessions", "10,20,50", "--turns", "10", "--backend", "none"]


def main(argv: list[str]) -> int:
    home = Path(os.environ.get("TESTS_PREBUILT_HOME", os.environ.get("CONVREC_HOME", ".")))
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (apt-get install postgresql)", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="convrec-stack-"))
    pg = PostgresServer(bin_dir).init()
    pg.start()
    chroma = ChromaServer(root / "chroma", root / "chroma.log").start()
    try:
        url = pg.new_database("load")
        info = build_dense_index(Catalog(home / "catalog.sqlite"), home / "index",
                                 chroma_url=chroma.url)
        print(f"dense collection {info.get('collection')} on {chroma.url}", file=sys.stderr)
        env = dict(os.environ, CONVREC_HOME=str(home), CONVREC_SESSIONS_URL=url,
                   CONVREC_CHROMA_URL=chroma.url)
        command = [sys.executable, "-m", "convrec.cli", "bench", "load", *(argv or DEFAULT_ARGS)]
        return subprocess.call(command, env=env)
    finally:
        chroma.stop()
        pg.stop()
        pg.remove()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
