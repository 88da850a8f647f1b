"""The SQL builder: fragments with bound parameters over an allowlist of identifiers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The only identifiers that ever reach SQL. Rating and votes follow one source per
# film: TMDB where it has TMDB votes, else MovieLens (mean x 2 to put it on 0-10).
_RATING_SOURCE_SQL = (
    "(CASE WHEN items.has_tmdb = 1 AND items.vote_count > 0 THEN 'tmdb' "
    "WHEN items.rating_count > 0 THEN 'ml' END)"
)
_ITEM_EXPR: dict[str, str] = {
    "item_id": "items.item_id",
    "year": "items.year",
    "runtime": "items.runtime",
    "language": "items.original_language",
    "rating": "(CASE WHEN items.has_tmdb = 1 AND items.vote_count > 0 THEN items.vote_average "
    "WHEN items.rating_count > 0 THEN items.rating_mean * 2 END)",
    "votes": "(CASE WHEN items.has_tmdb = 1 AND items.vote_count > 0 THEN items.vote_count "
    "ELSE items.rating_count END)",
}
# link table -> (table, value column); every link table has item_id.
_LINKS: dict[str, tuple[str, str]] = {
    "genre": ("item_genres", "genre_id"),
    "keyword": ("item_keywords", "keyword_id"),
    "credit": ("credits", "person_id"),
    "tag": ("tags", "tag"),
    "company": ("item_companies", "company_id"),
}
_ROLES = frozenset({"actor", "director"})


@dataclass(frozen=True)
class _Sql:
    """A SQL fragment and its bound parameters, in order."""

    text: str
    params: tuple[Any, ...] = ()


class _HasSql(Protocol):
    """Anything with a SQL condition: a Clause."""

    @property
    def sql(self) -> _Sql: ...


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _between(expr: str, low: float | None, high: float | None) -> _Sql:
    column = _ITEM_EXPR[expr]
    parts, params = [], []
    if low is not None:
        parts.append(f"{column} >= ?")
        params.append(low)
    if high is not None:
        parts.append(f"{column} <= ?")
        params.append(high)
    return _Sql(" AND ".join(parts), tuple(params))


def _in(expr: str, values: Collection[Any], *, negate: bool = False) -> _Sql:
    op = "NOT IN" if negate else "IN"
    return _Sql(f"{_ITEM_EXPR[expr]} {op} ({_marks(len(values))})", tuple(values))


def _exists(link: str, values: Collection[Any], role: str | None = None) -> _Sql:
    """EXISTS over a link table, answered from its (item_id, value) primary key."""
    table, column = _LINKS[link]
    text = (
        f"EXISTS (SELECT 1 FROM {table} l WHERE l.item_id = items.item_id "
        f"AND l.{column} IN ({_marks(len(values))})"
    )
    params: tuple[Any, ...] = tuple(values)
    if role is not None:
        if role not in _ROLES:
            raise ValueError(f"role {role!r} not allowed")
        text += " AND l.role = ?"
        params += (role,)
    return _Sql(text + ")", params)


def _matched(link: str, values: Collection[Any]) -> _Sql:
    """The values of a link table an item has among `values`, joined by char(31)."""
    table, column = _LINKS[link]
    return _Sql(
        f"(SELECT group_concat(l.{column}, char(31)) FROM {table} l "
        f"WHERE l.item_id = items.item_id AND l.{column} IN ({_marks(len(values))}))",
        tuple(values),
    )


def _any(parts: Sequence[_Sql]) -> _Sql:
    params = tuple(x for p in parts for x in p.params)
    return _Sql(" OR ".join(f"({p.text})" for p in parts), params)


def _not(part: _Sql) -> _Sql:
    """Negation; only used on EXISTS, which is never NULL."""
    return _Sql(f"NOT ({part.text})", part.params)


def _join(parts: Sequence[_Sql], sep: str) -> _Sql:
    return _Sql(sep.join(p.text for p in parts), tuple(x for p in parts for x in p.params))


def _where(clauses: Sequence[_HasSql]) -> _Sql:
    if not clauses:
        return _Sql("1")
    return _join([_Sql(f"({c.sql.text})", c.sql.params) for c in clauses], " AND ")


def _select(columns: Sequence[_Sql], where: Sequence[_HasSql]) -> _Sql:
    """SELECT items.item_id, then `columns`, FROM items WHERE every clause of `where`."""
    head = _join([_Sql(_ITEM_EXPR["item_id"]), *columns], ", ")
    cond = _where(where)
    return _Sql(f"SELECT {head.text} FROM items WHERE {cond.text}", (*head.params, *cond.params))
