"""Every tool by name, with its argument model: what the CLI, the planner and TRL hand out.

Modules are imported on first use, so listing the tools loads no index or model.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from convrec.tools.base import ToolArgs, ToolOutput

Role = Literal["filter", "lookup", "retrieve", "rank"]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    module: str
    args_name: str
    role: Role
    summary: str

    @property
    def args_model(self) -> type[ToolArgs]:
        model: type[ToolArgs] = getattr(importlib.import_module(self.module), self.args_name)
        return model

    @property
    def function(self) -> Callable[..., ToolOutput]:
        """The tool; `candidates` handed to it are narrowed to catalog items first, so no
        tool scores, or hands back, an id the catalog does not have."""
        fn: Callable[..., ToolOutput] = getattr(importlib.import_module(self.module), self.name)

        @functools.wraps(fn)
        def run(args: ToolArgs, ctx: Any, **kwargs: Any) -> ToolOutput:
            if kwargs.get("candidates") is not None:
                kwargs["candidates"] = ctx.catalog_candidates(kwargs["candidates"])
            return fn(args, ctx, **kwargs)

        return run

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec("filter_items", "convrec.tools.filters", "FilterArgs", "filter",
                 "Films that satisfy hard constraints (genres, era, runtime, language, "
                 "people, keywords, rating, exclusions)."),
        ToolSpec("lookup_items", "convrec.tools.lookup", "LookupArgs", "lookup",
                 "Facts about a film named by id or (fuzzy) title."),
        ToolSpec("search_bm25", "convrec.tools.bm25", "Bm25Args", "retrieve",
                 "Keyword search over titles, overviews, keywords, tags and people."),
        ToolSpec("search_dense", "convrec.tools.dense", "DenseArgs", "retrieve",
                 "Semantic search by description or by example films."),
        ToolSpec("user_profile", "convrec.tools.profiles.tool", "ProfileArgs", "rank",
                 "Score films against the user's memory built from their reviews and ratings."),
        ToolSpec("rank_cf", "convrec.tools.cf", "CfArgs", "rank",
                 "Collaborative filtering: films liked by people with the same taste."),
    )
}
