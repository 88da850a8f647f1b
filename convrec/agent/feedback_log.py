"""The durable feedback log: every like, "not for me" and "seen it", with a UTC timestamp.

The thread's ledger (in the checkpoint) is what the agent acts on; this log is the record
that outlives threads, for analysis and for training. Rows are only ever appended.

Two backends, one interface: `FeedbackLog`, a SQLite file (the embedded default), and
`PostgresFeedbackLog`, a table in the sessions' PostgreSQL database that every app replica
shares (CONVREC_SESSIONS_URL). `open_feedback_log(settings)` picks one.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from convrec.agent.sessions_db import open_pool, schema_lock, sessions_url, translated
from convrec.config import Settings

_DDL = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,            -- ISO 8601, UTC
    thread_id TEXT NOT NULL,
    user_id TEXT,                -- NULL: anonymous
    item_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('like', 'reject', 'seen')),
    turn INTEGER NOT NULL,
    source TEXT NOT NULL         -- 'ui', 'cli', 'api'
);
CREATE INDEX IF NOT EXISTS feedback_thread ON feedback (thread_id);
"""


@dataclass(frozen=True)
class FeedbackRow:
    at: str
    thread_id: str
    user_id: str | None
    item_id: int
    kind: str
    turn: int
    source: str


class FeedbackLog:
    """Append-only SQLite log, safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30,
                                     isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_DDL)

    def record(self, *, thread_id: str, user_id: str | None, item_id: int, kind: str,
               turn: int, source: str = "api") -> FeedbackRow:
        row = FeedbackRow(at=datetime.now(UTC).isoformat(timespec="milliseconds"),
                          thread_id=thread_id, user_id=user_id, item_id=int(item_id),
                          kind=kind, turn=int(turn), source=source)
        self._insert(row)
        return row

    def rows(self, thread_id: str | None = None) -> list[FeedbackRow]:
        """The logged rows, oldest first (of one thread when given)."""
        return [FeedbackRow(*r) for r in self._select(thread_id)]

    def _insert(self, row: FeedbackRow) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO feedback (at, thread_id, user_id, item_id, kind, turn, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [row.at, row.thread_id, row.user_id, row.item_id, row.kind, row.turn, row.source])

    def _select(self, thread_id: str | None) -> list[Any]:
        sql = "SELECT at, thread_id, user_id, item_id, kind, turn, source FROM feedback"
        args: list[str] = []
        if thread_id is not None:
            sql += " WHERE thread_id = ?"
            args.append(thread_id)
        with self._lock:
            return list(self._conn.execute(sql + " ORDER BY id", args).fetchall())

    def close(self) -> None:
        with self._lock:
            self._conn.close()


_PG_DDL = """
CREATE TABLE IF NOT EXISTS convrec_feedback (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    user_id TEXT,
    item_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('like', 'reject', 'seen')),
    turn INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS convrec_feedback_thread ON convrec_feedback (thread_id);
"""


class PostgresFeedbackLog(FeedbackLog):
    """The same log as a table of the sessions' PostgreSQL database (every replica appends
    to it and reads it); a lost connection is a one-line ConvrecError."""

    def __init__(self, url: str) -> None:
        self.path = Path("postgresql")
        self._url = url
        self._pool = open_pool(url, name="feedback", max_size=4)
        try:
            with schema_lock(self._pool, url) as conn:
                for statement in filter(str.strip, _PG_DDL.split(";")):
                    conn.execute(statement)
        except BaseException:
            self._pool.close()
            raise

    def _insert(self, row: FeedbackRow) -> None:
        with translated(self._url), self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO convrec_feedback (at, thread_id, user_id, item_id, kind, turn, "
                "source) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [row.at, row.thread_id, row.user_id, row.item_id, row.kind, row.turn, row.source])

    def _select(self, thread_id: str | None) -> list[Any]:
        sql = "SELECT at, thread_id, user_id, item_id, kind, turn, source FROM convrec_feedback"
        args: list[str] = []
        if thread_id is not None:
            sql += " WHERE thread_id = %s"
            args.append(thread_id)
        with translated(self._url), self._pool.connection() as conn:
            found = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [(r["at"], r["thread_id"], r["user_id"], r["item_id"], r["kind"], r["turn"],
                 r["source"]) for r in found]

    def close(self) -> None:
        self._pool.close()


def open_feedback_log(settings: Settings) -> FeedbackLog:
    """The settings' feedback log: in the sessions' PostgreSQL database when
    CONVREC_SESSIONS_URL is set, else the SQLite file settings.feedback."""
    url = sessions_url(settings)
    return PostgresFeedbackLog(url) if url is not None else FeedbackLog(settings.feedback)
