"""policy: choose the dialogue act from a compact summary of the state."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.nodes.common import ledger_of, step, timings_of
from convrec.agent.plan import applicable, ledger_slots
from convrec.agent.policy import ASK_ACTS, PolicyInput
from convrec.agent.state import AgentContext, AgentState


def policy_input(state: AgentState) -> PolicyInput:
    ledger = ledger_of(state)
    understood = state.get("understood") or {}
    question = understood.get("question") or {}
    return PolicyInput(
        turn=state.get("turn", 1),
        user_act=understood.get("user_act", "unclear"),
        question_resolved=bool(question.get("item_id")),
        hard_constraints=ledger.hard_count(),
        slots=ledger_slots(ledger),
        has_wish=ledger.query() is not None,
        liked_films=len(ledger.liked),
        known_user=state.get("user_id") is not None,
        candidates=understood.get("candidates", 0),
        candidate_genres=understood.get("candidate_genres", 0),
        candidate_decades=understood.get("candidate_decades", 0),
        asked=list(state.get("asked") or []),
        shown=len(ledger.shown),
        unresolved_titles=len(understood.get("unresolved_titles") or []),
        rankers=list(applicable(ledger, state.get("user_id"))),
    )


def policy(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    timings = timings_of(state)
    with step(state, "policy", timings) as write:
        inp = policy_input(state)
        assert runtime.context.policy is not None
        decision = runtime.context.policy.decide(inp)
        write({"event": "act", "act": decision.choice(), "source": decision.source})
    asked = list(state.get("asked") or [])
    if decision.act in ASK_ACTS:
        asked.append(decision.act)
    return {
        "policy_input": inp.model_dump(mode="json"),
        "decision": decision.model_dump(mode="json"),
        "asked": asked,
        "timings_ms": timings,
        "trace": [*state.get("trace", []), f"policy ({decision.source}): {decision.choice()}"],
    }
