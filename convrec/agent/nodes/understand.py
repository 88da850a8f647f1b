"""understand: fold the user's turn into the constraint ledger.

The deterministic extractor always runs; a capable LLM may add what it missed
(`convrec.agent.refine`). The candidate count and spread under the new ledger are
measured here, for the policy.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.act import candidate_stats
from convrec.agent.ledger_apply import apply_update
from convrec.agent.nodes.common import ledger_of, step
from convrec.agent.refine import refine
from convrec.agent.state import AgentContext, AgentState
from convrec.agent.understanding import get_extractor


def understand(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    timings: dict[str, float] = {}
    with step(state, "understand", timings) as write:
        turn = state.get("turn", 0) + 1
        user_id = state.get("user_id") or ctx.user_id
        tools = ctx.tools(user_id)
        ledger = ledger_of(state)
        extraction = get_extractor(tools).extract(state["message"], ledger)
        update, refine_note = refine(extraction, ctx.llm, tools)
        new_ledger = apply_update(ledger, update, turn)
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
        "ledger": new_ledger.model_dump(mode="json"),
        "understood": understood,
        "decision": {},
        "plan": None,
        "items": [],
        "cards": [],
        "reply": "",
        "reply_source": "",
        "reply_written": "",
        "trace": [f"understand: {', '.join(new_ledger.describe()) or 'no constraints'}; "
                  f"{stats.count:,} candidates",
                  *([f"grounded: {'; '.join(extraction.groundings)}"]
                    if extraction.groundings else [])],
        "notes": notes,
        "timings_ms": timings,
        "replans": 0,
    }
