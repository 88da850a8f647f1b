"""The plan as data: typed tool calls, the rankers that apply to a request, and a plan
built (or an LLM's plan repaired) from the ledger.

Shared by the planner (`convrec.agent.plan`) and the tool-calling planner
(`convrec.agent.tool_planner`); it imports neither.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from convrec.agent.ledger import Ledger

PlanTool = Literal["filter_items", "search_bm25", "search_dense", "user_profile", "rank_cf",
                   "lookup_items"]
RANKERS: tuple[PlanTool, ...] = ("search_bm25", "search_dense", "user_profile", "rank_cf")


class ToolCall(BaseModel):
    tool: PlanTool
    args: dict[str, Any] = Field(default_factory=dict)


class Plan(BaseModel):
    calls: list[ToolCall] = Field(default_factory=list)
    source: Literal["default", "llm", "repaired", "fixed", "policy", "tools"] = "default"
    notes: list[str] = Field(default_factory=list)
    trace: list[str] = Field(default_factory=list, description="the planner's tool calls")

    def tools(self) -> list[str]:
        return [c.tool for c in self.calls]

    def describe(self) -> str:
        return " -> ".join(self.tools()) or "(no tools)"


class PlannedStep(BaseModel):
    """One step as an API model writes it (structured output)."""

    tool: Literal["search_bm25", "search_dense", "user_profile", "rank_cf"] = Field(
        description="search_bm25: keyword search; search_dense: search by meaning or by example "
        "films; user_profile: the user's own taste memory; rank_cf: people with similar taste."
    )
    query: str | None = Field(
        None, description="For the search tools: what to search for, in a few words."
    )


class PlanChoice(BaseModel):
    """The planner's answer: the retrieval and ranking steps to run, in order."""

    steps: list[PlannedStep] = Field(description="1 to 4 steps")


# ----------------------------------------------------------------------------- options


def applicable(ledger: Ledger, user_id: str | None) -> list[PlanTool]:
    """Rankers that can contribute given what is known."""
    query = ledger.query()
    tools: list[PlanTool] = []
    if query:
        tools.append("search_bm25")
    if query or ledger.liked:
        tools.append("search_dense")
    if user_id is not None:
        tools.append("user_profile")
    if ledger.liked or (user_id or "").startswith("ml:"):
        tools.append("rank_cf")
    return tools


def build_plan(ledger: Ledger, rankers: list[PlanTool], *, query: str | None = None,
               source: str = "default") -> Plan:
    """A plan running `rankers` with arguments taken from the ledger."""
    calls: list[ToolCall] = []
    constraints = ledger.to_filter()
    if constraints is not None:
        calls.append(ToolCall(tool="filter_items",
                              args=constraints.model_dump(exclude_defaults=True, mode="json")))
    text = query or ledger.query()
    liked = sorted(ledger.liked)
    for tool in rankers:
        if tool == "search_bm25" and text:
            calls.append(ToolCall(tool=tool, args={"query": text}))
        elif tool == "search_dense" and (text or liked):
            calls.append(ToolCall(tool=tool, args={"query": text, "like_ids": liked}))
        elif tool == "user_profile":
            calls.append(ToolCall(tool=tool))
        elif tool == "rank_cf":
            calls.append(ToolCall(tool=tool, args={"liked_ids": liked}))
    return Plan(calls=calls, source=source)  # type: ignore[arg-type]


def default_plan(ledger: Ledger, user_id: str | None) -> Plan:
    return build_plan(ledger, applicable(ledger, user_id))


def repair(choice: PlanChoice, ledger: Ledger, user_id: str | None, default: Plan) -> Plan:
    """Keep the applicable steps of an LLM plan; the filter always comes from the ledger."""
    allowed = set(applicable(ledger, user_id))
    rankers: list[PlanTool] = []
    dropped: list[str] = []
    query = None
    for step in choice.steps[:6]:
        if step.tool in allowed and step.tool not in rankers:
            rankers.append(step.tool)
            if step.query and step.tool in ("search_bm25", "search_dense") and query is None:
                query = " ".join(step.query.split())[:200] or None
        else:
            dropped.append(step.tool)
    if not rankers:
        default.notes.append("planner chose no applicable tool; default plan")
        return default
    if query is not None and not ledger.query():
        query = None  # the model may phrase the user's wish, not invent one
    plan = build_plan(ledger, rankers, query=query,
                      source="repaired" if dropped else "llm")
    if dropped:
        plan.notes.append(f"dropped inapplicable steps: {', '.join(dropped)}")
    return plan
