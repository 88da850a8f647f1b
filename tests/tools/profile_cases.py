"""What the profile tests share."""

from __future__ import annotations

from pathlib import Path

from convrec.catalog.db import Catalog
from convrec.tools.context import Resources, ToolContext


def profile_ctx(catalog: Catalog, index_dir: Path, user: str | None) -> ToolContext:
    return ToolContext(Resources(catalog, index_dir), user)


def latest_ratings(catalog: Catalog, user: int) -> dict[int, float]:
    rows = catalog.query(
        "SELECT item_id, rating FROM ratings WHERE user_id = ? ORDER BY ts, ml_movie_id", [user])
    return {r[0]: r[1] for r in rows}
