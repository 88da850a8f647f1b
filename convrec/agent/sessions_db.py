"""Where sessions live: a SQLite file (the embedded default) or a shared PostgreSQL database.

`CONVREC_SESSIONS_URL=postgresql://...` puts the LangGraph checkpoints (`PostgresSaver`), the
feedback log and the jobs' records in one PostgreSQL database that every app replica shares;
empty, they stay in SQLite files and folders under HOME.

On PostgreSQL each store holds a thread-safe `psycopg_pool.ConnectionPool` (autocommit,
no prepared statements, dict rows: what `PostgresSaver` expects). The pool checks a
connection before lending it, so after the server restarts the next call reconnects; while
it is down a call fails within `POOL_TIMEOUT_S` with a one-line `ConvrecError` naming the
database (never its password), and the thread's last complete turn stays as it was.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from convrec.config import Settings
from convrec.errors import ConfigError, ConvrecError

log = logging.getLogger(__name__)

POOL_TIMEOUT_S = 5.0
"""How long a call waits for a connection before it reports the database unreachable."""
CONNECT_TIMEOUT_S = 3
SCHEMA_LOCK = 0x636F6E7672656301
"""The advisory lock under which a replica creates or migrates the tables (`schema_lock`)."""
SCHEMA_LOCK_WAIT_S = 120.0


def sessions_url(settings: Settings) -> str | None:
    """The PostgreSQL URL of the sessions' database, None for the embedded SQLite files."""
    secret: Any = settings.sessions_url  # a str when set by model_copy(update=...)
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.strip() or None if isinstance(secret, str) else None


def describe(url: str) -> str:
    """The database of `url` as `host:port/dbname`, without user or password."""
    # deferred: optional dependency (convrec[postgres])
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "postgresql"
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):
        host = "socket " + host
    port = parts.get("port") or 5432
    return f"{host}:{port}/{parts.get('dbname') or ''}"


def database_error(exc: BaseException, url: str) -> ConvrecError:
    """`exc` (a psycopg error) as one line naming the sessions database."""
    from psycopg_pool import PoolTimeout  # deferred: optional dependency (convrec[postgres])

    where = describe(url)
    if isinstance(exc, PoolTimeout):
        detail = f"no connection within {POOL_TIMEOUT_S:g} s"
    else:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    password = _password(url)
    if password:
        detail = detail.replace(password, "****")
    return ConvrecError(f"the sessions database (PostgreSQL at {where}) is unreachable: "
                        f"{detail}; try again when it is back")


def _password(url: str) -> str | None:
    # deferred: optional dependency (convrec[postgres])
    from psycopg.conninfo import conninfo_to_dict

    try:
        found = conninfo_to_dict(url).get("password")
    except Exception:
        return None
    return str(found) if found else None


def is_connection_error(exc: BaseException) -> bool:
    """A lost or refused connection (not a bad query): the database is away."""
    import psycopg  # deferred: optional dependency (convrec[postgres])

    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


@contextlib.contextmanager
def translated(url: str) -> Iterator[None]:
    """Turn a lost or refused connection inside the block into a one-line ConvrecError."""
    try:
        yield
    except ConvrecError:
        raise
    except Exception as exc:
        if is_connection_error(exc):
            error = database_error(exc, url)
            log.warning("%s", error)  # one line (the pool's own retries are not logged)
            raise error from None
        raise


def open_pool(url: str, *, name: str, max_size: int = 8) -> Any:
    """A ConnectionPool on `url` as PostgresSaver expects it, opened; the first connection is
    made on first use (so a replica starts even while the database restarts)."""
    try:
        # deferred: optional dependency (convrec[postgres]); a missing one is said in one line
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool  # deferred: optional dependency (convrec[postgres])
    except ImportError:
        raise ConfigError("CONVREC_SESSIONS_URL needs the postgres extra: "
                          "pip install -e '.[postgres]'") from None
    # the pool logs every failed reconnection attempt in several lines; `translated` logs one
    # line per call that fails instead
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    return ConnectionPool(
        url, name=name, min_size=1, max_size=max_size, open=True, timeout=POOL_TIMEOUT_S,
        check=ConnectionPool.check_connection, reconnect_timeout=24 * 3600.0,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                "connect_timeout": CONNECT_TIMEOUT_S})


@contextlib.contextmanager
def schema_lock(pool: Any, url: str) -> Iterator[Any]:
    """A connection holding the schema lock: replicas that start together create and migrate
    the tables one at a time (concurrent CREATE TABLE IF NOT EXISTS, or two runs of the
    checkpointer's migrations, fail with a unique violation)."""
    with translated(url), pool.connection() as conn:
        # try and sleep rather than wait in pg_advisory_lock: a waiting statement holds a
        # snapshot, which the migrations' CREATE INDEX CONCURRENTLY would wait for in turn
        deadline = time.monotonic() + SCHEMA_LOCK_WAIT_S
        while not conn.execute("SELECT pg_try_advisory_lock(%s) AS got",
                               [SCHEMA_LOCK]).fetchone()["got"]:
            if time.monotonic() > deadline:
                raise ConvrecError(f"the sessions database ({describe(url)}) is being set up "
                                   f"by another replica for over {SCHEMA_LOCK_WAIT_S:g} s")
            time.sleep(0.1)
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [SCHEMA_LOCK])


def _postgres_saver(url: str) -> Any:
    try:
        # deferred: optional dependency (convrec[postgres]); a missing one is said in one line
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:
        raise ConfigError("CONVREC_SESSIONS_URL needs the postgres extra: "
                          "pip install -e '.[postgres]'") from None

    class Saver(PostgresSaver):
        """PostgresSaver whose every database call (they all go through `_cursor`) fails in
        one line when the database is away."""

        shared = True  # one database for every replica

        @contextlib.contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            with translated(url), super()._cursor(pipeline=pipeline) as cur:
                yield cur

    pool = open_pool(url, name="sessions", max_size=4)  # the saver holds a lock per call
    saver = Saver(pool)
    try:
        with schema_lock(pool, url):
            saver.setup()  # on another connection of the pool
    except BaseException:
        pool.close()
        raise
    return saver


def open_checkpointer(where: Settings | Path) -> Any:
    """The checkpointer of the settings' sessions (PostgresSaver on CONVREC_SESSIONS_URL, else
    SqliteSaver on the sessions file), or a SqliteSaver on a file; safe to share between
    threads. Its `conn` (a sqlite3 connection or the pool) is what `close_checkpointer`
    closes."""
    if isinstance(where, Settings):
        url = sessions_url(where)
        if url is not None:
            return _postgres_saver(url)
        where = where.sessions
    # deferred: langgraph's SQLite saver takes ~1 s to import
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def close_checkpointer(checkpointer: Any) -> None:
    conn = getattr(checkpointer, "conn", None)
    if conn is not None:
        conn.close()


def thread_ids(checkpointer: Any, limit: int = 50) -> list[str]:
    """Thread ids with saved state, most recent first."""
    if getattr(checkpointer, "shared", False):
        # checkpoint ids are time-ordered (uuid6): a thread's newest is its last turn
        with checkpointer._cursor() as cur:
            cur.execute("SELECT thread_id, max(checkpoint_id) AS newest FROM checkpoints "
                        "WHERE checkpoint_ns = '' GROUP BY thread_id "
                        "ORDER BY newest DESC LIMIT %s", (int(limit),))
            return [row["thread_id"] for row in cur.fetchall()]
    seen: dict[str, None] = {}
    for checkpoint in checkpointer.list(None, limit=limit * 20):
        seen.setdefault(checkpoint.config["configurable"]["thread_id"], None)
        if len(seen) >= limit:
            break
    return list(seen)
