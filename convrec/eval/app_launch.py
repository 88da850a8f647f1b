"""`convrec ui` in a child process for benchmarks: started on a free loopback port, waited
for until it serves, measured (resident memory), stopped.

The child gets this process's environment (so CONVREC_SESSIONS_URL, CONVREC_CHROMA_URL and
the like choose its stack), with the catalog, indexes and model cache pinned to this
process's settings and, unless a sessions URL or path is set, its sessions and feedback in
a temporary folder of its own (a benchmark must not fill anyone's chat history).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from convrec.config import Settings
from convrec.errors import ConvrecError

START_TIMEOUT_S = 600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_bytes(pid: int) -> int | None:
    """Resident memory of `pid` and its children (psutil; else /proc/PID/status)."""
    try:
        import psutil  # deferred: psutil is optional here (else /proc/PID/status)

        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return int(total)
    except ImportError:
        pass
    except Exception:  # psutil.Error: the process is gone
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def app_env(settings: Settings, work: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CONVREC_HOME": str(work / "home"), "CONVREC_CATALOG_PATH": str(settings.catalog),
        "CONVREC_INDEX_DIR": str(settings.index), "CONVREC_LLM_CACHE_DIR": str(settings.llm_cache),
        "CONVREC_CACHE_DIR": str(settings.cache), "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False", "PYTHONUNBUFFERED": "1",
    })
    if not os.environ.get("CONVREC_SESSIONS_URL"):
        env["CONVREC_SESSIONS_PATH"] = str(work / "sessions.sqlite")
        env["CONVREC_FEEDBACK_PATH"] = str(work / "feedback.sqlite")
    env.update(extra)
    return env


class LaunchedApp:
    """`convrec ui --backend B --port P` in a process group of its own."""

    def __init__(self, settings: Settings, *, backend: str, port: int | None = None,
                 **extra_env: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="convrec-load-")
        self.work = Path(self._tmp.name)
        self.env = app_env(settings, self.work, **extra_env)
        self.backend = backend
        self.port = port or free_port()
        self.log_path = self.work / "app.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, timeout: float = START_TIMEOUT_S) -> LaunchedApp:
        cmd = [sys.executable, "-m", "convrec.cli", "ui", "--port", str(self.port),
               "--backend", self.backend]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ConvrecError(f"the app exited with code {self.proc.returncode}: "
                                   f"{self.last_line()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ConvrecError(f"the app did not serve within {timeout:.0f} s: {self.last_line()}")

    def last_line(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1][:300] if lines else "no output"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self._tmp.cleanup()

    def __enter__(self) -> LaunchedApp:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
