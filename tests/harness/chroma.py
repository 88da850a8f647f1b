"""chromadb's own server (`chroma run`) for the tests: loopback, a free port, a temporary data
folder; stopped, killed and restarted on the same folder for the fault tests.

`chroma_server` is a session fixture (imported by tests/conftest.py, so every test folder
can ask for it); `ChromaServer` starts one of a test's own. Where the server cannot run (no
`chroma` next to the interpreter, it does not start) the test is skipped with the reason,
or fails instead under CONVREC_REQUIRE_ENGINES=1 (`make test`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# Read at import: the autouse isolated_env fixture clears CONVREC_* for each test.
REQUIRE_ENGINES = os.environ.get("CONVREC_REQUIRE_ENGINES") == "1"
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_binary() -> Path:
    """chromadb's CLI, installed next to this interpreter."""
    return Path(sys.executable).parent / "chroma"


def unavailable(reason: str) -> None:
    """Skip the test with `reason`, or fail it where the engines are required."""
    if REQUIRE_ENGINES:
        pytest.fail(f"CONVREC_REQUIRE_ENGINES=1 but the Chroma server cannot run: {reason}")
    pytest.skip(f"Chroma server unavailable: {reason}")


class ChromaServer:
    """`chroma run --path DATA --host 127.0.0.1 --port P` as a child process group."""

    def __init__(self, data: Path, log_path: Path, port: int | None = None) -> None:
        self.data = Path(data)
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def heartbeat(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v2/heartbeat", timeout=2) as reply:
                return "nanosecond heartbeat" in json.loads(reply.read())
        except (OSError, ValueError):
            return False

    def start(self, timeout: float = START_TIMEOUT_S) -> ChromaServer:
        """Start it (on the same folder and port as before, after a stop) and wait for its
        heartbeat; RuntimeError with its log when it does not come up."""
        binary = chroma_binary()
        if not binary.is_file():
            raise FileNotFoundError(f"no {binary} (is chromadb installed?)")
        self.data.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        deadline = time.monotonic() + timeout
        while True:  # the port may linger a moment after a kill
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    [str(binary), "run", "--path", str(self.data), "--host", "127.0.0.1",
                     "--port", str(self.port)],
                    stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.heartbeat():
                    return self
                time.sleep(0.2)
            if self.proc.poll() is None or time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(f"the Chroma server did not answer in {timeout:.0f} s:\n"
                                   f"{self.log()}")
            if "not available" not in self.log(400):
                raise RuntimeError(f"the Chroma server exited with {self.proc.returncode}:\n"
                                   f"{self.log()}")
            time.sleep(0.5)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it (SIGTERM; SIGKILL after 20 s); its data folder stays."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)

    def kill(self) -> None:
        """SIGKILL: the server goes away with no clean-up."""
        self.stop(signal.SIGKILL)

    def restart(self) -> ChromaServer:
        self.stop()
        return self.start()

    def log(self, tail: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


def start_chroma(data: Path, log_path: Path) -> ChromaServer:
    """A started server, or skip / fail (see `unavailable`)."""
    server = ChromaServer(data, log_path)
    try:
        return server.start()
    except (OSError, RuntimeError) as exc:
        unavailable(str(exc).splitlines()[0])
        raise  # not reached


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One Chroma server for the test session (its URL: `chroma_server.url`)."""
    root = tmp_path_factory.mktemp("chroma-server")
    server = start_chroma(root / "data", root / "chroma.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chroma_url(chroma_server: ChromaServer) -> str:
    """The session Chroma server's URL, http://127.0.0.1:PORT."""
    return chroma_server.url
