"""Read-only access to the catalog.

Only the builder writes. Every connection opened here is read-only three times
over: the file is opened with `mode=ro`, `PRAGMA query_only` is on, and an
authorizer denies every action that is not a read. Connections are per thread,
so a Catalog can be shared by a server's worker threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from convrec.catalog.records import Credit, Item, Person, Review
from convrec.catalog.schema import SCHEMA_VERSION
from convrec.errors import CatalogError
from convrec.filecheck import file_problem

_ALLOWED_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}

TOP_CAST = 5
SQLITE_MIN, SQLITE_MAX = -(2**63), 2**63 - 1  # the integers SQLite can bind


def _authorizer(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can only read the catalog at `path`."""
    if not path.is_file():
        raise CatalogError(f"no catalog at {path}; build it with `convrec data build`")
    problem = file_problem(path, kind=".sqlite")  # checked as SQLite, whatever its name
    if problem is None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT key, value FROM meta LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            conn.close()
            problem = f"not a convrec catalog ({exc})"
    if problem is not None:
        raise CatalogError(f"the catalog at {path} is {problem}; rebuild it with "
                           "`convrec data build --force`")
    if version != SCHEMA_VERSION:
        conn.close()
        raise CatalogError(
            f"the catalog at {path} has schema {version}, this convrec needs {SCHEMA_VERSION}; "
            "rebuild it with `convrec data build --force`"
        )
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorizer)
    return conn


class Catalog:
    """Read-only view of the catalog with typed lookups."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        connect_read_only(self.path).close()  # fail now, with a clear message

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_read_only(self.path)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read query with bound parameters. Anything but a read is refused."""
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"catalog query refused or failed: {exc}") from None

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.query("SELECT key, value FROM meta")}

    def exists(self, item_ids: Iterable[int]) -> set[int]:
        """The subset of `item_ids` that are catalog items."""
        ids = _in_range(item_ids)
        found: set[int] = set()
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            found |= {r[0] for r in self.query(
                f"SELECT item_id FROM items WHERE item_id IN ({marks})", chunk)}
        return found

    def item(self, item_id: int) -> Item | None:
        found = self.items([item_id])
        return found[0] if found else None

    def items(self, item_ids: Iterable[int]) -> list[Item]:
        """Items in the order asked for; ids that are not in the catalog are left out."""
        ids = _in_range(item_ids)
        rows: dict[int, sqlite3.Row] = {}
        genres: dict[int, list[str]] = {}
        people: dict[int, dict[str, list[Person]]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT * FROM items WHERE item_id IN ({marks})", chunk):
                rows[row["item_id"]] = row
            for row in self.query(
                f"SELECT ig.item_id, g.name FROM item_genres ig JOIN genres g USING (genre_id) "
                f"WHERE ig.item_id IN ({marks}) ORDER BY g.name", chunk,
            ):
                genres.setdefault(row[0], []).append(row[1])
            for row in self.query(
                f"SELECT c.item_id, c.role, p.person_id, p.name FROM credits c "
                f"JOIN people p USING (person_id) WHERE c.item_id IN ({marks}) "
                f"AND (c.role = 'director' OR (c.role = 'actor' AND c.ord < ?)) "
                f"ORDER BY c.item_id, c.role, c.ord", [*chunk, TOP_CAST],
            ):
                people.setdefault(row[0], {}).setdefault(row[1], []).append(
                    Person(person_id=row[2], name=row[3]))
        result = []
        for item_id in ids:
            if item_id not in rows:
                continue
            row = rows[item_id]
            credits = people.get(item_id, {})
            result.append(Item(
                **{k: row[k] for k in row.keys() if k in Item.model_fields},  # noqa: SIM118 (Row iterates values)
                genres=tuple(genres.get(item_id, ())),
                directors=tuple(credits.get("director", ())),
                cast=tuple(credits.get("actor", ())),
            ))
        return result

    def credits(self, item_id: int) -> list[Credit]:
        rows = self.query(
            "SELECT c.role, c.character, c.ord, p.person_id, p.name FROM credits c "
            "JOIN people p USING (person_id) WHERE c.item_id = ? ORDER BY c.role, c.ord",
            [item_id],
        )
        return [
            Credit(person=Person(person_id=r["person_id"], name=r["name"]), role=r["role"],
                   character=r["character"], order=r["ord"])
            for r in rows
        ]

    def reviews(self, *, item_id: int | None = None, critic: str | None = None,
                limit: int = 100) -> list[Review]:
        if (item_id is None) == (critic is None):
            raise CatalogError("reviews(): give exactly one of item_id or critic")
        column, value = ("item_id", item_id) if item_id is not None else ("critic", critic)
        rows = self.query(
            f"SELECT * FROM reviews WHERE {column} = ? ORDER BY date DESC, review_id LIMIT ?",
            [value, limit],
        )
        return [
            Review(**{**dict(r), "top_critic": bool(r["top_critic"]),
                      "fresh": None if r["fresh"] is None else bool(r["fresh"])})
            for r in rows
        ]


def _in_range(item_ids: Iterable[int]) -> list[int]:
    """The ids, once each, in order; an id outside SQLite's integer range names no item (it
    cannot be bound to a query: it is left out, as an unknown id is)."""
    return [i for i in dict.fromkeys(int(i) for i in item_ids) if SQLITE_MIN <= i <= SQLITE_MAX]


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
