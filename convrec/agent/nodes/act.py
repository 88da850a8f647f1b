"""act: run the plan's tools on the candidate bus; verify and audit every film."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.act import run_lookup, run_recommend
from convrec.agent.nodes.common import ledger_of, step, timings_of
from convrec.agent.plan import Plan
from convrec.agent.state import AgentContext, AgentState
from convrec.tools.ranking.turns import latest_words


def users_words(state: AgentState) -> str:
    """The user's latest words over the conversation, this turn's last; words written before
    the user removed a constraint (an 'edit' mark in the history) no longer count."""
    history = state.get("history", [])
    edits = [n for n, h in enumerate(history) if h.get("role") == "edit"]
    since = history[edits[-1] + 1:] if edits else history
    said = [h.get("text", "") for h in since if h.get("role") == "user"]
    return latest_words([*said, state.get("message", "") or ""])


def act(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    timings = timings_of(state)
    plan = Plan.model_validate(state.get("plan") or {})
    with step(state, "tools", timings) as write:
        tools = ctx.tools(state.get("user_id"))
        lookup = next((c for c in plan.calls if c.tool == "lookup_items"), None)
        if lookup is not None:
            result = run_lookup(int(lookup.args["item_id"]), tools)
        else:
            result = run_recommend(plan, ledger_of(state), tools, ctx.k,
                                   said=users_words(state), learned=ctx.learned)
        for line in result.trace:
            write({"event": "tool", "line": line})
    return {
        "items": [s.model_dump(mode="json") for s in result.items],
        "timings_ms": timings,
        "trace": [*state.get("trace", []), *result.trace],
        "notes": [*state.get("notes", []), *result.notes],
        "replans": state.get("replans", 0),
    }
