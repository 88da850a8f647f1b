"""understand: fold the user's turn into the constraint ledger.

The deterministic extractor always runs; a capable LLM may add what it missed
(`convrec.agent.refine`). The candidate count and spread under the new ledger are
measured here, for the policy.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.act import candidate_stats
from convrec.agent.goals.compose import replaced_by_parts
from convrec.agent.goals.types import GoalPlan
from convrec.agent.ledger import LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.agent.nodes.common import ledger_of, step, timings_of
from convrec.agent.refine import refine
from convrec.agent.state import AgentContext, AgentState
from convrec.agent.understanding import Extraction, get_extractor


def _new_request(extraction: Extraction) -> bool:
    return extraction.user_act in ("request", "inform") and not extraction.update.is_empty()


def understand(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    timings = timings_of(state)  # the goals step opened this turn's timings
    with step(state, "understand", timings) as write:
        turn = state.get("turn", 0) + 1
        user_id = state.get("user_id") or ctx.user_id
        tools = ctx.tools(user_id)
        ledger = ledger_of(state)
        text = state.get("understand_text")
        if text == "":  # a follow-up that changes one part of the plan: that part takes it
            extraction = Extraction(text="", update=LedgerUpdate(), user_act="request")
        else:
            extraction = get_extractor(tools).extract(text or state["message"], ledger)
        update, refine_note = refine(extraction, ctx.llm, tools)
        plan = GoalPlan.model_validate(state["goal_plan"]) if state.get("goal_plan") else None
        # a new multi-part request (a follow-up keeps the films of the plan it changes)
        if plan is not None and not plan.slots:
            update = replaced_by_parts(plan).merged(update)
        new_ledger = apply_update(ledger, update, turn)
        if state.get("goal_plan") is None and _new_request(extraction):
            new_ledger.goal_plan = None  # a new request ends the latest multi-part plan
        stats = candidate_stats(new_ledger, tools)
        understood = {
            **extraction.summary(),
            "update": update.model_dump(exclude_defaults=True, mode="json"),
            "ambiguous": [
                {"written": m.written, "item_id": m.item_id, "alternatives": m.alternatives}
                for m in extraction.mentions if m.alternatives
            ],
            "candidates": stats.count,
            "matching": stats.matching,
            "candidate_genres": stats.genres,
            "candidate_decades": stats.decades,
            "relax_note": stats.relax_note,
        }
        notes = list(extraction.notes) + ([refine_note] if refine_note else [])
        write({"event": "ledger", "chips": new_ledger.describe(), "candidates": stats.count})
    return {
        "turn": turn,
        "user_id": user_id,
        "owner": state.get("owner") or ctx.owner,
        "ledger": new_ledger.model_dump(mode="json"),
        "understood": understood,
        "decision": {},
        "plan": None,
        "items": [],
        "cards": [],
        "reply": "",
        "reply_source": "",
        "reply_written": "",
        "trace": [*_goals_line(state),
                  f"understand: {', '.join(new_ledger.describe()) or 'no constraints'}; "
                  f"{stats.count:,} candidates",
                  *([f"grounded: {'; '.join(extraction.groundings)}"]
                    if extraction.groundings else [])],
        "notes": notes,
        "timings_ms": timings,
        "replans": 0,
    }


def _goals_line(state: AgentState) -> list[str]:
    plan = state.get("goal_plan")
    if not plan:
        return []
    goals = "; ".join(f"{g['text']} ({g['slots']})" for g in plan.get("goals", []))
    changes = (f", refill slots {[n + 1 for n in plan['swap']]}" if plan.get("swap") else "") + (
        f", redo parts {[n + 1 for n in plan['redo']]}" if plan.get("redo") else "")
    return [f"goals ({plan.get('source', 'rules')}): {goals}{changes}"]
