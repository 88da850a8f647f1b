"""goals -> (understand) -> pursue x N (LangGraph Send) -> compose: multi-part requests.

`goals` reads the turn's sub-goals and the plan's shape (or a follow-up that changes one
part of the latest plan); `understand` then folds only the words every part shares into
the ledger. Each sub-goal is pursued in parallel, with its own plan, tools and audit under
its own ledger; `compose` solves the slots over the verified candidates and makes the
cards, which `respond` groups under a heading per sub-goal.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send

from convrec.agent.act import run_recommend
from convrec.agent.goals.compose import (
    candidate_depth,
    candidates_of,
    catalog_facts,
    compose,
    goal_ledger,
)
from convrec.agent.goals.decompose import decompose
from convrec.agent.goals.followup import read_followup
from convrec.agent.goals.strata import STRATUM_DEPTH, strata
from convrec.agent.goals.types import GoalPlan
from convrec.agent.ledger import Ledger
from convrec.agent.nodes.common import ledger_of, step, timings_of, writer
from convrec.agent.plan import choose_plan
from convrec.agent.respond import make_cards
from convrec.agent.state import AgentContext, AgentState
from convrec.agent.understanding import get_extractor
from convrec.agent.understanding.tokens import sanitize
from convrec.tools.base import ScoredItem


def goals(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    timings: dict[str, float] = {}
    with step(state, "goals", timings) as write:
        turn = state.get("turn", 0) + 1
        tools = ctx.tools(state.get("user_id") or ctx.user_id)
        extractor = get_extractor(tools)
        ledger = ledger_of(state)

        def extract(text: str) -> Any:
            return extractor.extract(text, Ledger()).update

        # the text the extractor reads (whitespace runs collapsed, control characters and
        # emoji gone): the split's patterns scan it in linear time, not cubic in a run
        message = sanitize(state.get("message", "") or "")
        plan, words = _followup(message, ledger, extract, tools, turn)
        if plan is None:
            plan, words = decompose(message, extract, turn=turn, llm=ctx.llm)
        if plan is not None:
            write({"event": "goals", "source": plan.source, "goals": [
                {"goal": g.index, "text": g.text, "heading": g.heading, "slots": g.slots}
                for g in plan.goals], "shape": plan.shape.model_dump(exclude_defaults=True),
                "swap": plan.swap, "redo": plan.redo})
    return {"goal_plan": None if plan is None else plan.model_dump(mode="json"),
            "understand_text": None if plan is None else words, "timings_ms": timings}


def _followup(message: str, ledger: Ledger, extract: Any, tools: Any, turn: int
              ) -> tuple[GoalPlan | None, str]:
    if not ledger.goal_plan:
        return None, message
    active = GoalPlan.model_validate(ledger.goal_plan)
    titles = {i.item_id: i.title for i in tools.catalog.items([s.item_id for s in active.slots])}
    plan = read_followup(message, active, extract, titles, turn)
    if plan is None:
        return None, message
    return plan, ""  # what the follow-up says belongs to the plan, not the whole ledger


PLAN_STEPS = 4  # pursue, compose, respond, and the step that routes to them


def route_after_understand(state: AgentState) -> Any:
    """Send each sub-goal with slots to fill to `pursue`; anything else goes to the policy."""
    raw = state.get("goal_plan")
    if not raw or (state.get("understood") or {}).get("user_act") == "question":
        return "policy"
    if state.get("remaining_steps", 99) <= PLAN_STEPS:
        return "policy"  # too few steps left for pursue, compose and respond: it ends politely
    plan = GoalPlan.model_validate(raw)
    ledger = ledger_of(state)
    turn = state.get("turn", 1)
    wanted = _goals_to_pursue(plan)
    return [Send("pursue", {
        "goal": plan.goals[g].model_dump(mode="json"),
        "ledger": goal_ledger(ledger, plan.goals[g], turn).model_dump(mode="json"),
        "k": candidate_depth(plan, plan.goals[g]), "turn": turn,
        "distinct": plan.shape.distinct,
        "user_id": state.get("user_id"),
    }) for g in wanted]


def _goals_to_pursue(plan: GoalPlan) -> list[int]:
    if not plan.slots:
        return [g.index for g in plan.goals]
    wanted = set(plan.redo) | {plan.slots[n].goal for n in plan.swap}
    return sorted(wanted)


def pursue(payload: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """One sub-goal: its own plan, tools and audit, under its own ledger."""
    ctx = runtime.context
    started = time.perf_counter()
    goal = payload["goal"]
    ledger = Ledger.model_validate(payload["ledger"])
    tools = ctx.tools(payload.get("user_id"))
    write = writer()
    plan = choose_plan(ledger, payload.get("user_id"), ctx.llm, tools=tools, emit=write)
    result = run_recommend(plan, ledger, tools, int(payload["k"]), said=goal["text"],
                           learned=ctx.learned)
    items = list(result.items)
    stratum: dict[int, str] = {}
    extra: list[ScoredItem] = []
    for label, narrowed in strata(ledger, payload.get("distinct"), tools):
        more = run_recommend(plan, narrowed, tools, STRATUM_DEPTH, said=goal["text"],
                             learned=ctx.learned)
        for scored in more.items:
            stratum.setdefault(scored.item_id, label)
        extra += more.items
        result.trace.append(f"{label}: {len(more.items)} candidates")
    known = {s.item_id for s in items}
    # the strata's films after the goal's own, interleaved by their rank in their stratum
    items += [s for _, s in sorted(
        ((rank, s) for rank, s in enumerate(extra) if s.item_id not in known),
        key=lambda pair: pair[0] % STRATUM_DEPTH)]
    items = list({s.item_id: s for s in items}.values())
    write({"event": "goal", "goal": goal["index"], "heading": goal["heading"],
           "plan": plan.describe(), "found": len(result.items)})
    for line in result.trace:
        write({"event": "tool", "line": f"[{goal['heading']}] {line}"})
    return {"goal_results": [{
        "turn": payload["turn"], "goal": goal["index"], "plan": plan.describe(),
        "items": [s.model_dump(mode="json") for s in items], "strata": stratum,
        "trace": [*(f"[{goal['heading']}] {line}" for line in plan.trace),
                  f"[{goal['heading']}] plan ({plan.source}): {plan.describe()}",
                  *(f"[{goal['heading']}] {line}" for line in result.trace)],
        "notes": result.notes, "ms": round((time.perf_counter() - started) * 1000, 2),
    }]}


def compose_plan(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Solve the plan's slots over every sub-goal's verified films; make the cards."""
    ctx = runtime.context
    timings = timings_of(state)
    turn = state.get("turn", 1)
    plan = GoalPlan.model_validate(state.get("goal_plan") or {})
    ledger = ledger_of(state)
    results = [r for r in state.get("goal_results") or [] if r["turn"] == turn]
    with step(state, "compose", timings) as write:
        tools = ctx.tools(state.get("user_id"))
        scored = {r["goal"]: [ScoredItem.model_validate(i) for i in r["items"]]
                  for r in results}
        ids = [s.item_id for items in scored.values() for s in items]
        ids += [s.item_id for s in plan.slots]
        facts = catalog_facts(tools, ids)
        strata_of = {r["goal"]: {int(k): v for k, v in (r.get("strata") or {}).items()}
                     for r in results}
        pools = {g: candidates_of(g, items, facts, strata_of.get(g)) for g, items in
                 scored.items()}
        _mark_swapped(plan, ledger, turn)
        composed = compose(plan, pools, facts)
        plan.slots, plan.note = composed.slots, composed.note
        plan.swap, plan.redo, plan.seen = [], [], False
        evidence = {s.item_id: s for items in scored.values() for s in items}
        cards = []
        ledgers = {g.index: goal_ledger(ledger, g, turn) for g in plan.goals
                   if any(s.goal == g.index for s in plan.slots)}
        for slot in plan.slots:
            goal = plan.goals[slot.goal]
            item = evidence.get(slot.item_id) or ScoredItem(item_id=slot.item_id, score=0.0)
            under = ledgers[slot.goal]
            if plan.shape.distinct == "genre" and slot.note.startswith("genre: "):
                under = under.model_copy()
                under.genres_include = {slot.note.removeprefix("genre: "): turn}
            made = make_cards([item], under, tools)
            for card in made:
                card.group = goal.heading
                note = "; ".join(p for p in slot.note.split("; ") if not p.startswith("genre: "))
                if note:
                    card.reason = f"{card.reason}; {note}"
            cards += made
        write({"event": "plan", "plan": plan.describe(), "source": f"goals-{plan.source}"})
    ledger.goal_plan = plan.model_dump(mode="json")
    trace = [*state.get("trace", [])]
    for r in sorted(results, key=lambda r: r["goal"]):
        trace += r["trace"]
        timings[f"goal {r['goal'] + 1}"] = r["ms"]
    trace.append(f"compose: {len(plan.slots)} slots" + (f"; {plan.note}" if plan.note else ""))
    return {
        "ledger": ledger.model_dump(mode="json"),
        "goal_plan": plan.model_dump(mode="json"),
        "decision": {"act": "recommend", "source": "goals"},
        "plan": {"calls": [{"tool": t, "args": {}} for t in _tools(results)],
                 "source": f"goals-{plan.source}", "notes": []},
        "items": [evidence.get(c.item_id, ScoredItem(item_id=c.item_id, score=0.0))
                  .model_dump(mode="json") for c in cards],
        "cards": [c.model_dump(mode="json") for c in cards],
        "trace": trace,
        "notes": [*state.get("notes", []), *(n for r in results for n in r["notes"])],
        "timings_ms": timings,
    }


def _tools(results: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in results:
        for tool in r["plan"].split(" -> "):
            if tool and tool != "(no tools)":
                seen[tool] = None
    return list(seen)


def _mark_swapped(plan: GoalPlan, ledger: Ledger, turn: int) -> None:
    """A replaced film is turned down (or seen, when the user says so): never shown again."""
    marks = ledger.seen if plan.seen else ledger.rejected
    for n in plan.swap:
        marks[plan.slots[n].item_id] = turn
    if plan.seen:
        for slot in plan.slots:
            if slot.goal in plan.redo:
                marks[slot.item_id] = turn
