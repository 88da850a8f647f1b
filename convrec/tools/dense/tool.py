"""The search_dense tool: its arguments, the process-wide index, and the search itself."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from convrec.catalog.db import Catalog
from convrec.tools import indexes
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.dense.store import NAME, VERSION, DenseIndex


class DenseArgs(ToolArgs):
    """Semantic search: films whose story and themes are close to a description and/or to
    example films ("like The Matrix")."""

    query: str | None = Field(
        default=None,
        description="What the film should be about, in plain words, e.g. "
        "'a lonely robot falls in love'. Optional when like_ids are given.",
    )
    like_ids: list[int] = Field(
        default_factory=list,
        max_length=20,
        description="Catalog ids of example films to find similar ones to; they are left "
        "out of the results.",
    )
    k: int = Field(default=100, ge=1, le=1000, description="How many items to return.")

    @field_validator("query", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _something_to_search(self) -> DenseArgs:
        if self.query is None and not self.like_ids:
            raise ToolArgumentError(
                "search_dense: give a query, like_ids, or both (both are empty)"
            )
        self.like_ids = list(dict.fromkeys(self.like_ids))
        return self


def load_dense(ctx: ToolContext) -> DenseIndex:
    """The process-wide dense index (loaded once; refuses an index of another catalog)."""

    def loader() -> DenseIndex:
        folder = ctx.index_dir / NAME
        indexes.refuse_stale(folder, ctx.catalog, VERSION, "dense index", "built from",
                             "rebuild it with `convrec index build`")
        return DenseIndex.load(folder, chroma_url=ctx.resources.chroma_url)

    return ctx.resources.get(NAME, loader)


def query_vector(index: DenseIndex, query: str | None, like_ids: Sequence[int]) -> np.ndarray:
    """The search vector: the query's embedding, the mean of the liked films' vectors, or
    (both given) the normalised sum of the two, so text and examples weigh the same."""
    text_vector = index.encode([query])[0] if query else None
    return search_vector(index, text_vector, like_ids)


def search_vector(
    index: DenseIndex, text_vector: np.ndarray | None, like_ids: Sequence[int]
) -> np.ndarray:
    """`query_vector` from an already encoded query (None: none), for callers that encode
    many queries in one batch."""
    parts = []
    if text_vector is not None:
        parts.append(text_vector)
    if like_ids:
        parts.append(_unit(index.vectors(like_ids).mean(axis=0)))
    return _unit(np.sum(parts, axis=0))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def search_dense(
    args: DenseArgs, ctx: ToolContext, *, candidates: Collection[int] | None = None
) -> ToolOutput:
    """Semantic search over the catalog, or exact re-scoring of a candidate set."""
    index = load_dense(ctx)
    unknown = [i for i, ok in zip(args.like_ids, index.has(args.like_ids), strict=True) if not ok]
    if unknown:
        raise ToolArgumentError(f"search_dense: like_ids not in the catalog index: {unknown}")
    # The query is encoded once per call: for the search and for the evidence below.
    text_vector = index.encode([args.query])[0] if args.query else None
    vector = search_vector(index, text_vector, args.like_ids)
    hits, note = index.search_noted(vector, args.k, candidates=candidates,
                                    exclude=args.like_ids)

    evidence: list[list[str]] = [[] for _ in hits]
    if hits:
        found = index.vectors([h[0] for h in hits])
        if args.like_ids:
            liked = index.vectors(args.like_ids)
            names = _display_titles(ctx.catalog, args.like_ids)
            closest = (found @ liked.T).argmax(axis=1)
            for row, j in enumerate(closest):
                evidence[row].append(f"similar to {names[args.like_ids[int(j)]]}")
        if text_vector is not None:
            text_scores = found @ text_vector
            for row, score in enumerate(text_scores):
                evidence[row].append(f"semantic match {float(score):.2f}")

    if candidates is None:
        trace = f"dense: top {len(hits)}"
    else:
        trace = f"dense: {len(candidates):,} -> {len(hits):,}"
    if note:
        trace += f" ({note})"
    return ToolOutput(
        tool="search_dense",
        items=[
            ScoredItem(item_id=i, score=round(s, 4), evidence=e)
            for (i, s), e in zip(hits, evidence, strict=True)
        ],
        trace=trace,
    )


def _display_titles(catalog: Catalog, item_ids: Sequence[int]) -> dict[int, str]:
    names = {i: f"item {i}" for i in item_ids}
    for item in catalog.items(item_ids):
        names[item.item_id] = item.label
    return names
