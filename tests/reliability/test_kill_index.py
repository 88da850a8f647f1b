"""`kill -9` of `convrec index build` partway (the synthetic catalog; bm25 and dense): the
index it was writing is never taken as complete (no manifest: the loaders refuse it in one
line naming the command), and the next build finishes it and everything loads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convrec.errors import ConvrecError
from convrec.tools.indexes import MANIFEST
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration
ONLY = ("bm25", "dense")  # the first two, to keep the test short; the rest are built alike


def build_env(tmp_path: Path, source: Path, catalog: Path, index_dir: Path) -> dict[str, str]:
    """The synthetic catalog's own sources (else the CLI would rebuild it from the real
    datasets), a fresh index folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
    env.update({"CONVREC_HOME": str(tmp_path / "home"), "CONVREC_CATALOG_PATH": str(catalog),
                "CONVREC_DATA_DIR": str(source),
                "CONVREC_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(REPO_ROOT)})
    return env


def build(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen([sys.executable, "-m", "convrec.cli", "index", "build",
                                 "--only", ",".join(ONLY)],
                                env=env, stdout=sink, stderr=subprocess.STDOUT,
                                cwd=str(log.parent), start_new_session=True)


@pytest.mark.timeout(600)
def test_a_killed_index_build_is_never_taken_and_the_next_build_finishes(
        synthetic_source, synthetic_catalog, synthetic_catalog_path, tmp_path):
    from convrec.tools.bm25 import load_bm25
    from convrec.tools.context import Resources, ToolContext
    from convrec.tools.dense import load_dense

    index_dir = tmp_path / "index"
    env = build_env(tmp_path, synthetic_source[0], synthetic_catalog_path, index_dir)
    log = tmp_path / "build.log"
    proc = build(env, log)
    dense = index_dir / "dense"
    deadline = time.monotonic() + 300
    # kill it once bm25 is done and the dense build has begun (its folder, no manifest)
    while not ((index_dir / "bm25" / MANIFEST).is_file() and dense.is_dir()):
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the build never reached the dense index"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -9
    assert not (dense / MANIFEST).is_file(), "the build finished before it was killed"

    with pytest.raises(ConvrecError) as refused:
        load_dense(ToolContext(Resources(synthetic_catalog, index_dir)))
    message = str(refused.value)
    assert "incomplete" in message and "convrec index build" in message and "\n" not in message

    again = build(env, log)
    assert again.wait(timeout=420) == 0, log.read_text()[-3000:]
    for name in ONLY:
        assert (index_dir / name / MANIFEST).is_file(), name
    ctx = ToolContext(Resources(synthetic_catalog, index_dir))
    assert load_bm25(ctx) is not None and load_dense(ctx) is not None
