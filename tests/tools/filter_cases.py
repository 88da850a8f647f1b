"""What the filter tests share: running a filter, and the injection payloads with the
catalog state they must leave alone (the contexts are fixtures in conftest.py)."""

from __future__ import annotations

from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs, filter_items


def run(ctx: ToolContext, **kwargs) -> set[int]:
    return set(filter_items(FilterArgs(**kwargs), ctx).ids())


def all_ids(catalog) -> set[int]:
    return {r[0] for r in catalog.query("SELECT item_id FROM items")}


PAYLOADS = [
    "x' OR '1'='1",
    "'); DROP TABLE items; --",
    'Comedy" OR 1=1 --',
    "' UNION SELECT name, 1 FROM people --",
    "1; DELETE FROM ratings",
]
STRING_FIELDS = {
    "genres_any": ("genre", lambda v: {"genres_any": [v]}),
    "genres_all": ("genre", lambda v: {"genres_all": [v]}),
    "genres_none": ("genre", lambda v: {"genres_none": [v]}),
    "languages": ("language", lambda v: {"languages": [v]}),
    "people_include": ("person", lambda v: {"people_include": [{"name": v, "role": "actor"}]}),
    "people_exclude": ("person", lambda v: {"people_exclude": [v]}),
    "keywords_any": ("keyword", lambda v: {"keywords_any": [v]}),
    "keywords_none": ("keyword", lambda v: {"keywords_none": [v]}),
    "studios_any": ("studio", lambda v: {"studios_any": [v]}),
    "studios_none": ("studio", lambda v: {"studios_none": [v]}),
}
SQL_WORDS = ("sqlite", "syntax", "select ", "exists", "items.", "catalog query", "where ")


def catalog_state(catalog):
    counts = tuple(catalog.query(f"SELECT COUNT(*) FROM {t}")[0][0]
                   for t in ("items", "ratings", "reviews", "people", "genres"))
    return counts, catalog.path.stat().st_mtime_ns
