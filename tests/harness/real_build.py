"""The real catalog's indexes, built in a process of their own while other tests run.

Building them is the longest step of a full test session (the dense vectors, the CF model
and the learned ranker: a quarter of an hour on 2 cores), and half the suite never reads
them. So the session starts this build as soon as it knows a selected test needs it
(`conftest.pytest_collection_modifyitems`), runs the tests that do not first, and the first
test that asks for the real catalog or indexes waits for the build here. The build runs the
same function as an in-process one (`build_indexes`), on the same inputs, at a lower CPU
priority so the tests running beside it keep theirs. The catalog itself (12 s) is built
first, in the foreground, alone, as before: its tests read how long its build took.

`python -m tests.harness.real_build OUT` builds OUT/index/ from OUT/catalog.sqlite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from convrec.catalog.builder import build_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG = "catalog.sqlite"
INDEX = "index"
LOG = "build.log"
NICE = 10  # the tests beside it come first; the build takes what is left


class BackgroundBuild:
    """The real catalog, built now, and its indexes, building in the background, in `folder`."""

    def __init__(self, data_dir: Path, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.error: Exception | None = None
        self.process: subprocess.Popen[bytes] | None = None
        try:  # in the foreground, alone, as the catalog tests expect it built (12 s)
            build_catalog(data_dir, self.catalog_path)
        except Exception as exc:  # the tests that need it fail with it, not the session
            self.error = exc
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
        env["CONVREC_HOME"] = str(folder / "home")
        with open(folder / LOG, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.harness.real_build", str(folder)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=lambda: os.nice(NICE))

    @property
    def catalog_path(self) -> Path:
        return self.folder / CATALOG

    @property
    def index_dir(self) -> Path:
        return self.folder / INDEX

    def built_catalog(self) -> Path:
        """The catalog (built before the indexes started; nothing to wait for)."""
        if self.error is not None:
            raise self.error
        return self.catalog_path

    def wait_all(self) -> Path:
        """The index folder, once every index is built."""
        if self.error is not None:
            raise self.error
        assert self.process is not None
        if self.process.wait() != 0:
            tail = (self.folder / LOG).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"building the real indexes in the background failed "
                               f"(exit {self.process.returncode}):\n{tail}")
        return self.index_dir

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def main(out: str) -> None:
    from convrec.catalog.db import Catalog
    from convrec.tools.index_build import build_indexes

    folder = Path(out)
    catalog = Catalog(folder / CATALOG)
    for name, summary in build_indexes(catalog, folder / INDEX).items():
        print(f"{name}: {summary.get('seconds')} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
