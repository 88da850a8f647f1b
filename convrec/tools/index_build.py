"""Build every index the tools read, in order, each one idempotently.

Each index module owns its builder, `build(catalog, index_dir, *, force, progress)`,
which skips itself when its manifest says it is current for this catalog.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.progress import Progress

# name -> (module, builder function)
INDEXES: dict[str, tuple[str, str]] = {
    "bm25": ("convrec.tools.bm25_build", "build_bm25_index"),
    "dense": ("convrec.tools.dense", "build_dense_index"),
    "cf": ("convrec.tools.cf_index", "train_cf"),
    "profiles": ("convrec.tools.profiles", "build_profiles"),
    "ranker": ("convrec.tools.ranking.model", "build_ranker"),  # reads dense and cf
}


def build_indexes(
    catalog: Catalog,
    index_dir: Any,
    *,
    only: list[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    chroma_url: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Build the named indexes (all by default); returns each builder's summary and timing.

    `chroma_url`: the dense index is also put into its collection on that Chroma server (the
    other indexes stay per host)."""
    names = only or list(INDEXES)
    unknown = [n for n in names if n not in INDEXES]
    if unknown:
        raise ConvrecError(
            f"unknown index {', '.join(unknown)}; choose from {', '.join(INDEXES)}"
        )
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        module, function = INDEXES[name]
        builder = getattr(importlib.import_module(module), function)
        started = time.perf_counter()
        extra = {"chroma_url": chroma_url} if name == "dense" and chroma_url else {}
        summary = dict(builder(catalog, index_dir, force=force, progress=progress, **extra) or {})
        summary.setdefault("seconds", round(time.perf_counter() - started, 2))
        results[name] = summary
    return results
