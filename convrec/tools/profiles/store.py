"""The writable profile store (SQLite): the extracted profiles and the person's edits,
kept apart so rebuilds leave the edits alone. Edits may be scoped (see `edit_key`): with
logins on, each login's edits of a dataset user are its own."""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from rapidfuzz import process

from convrec.errors import ConvrecError
from convrec.tools.base import ToolArgumentError
from convrec.tools.profiles.extract import UserProfile
from convrec.tools.profiles.model import (
    STORE_SCHEMA,
    Polarity,
    ProfileEntry,
    Provenance,
    UserInfo,
    canonical_user,
)

# ----------------------------------------------------------------------------- store

_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('ml', 'critic')),
    n_evidence INTEGER NOT NULL,
    n_linked   INTEGER NOT NULL,
    baseline   REAL,
    spread     REAL,
    n_entries  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    user_id     TEXT NOT NULL,
    entry_key   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('genre', 'person', 'keyword', 'era', 'runtime')),
    value       TEXT NOT NULL,
    person_id   INTEGER,
    polarity    TEXT NOT NULL CHECK (polarity IN ('like', 'dislike')),
    confidence  REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    support     INTEGER NOT NULL,
    mean        REAL,
    baseline    REAL,
    fresh_count INTEGER,
    scale       TEXT NOT NULL CHECK (scale IN ('rating', 'score')),
    PRIMARY KEY (user_id, entry_key)
);
CREATE TABLE IF NOT EXISTS provenance (
    user_id   TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    pos       INTEGER NOT NULL,
    item_id   INTEGER,
    label     TEXT,
    rating    REAL,
    review_id INTEGER,
    sentence  TEXT,
    mentions  INTEGER NOT NULL DEFAULT 0,
    fresh     INTEGER,
    tag       TEXT,
    PRIMARY KEY (user_id, entry_key, pos)
);
-- Edits by the person, kept apart from the extracted rows so that rebuilds leave them alone.
CREATE TABLE IF NOT EXISTS edits (
    user_id   TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('delete', 'polarity')),
    polarity  TEXT CHECK (polarity IN ('like', 'dislike')),
    edited_at TEXT NOT NULL,
    PRIMARY KEY (user_id, entry_key)
);
"""


class ProfileStore:
    """The writable profile store. Safe to share between threads.

    Each thread gets its own connection; the database runs in WAL mode, so readers never
    wait for the (rare) writers and see either the old or the new profiles of a rebuild,
    never a mix. Writes are serialised by a lock and run in immediate transactions.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        conn = self._conn()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, STORE_SCHEMA):
            raise ConvrecError(
                f"the profile store at {self.path} has schema {version}, this convrec needs "
                f"{STORE_SCHEMA}; move it aside and run `convrec profiles build`"
            )
        if version == 0:
            with self._write_lock:
                conn.executescript(_DDL)
                conn.execute(f"PRAGMA user_version = {STORE_SCHEMA}")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    # --------------------------------------------------------------- reads

    def user_info(self, user_id: str) -> UserInfo | None:
        row = self._conn().execute(
            "SELECT * FROM users WHERE user_id = ?", [canonical_user(user_id)]).fetchone()
        return None if row is None else UserInfo(**dict(row))

    def users(self, kind: str | None = None) -> list[str]:
        sql = "SELECT user_id FROM users" + (" WHERE kind = ?" if kind else "") + " ORDER BY 1"
        return [r[0] for r in self._conn().execute(sql, [kind] if kind else [])]

    def top_users(self, kind: str, limit: int) -> list[UserInfo]:
        """The `kind` users ('ml' or 'critic') with the richest profiles, for a user picker."""
        rows = self._conn().execute(
            "SELECT * FROM users WHERE kind = ? ORDER BY n_entries DESC, n_evidence DESC, "
            "user_id LIMIT ?", [kind, limit]).fetchall()
        return [UserInfo(**dict(r)) for r in rows]

    def meta(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._conn().execute("SELECT key, value FROM meta")}

    def list_entries(self, user_id: str, *, include_deleted: bool = False,
                     scope: str | None = None) -> list[ProfileEntry]:
        """The user's entries with their edits (of `scope`, see `edit_key`) applied, most
        confident first."""
        uid = canonical_user(user_id)
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the three reads
        try:
            rows = conn.execute(
                "SELECT * FROM entries WHERE user_id = ? ORDER BY confidence DESC, entry_key",
                [uid]).fetchall()
            prov: dict[str, list[Provenance]] = defaultdict(list)
            for r in conn.execute(
                "SELECT * FROM provenance WHERE user_id = ? ORDER BY entry_key, pos", [uid]
            ):
                prov[r["entry_key"]].append(Provenance(
                    item_id=r["item_id"], label=r["label"], rating=r["rating"],
                    review_id=r["review_id"], sentence=r["sentence"], mentions=bool(r["mentions"]),
                    fresh=None if r["fresh"] is None else bool(r["fresh"]), tag=r["tag"],
                ))
            edits = {r["entry_key"]: r for r in conn.execute(
                "SELECT * FROM edits WHERE user_id = ?", [edit_key(uid, scope)])}
        finally:
            conn.execute("COMMIT")
        entries = []
        for r in rows:
            entry = ProfileEntry(
                user_id=uid, key=r["entry_key"], kind=r["kind"], value=r["value"],
                person_id=r["person_id"], polarity=r["polarity"], confidence=r["confidence"],
                support=r["support"], mean=r["mean"], baseline=r["baseline"],
                fresh_count=r["fresh_count"], scale=r["scale"],
                provenance=tuple(prov.get(r["entry_key"], ())),
            )
            entry = _apply_edit(entry, edits.get(r["entry_key"]))
            if include_deleted or not entry.deleted:
                entries.append(entry)
        return entries

    def edits(self, user_id: str, scope: str | None = None) -> dict[str, tuple[str, str | None]]:
        """entry key -> (action, polarity) of the user's stored edits (of `scope`)."""
        return {r[0]: (r[1], r[2]) for r in self._conn().execute(
            "SELECT entry_key, action, polarity FROM edits WHERE user_id = ?",
            [edit_key(canonical_user(user_id), scope)])}

    # --------------------------------------------------------------- edits

    def delete_entry(self, user_id: str, entry_key: str, *, scope: str | None = None
                     ) -> ProfileEntry:
        """Hide an entry from the profile (it stays deleted across rebuilds)."""
        uid = canonical_user(user_id)
        who = edit_key(uid, scope)

        def run(conn: sqlite3.Connection) -> ProfileEntry:
            entry = self._extracted(conn, uid, entry_key)
            conn.execute(
                "INSERT OR REPLACE INTO edits VALUES (?, ?, 'delete', NULL, ?)",
                [who, entry.key, _now()])
            return entry.model_copy(update={"deleted": True})

        return cast(ProfileEntry, self._write(run))

    def flip_entry(self, user_id: str, entry_key: str, *, scope: str | None = None
                   ) -> ProfileEntry:
        """Turn a like into a dislike or back; returns the entry as it now stands."""
        uid = canonical_user(user_id)
        who = edit_key(uid, scope)

        def run(conn: sqlite3.Connection) -> ProfileEntry:
            entry = self._extracted(conn, uid, entry_key)
            edit = conn.execute("SELECT * FROM edits WHERE user_id = ? AND entry_key = ?",
                                [who, entry.key]).fetchone()
            current = _apply_edit(entry, edit)
            if current.deleted:
                raise ToolArgumentError(
                    f"profile entry {entry.key!r} of {uid} is deleted; restore it before flipping")
            target: Polarity = "dislike" if current.polarity == "like" else "like"
            if target == entry.polarity:
                conn.execute("DELETE FROM edits WHERE user_id = ? AND entry_key = ?",
                             [who, entry.key])
            else:
                conn.execute("INSERT OR REPLACE INTO edits VALUES (?, ?, 'polarity', ?, ?)",
                             [who, entry.key, target, _now()])
            return current.model_copy(
                update={"polarity": target, "flipped": target != entry.polarity})

        return cast(ProfileEntry, self._write(run))

    def restore_entry(self, user_id: str, entry_key: str, *, scope: str | None = None
                      ) -> ProfileEntry:
        """Drop every edit of an entry (of `scope`): back to what was extracted."""
        uid = canonical_user(user_id)
        who = edit_key(uid, scope)

        def run(conn: sqlite3.Connection) -> ProfileEntry:
            entry = self._extracted(conn, uid, entry_key)
            conn.execute("DELETE FROM edits WHERE user_id = ? AND entry_key = ?", [who, entry.key])
            return entry

        return cast(ProfileEntry, self._write(run))

    def _extracted(self, conn: sqlite3.Connection, uid: str, entry_key: str) -> ProfileEntry:
        key = str(entry_key).strip()
        row = conn.execute("SELECT * FROM entries WHERE user_id = ? AND entry_key = ?",
                           [uid, key]).fetchone()
        if row is None:
            keys = [r[0] for r in conn.execute(
                "SELECT entry_key FROM entries WHERE user_id = ? ORDER BY confidence DESC",
                [uid])]

            near = [m[0] for m in process.extract(key, keys, limit=3)] if keys else []
            raise ToolArgumentError(f"{uid} has no profile entry {key!r}",
                                    suggestions={"entry_key": near})
        return ProfileEntry(
            user_id=uid, key=key, kind=row["kind"], value=row["value"],
            person_id=row["person_id"], polarity=row["polarity"], confidence=row["confidence"],
            support=row["support"], mean=row["mean"], baseline=row["baseline"],
            fresh_count=row["fresh_count"], scale=row["scale"],
        )

    # --------------------------------------------------------------- rebuild

    def replace_profiles(self, profiles: Iterable[UserProfile], meta: dict[str, str]) -> dict[
            str, int]:
        """Swap in freshly extracted profiles in one transaction; edits are left alone."""

        def run(conn: sqlite3.Connection) -> dict[str, int]:
            counts = {"users": 0, "entries": 0, "provenance": 0, "empty_profiles": 0}
            for table in ("users", "entries", "provenance"):
                conn.execute(f"DELETE FROM {table}")
            for profile in profiles:
                i = profile.info
                conn.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)", [
                    i.user_id, i.kind, i.n_evidence, i.n_linked, i.baseline, i.spread,
                    len(profile.entries)])
                counts["users"] += 1
                counts["empty_profiles"] += not profile.entries
                conn.executemany(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(e.user_id, e.key, e.kind, e.value, e.person_id, e.polarity, e.confidence,
                      e.support, e.mean, e.baseline, e.fresh_count, e.scale)
                     for e in profile.entries])
                rows = [
                    (e.user_id, e.key, pos, p.item_id, p.label, p.rating, p.review_id, p.sentence,
                     int(p.mentions), None if p.fresh is None else int(p.fresh), p.tag)
                    for e in profile.entries for pos, p in enumerate(e.provenance)
                ]
                conn.executemany(
                    "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                counts["entries"] += len(profile.entries)
                counts["provenance"] += len(rows)
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))
            return counts

        return cast(dict[str, int], self._write(run))


def edit_key(uid: str, scope: str | None) -> str:
    """Whose edits a row of the edits table holds: the dataset user's own (`uid`, no scope),
    or those one login (`scope`) made to that user's profile ('login:<scope>:<uid>'; a
    canonical user id starts with ml: or critic:, and a login has no ':', so keys never
    collide). Same table, no schema change."""
    return uid if scope is None else f"login:{scope}:{uid}"


def _apply_edit(entry: ProfileEntry, edit: sqlite3.Row | None) -> ProfileEntry:
    if edit is None:
        return entry
    if edit["action"] == "delete":
        return entry.model_copy(update={"deleted": True})
    target = edit["polarity"]
    return entry.model_copy(update={"polarity": target, "flipped": target != entry.polarity})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
