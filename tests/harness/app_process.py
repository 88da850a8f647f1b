"""The browser app in a process of its own: `convrec ui` on a free loopback port.

For what an in-process server cannot show: two replicas sharing engines, `kill -9` in the
middle of a turn and a restart, load from another process. The process reads the real
catalog and indexes the test session built (or the prebuilt home) and writes everything
else (sessions, feedback, jobs) under its own home, unless the test points it elsewhere
with environment variables (CONVREC_SESSIONS_URL, CONVREC_CHROMA_URL, ...).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT

START_TIMEOUT_S = 300.0  # loading the indexes on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def real_app_env(home: Path, *, catalog: Path, index_dir: Path, llm_cache: Path | None = None,
                 **extra: str) -> dict[str, str]:
    """The environment of an app process over the real catalog and indexes, its own home,
    no rate limit to speak of, offline; `extra` adds or overrides CONVREC_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
    env.update({
        "CONVREC_HOME": str(home), "CONVREC_CATALOG_PATH": str(catalog),
        "CONVREC_INDEX_DIR": str(index_dir), "CONVREC_UI_RATE_LIMIT": "100000",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    })
    if llm_cache is not None:
        env["CONVREC_LLM_CACHE_DIR"] = str(llm_cache)
    env.update(extra)
    return env


class AppProcess:
    """`convrec ui --backend B --port P` as a child process; `start()` waits until it serves."""

    def __init__(self, env: dict[str, str], log_path: Path, *, backend: str = "none",
                 port: int | None = None, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.log_path = log_path
        self.backend = backend
        self.port = port or free_port()
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = START_TIMEOUT_S) -> AppProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        cmd = [sys.executable, "-m", "convrec.cli", "ui", "--port", str(self.port),
               "--backend", self.backend, *self.args]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=str(REPO_ROOT), start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"the app did not serve in {timeout:.0f} s:\n{self.log()}")

    def client(self, **kwargs: Any) -> Any:
        """A gradio_client Client on this app (its /turn API and the page's endpoints)."""
        from gradio_client import Client

        return Client(self.url + "/", verbose=False, **kwargs)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the app's whole process group (SIGKILL: no clean-up at all)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=60)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def __enter__(self) -> AppProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
