"""plan: the typed tool plan for this turn (LLM-chosen, repaired, or the default)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.nodes.common import ledger_of, step, timings_of
from convrec.agent.plan import answer_plan, build_plan, choose_plan, default_plan
from convrec.agent.state import AgentContext, AgentState


def plan(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    timings = timings_of(state)
    decision = state.get("decision") or {}
    act = decision.get("act")
    user_id = state.get("user_id")
    with step(state, "plan", timings) as write:
        ledger = ledger_of(state)
        if act == "answer":
            question = (state.get("understood") or {}).get("question") or {}
            chosen = answer_plan(question["item_id"]) if question.get("item_id") else None
        elif state.get("replans", 0) > 0:
            chosen = default_plan(ledger, user_id)
            chosen.notes.append("the chosen plan found nothing; ran the default plan")
        elif decision.get("plan"):  # the policy chose the rankers (a trained policy)
            chosen = build_plan(ledger, decision["plan"], source="policy")
        else:
            chosen = choose_plan(ledger, user_id, runtime.context.llm,
                                 tools=runtime.context.tools(user_id), emit=write)
        if chosen is not None:
            write({"event": "plan", "plan": chosen.describe(), "source": chosen.source})
    trace = list(state.get("trace", []))
    if chosen is not None:
        trace += chosen.trace
        trace.append(f"plan ({chosen.source}): {chosen.describe()}")
    return {
        "plan": None if chosen is None else chosen.model_dump(mode="json"),
        "timings_ms": timings,
        "trace": trace,
        "notes": [*state.get("notes", []), *(chosen.notes if chosen else [])],
    }
