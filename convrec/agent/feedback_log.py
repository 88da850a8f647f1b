"""The durable feedback log: every like, "not for me" and "seen it", with a UTC timestamp.

The thread's ledger (in the checkpoint) is what the agent acts on; this log is the record
that outlives threads, for analysis and for training. Rows are only ever appended.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
        with self._lock:
            self._conn.execute(
                "INSERT INTO feedback (at, thread_id, user_id, item_id, kind, turn, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [row.at, row.thread_id, row.user_id, row.item_id, row.kind, row.turn, row.source])
        return row

    def rows(self, thread_id: str | None = None) -> list[FeedbackRow]:
        """The logged rows, oldest first (of one thread when given)."""
        sql = "SELECT at, thread_id, user_id, item_id, kind, turn, source FROM feedback"
        args: list[str] = []
        if thread_id is not None:
            sql += " WHERE thread_id = ?"
            args.append(thread_id)
        with self._lock:
            found = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [FeedbackRow(*r) for r in found]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
