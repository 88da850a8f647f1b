"""What every tool takes and returns.

A tool is a plain typed function: `tool(args: SomeArgs, ctx: ToolContext, ...) -> ToolOutput`.
`SomeArgs` is a pydantic model whose fields carry descriptions, so the same
function serves as a LangChain/LangGraph tool and a TRL tool. Tools return
catalog ids with scores and short evidence strings, never free-text titles.
Run-time inputs that are not the LLM's to choose (the user id, a candidate set
handed over by the bus) are keyword arguments or come from the context.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from convrec.catalog.db import SQLITE_MAX
from convrec.errors import ConvrecError


class ToolArgs(BaseModel):
    """Base of every tool's argument model: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScoredItem(BaseModel):
    item_id: int = Field(description="Catalog item id.")
    score: float = Field(description="Tool-specific score; higher is better.")
    evidence: list[str] = Field(
        default_factory=list,
        description="Short facts that support the score, e.g. 'genre: Comedy', "
        "'directed by Sidney Lumet', 'liked by people who liked Heat (1995)'.",
    )


class ToolOutput(BaseModel):
    tool: str
    items: list[ScoredItem] = Field(default_factory=list)
    trace: str = Field(description="One line for the trace, e.g. 'filter: 13,507 -> 312'.")
    notes: list[str] = Field(
        default_factory=list, description="Things the caller should know (relaxed limits, ...)."
    )

    def ids(self) -> list[int]:
        return [s.item_id for s in self.items]


class ToolArgumentError(ConvrecError):
    """A tool argument names something unknown or contradicts itself.

    `suggestions` maps the offending field to the nearest valid values, so the
    planner (or a person) can repair the call instead of getting an empty result.
    """

    def __init__(self, message: str, suggestions: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or {}


def parse_user_ref(user_id: str) -> tuple[str, str]:
    """'ml:42' -> ('ml', '42'); 'critic:Dennis Schwartz' -> ('critic', 'Dennis Schwartz').

    Users are MovieLens raters (`ml:<userId>`) or critics of the review corpus
    (`critic:<name>`). The id always comes from the session, never from the LLM.
    """
    kind, sep, key = user_id.partition(":")
    if not sep or kind not in {"ml", "critic"} or not key.strip():
        raise ToolArgumentError(
            f"unknown user id {user_id!r}: use ml:<MovieLens userId> or critic:<critic name>"
        )
    if kind == "ml" and not (key.isascii() and key.isdigit()):
        raise ToolArgumentError(f"MovieLens user ids are numbers, got {key!r}")
    if kind == "ml" and int(key) > SQLITE_MAX:  # past what the catalog can even store
        raise ToolArgumentError(f"no MovieLens user {key[:30]}: the ids are far smaller")
    return kind, key.strip()
