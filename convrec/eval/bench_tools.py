"""Latency of the tools and of the whole recommendation step, warm, on the real catalog.

Protocol: load every index once (timed: "index load"), run each request of
`REQUESTS` once to warm caches, then `repeats` times; a request is the kind of
step a chat produces (constraints, a description, example films, a known user).
The query-embedding cache is cleared before every timed run, so each run pays
for encoding its query, as a new chat turn does (with the index's ONNX query
encoder when it has one; `query_encoder` says which). `load_all` freezes what
it loaded out of the garbage collector's full collections, as a server does.
Per tool, p50 / p95 are over every call it made; "pipeline" is the whole
`recommend` step (filter -> retrieve -> profile -> rank -> fuse -> verify ->
diversify). Titles are resolved to catalog ids with lookup_items first.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convrec.tools.context import Resources, ToolContext
from convrec.tools.dense import load_dense
from convrec.tools.filters import FilterArgs
from convrec.tools.lookup import LookupArgs, lookup_items
from convrec.tools.pipeline import RecommendRequest, recommend
from convrec.tools.warmup import load_all


@dataclass(frozen=True)
class BenchRequest:
    label: str
    constraints: dict[str, Any] = field(default_factory=dict)
    query: str | None = None
    like_titles: tuple[str, ...] = ()
    user_id: str | None = None


REQUESTS: tuple[BenchRequest, ...] = (
    BenchRequest("90s comedy, no Adam Sandler",
                 {"genres_any": ["Comedy"], "decade": 1990,
                  "people_exclude": [{"name": "Adam Sandler"}]}, "something funny"),
    BenchRequest("heist, description only", query="a crew of thieves plans a casino heist"),
    BenchRequest("like The Matrix, under two hours", {"runtime_max": 120},
                 like_titles=("The Matrix",)),
    BenchRequest("recent horror, haunted house", {"genres_any": ["Horror"], "year_from": 2000},
                 "haunted house ghosts"),
    BenchRequest("feel-good romance", query="feel-good romantic comedy set in New York"),
    BenchRequest("animation like Toy Story", {"genres_any": ["Animation"]},
                 like_titles=("Toy Story", "Finding Nemo")),
    BenchRequest("French love story", {"languages": ["fr"]}, "love story"),
    BenchRequest("known rater, war drama", query="war drama", user_id="ml:414"),
    BenchRequest("critic, 2010s", {"year_from": 2010, "year_to": 2019}, "smart thriller",
                 user_id="critic:Dennis Schwartz"),
    BenchRequest("no horror, short, well rated, space",
                 {"genres_none": ["Horror"], "runtime_max": 100, "min_rating": 6.5},
                 "space adventure"),
)


def _percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "n": len(values)}


def _resolve(ctx: ToolContext, titles: tuple[str, ...]) -> list[int]:
    ids = []
    for title in titles:
        found = lookup_items(LookupArgs.model_validate({"title": title, "limit": 1}), ctx)
        if found.items:
            ids.append(found.items[0].item_id)
    return ids


def run_tools_bench(resources: Resources, *, repeats: int = 10) -> dict[str, Any]:
    started = time.perf_counter()
    load_all(resources)
    load_seconds = time.perf_counter() - started

    plans = []
    for req in REQUESTS:
        ctx = ToolContext(resources, user_id=req.user_id)
        request = RecommendRequest(
            constraints=FilterArgs(**req.constraints) if req.constraints else None,
            query=req.query, like_ids=_resolve(ctx, req.like_titles), k=5,
        )
        plans.append((req, ctx, request))

    dense = load_dense(ToolContext(resources))
    query_encoder = "onnx" if dense.onnx_encoder is not None else "torch"
    load_before = _load_average()
    per_step: dict[str, list[float]] = {}
    pipeline: list[float] = []
    examples: list[dict[str, Any]] = []
    for req, ctx, request in plans:
        warm = recommend(request, ctx)
        examples.append({"request": req.label, "trace": warm.trace,
                         "items": [s.item_id for s in warm.items]})
        for _ in range(repeats):
            dense.clear_query_cache()  # every timed run encodes its query afresh
            t0 = time.perf_counter()
            result = recommend(request, ctx)
            pipeline.append((time.perf_counter() - t0) * 1000)
            for step, ms in result.timings_ms.items():
                per_step.setdefault(step, []).append(ms)
    return {
        "protocol": __doc__.strip() if __doc__ else "",
        "requests": len(REQUESTS),
        "repeats": repeats,
        "index_load_seconds": round(load_seconds, 2),
        "query_encoder": query_encoder,
        "load_average": [load_before, _load_average()],
        "latency_ms": {**{k: _percentiles(v) for k, v in per_step.items()},
                       "pipeline": _percentiles(pipeline)},
        "examples": examples,
    }


def _load_average() -> float:
    """The machine's 1-minute load average (timings on shared cores depend on it)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")
