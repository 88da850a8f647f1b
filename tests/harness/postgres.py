"""A real PostgreSQL server for the tests: Debian's `postgresql` (initdb + pg_ctl), started once
per test session on a free loopback port with its data and unix socket in a temporary folder,
stopped and removed at the end.

`postgres_server` (session-scoped, registered in tests/conftest.py) yields a `PostgresServer`:
`new_database()` gives each test a database of its own (a URL with user and password),
`stop()` / `start()` take the server away and bring it back on the same port (the fault tests).
initdb refuses to run as root, so under uid 0 (containers, CI) the server runs as the
`postgres` system user. Without the binaries the fixture skips with the reason, or fails when
CONVREC_REQUIRE_ENGINES=1 (`make test`, which installs Debian's postgresql first).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE = os.environ.get("CONVREC_REQUIRE_ENGINES") == "1"  # read before any test's env reset
USER = "convrec"
PASSWORD = "pg-test-" + uuid.uuid4().hex[:12]  # a real password: errors must never show it


def find_bin_dir() -> Path | None:
    """Debian's newest /usr/lib/postgresql/N/bin (or pg_ctl on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"PostgreSQL is required here (CONVREC_REQUIRE_ENGINES=1): {reason}",
                    pytrace=False)
    pytest.skip(reason)


class PostgresServer:
    """One throwaway cluster: `initdb` into a temp folder, `pg_ctl` on 127.0.0.1:port."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="convrec-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "server.log"
        self.port = _free_port()
        self.as_user: str | None = None
        if os.getuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run "
                                   "the server as") from None
            self.as_user = "postgres"
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 120) -> str:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout)[-2000:]}\n{self.log()}")
        return done.stdout

    def init(self) -> PostgresServer:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_user:
            shutil.chown(pwfile, self.as_user, self.as_user)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
                  "--no-instructions")
        pwfile.unlink()
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
                   "-c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Take the server away (`fast`: ends every connection; `immediate`: like a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh empty database; its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log(self, tail: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def remove(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL not found (no /usr/lib/postgresql/*/bin/pg_ctl): "
                    "apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed: pip install -e '.[postgres]'")
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    try:
        server.init().start()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        server.remove()
        unavailable(f"could not start PostgreSQL: {' '.join(str(exc).split())[:300]}")
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The session's server, running (a test that stopped it gets it started again after)."""
    if not postgres_server.running:
        postgres_server.start()
    yield postgres_server
    if not postgres_server.running:
        postgres_server.start()
