"""The planner: which tools run this turn, as a typed plan.

A plan is a list of typed tool calls. Arguments that carry facts come from the
ledger, never from the LLM: the filter is always the ledger's hard constraints,
liked films are the ledger's ids, the user id is the session's. What the planner
chooses is which retrievers and rankers run, and (for a capable API model) how
the wish is phrased as a search query.

- A capable API model with a LangChain chat model calls the tools itself and settles on
  the rankers (`convrec.agent.tool_planner`); without tool calling, or when that fails,
  API backends answer with structured output (a JSON schema of the plan).
- The embedded model scores the enumerated set of valid plans by log-likelihood
  (DESIGN.md: better and faster than constrained decoding on a 135M model).
- Whatever comes back is repaired (unknown or inapplicable tools dropped, the
  filter restored) or replaced by the deterministic default plan: never a crash.

The plan's model (tool calls, the applicable rankers, building and repairing a plan) is
`convrec.agent.plan_model`, which the tool-calling planner shares.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from convrec.agent.ledger import Ledger
from convrec.agent.plan_model import (
    Plan,
    PlanChoice,
    PlanTool,
    ToolCall,
    applicable,
    build_plan,
    default_plan,
    repair,
)
from convrec.agent.tool_planner import ToolPlanningFailed, plan_with_tools
from convrec.llm.types import Llm
from convrec.prompts import load_prompt, load_prompt_data, render_prompt
from convrec.tools.context import ToolContext

log = logging.getLogger(__name__)

MAX_OPTIONS = 8


def plan_options(ledger: Ledger, user_id: str | None) -> list[list[PlanTool]]:
    """Valid ranker sets, the default (all applicable) first, then subsets, largest first."""
    tools = applicable(ledger, user_id)
    options: list[list[PlanTool]] = [tools]
    for size in range(len(tools) - 1, 0, -1):
        for subset in itertools.combinations(tools, size):
            options.append(list(subset))
            if len(options) >= MAX_OPTIONS:
                return options
    return options


def option_text(rankers: list[PlanTool], has_filter: bool) -> str:
    steps = (["filter_items"] if has_filter else []) + list(rankers)
    return " -> ".join(steps) if steps else "popular films"


def answer_plan(item_id: int) -> Plan:
    return Plan(calls=[ToolCall(tool="lookup_items", args={"item_id": item_id})], source="fixed")


# ----------------------------------------------------------------------------- choosing

def state_line(ledger: Ledger, user_id: str | None) -> str:
    """The request in the few words the planner's prompt uses (prompts/plan_state.txt)."""
    return render_prompt("plan_state", constraints=", ".join(ledger_slots(ledger)) or "none",
                         wish="yes" if ledger.query() else "no", liked=len(ledger.liked),
                         known_user="yes" if user_id else "no")


def scoring_messages(state: str) -> list[dict[str, str]]:
    """The chat whose reply the planner scores each plan as: the tools, a few examples
    (prompts/plan_shots.json) and the request's `state` line."""
    messages = [{"role": "system", "content": load_prompt("plan_system")}]
    for shot in load_prompt_data("plan_shots"):
        messages += [{"role": "user", "content": shot["state"]},
                     {"role": "assistant", "content": shot["plan"]}]
    messages.append({"role": "user", "content": state})
    return messages


def structured_messages(state: str, wishes: str | None) -> list[dict[str, str]]:
    """The chat a capable model answers with a `PlanChoice`."""
    system = render_prompt("plan_structured_system", plan_system=load_prompt("plan_system"))
    return [{"role": "system", "content": system},
            {"role": "user", "content": render_prompt("plan_structured_user", state=state,
                                                      wishes=wishes or "(none)")}]


def ledger_slots(ledger: Ledger) -> list[str]:
    slots = []
    if ledger.genres_include or ledger.genres_exclude:
        slots.append("genre")
    if ledger.year_from or ledger.year_to:
        slots.append("era")
    if ledger.runtime_min or ledger.runtime_max:
        slots.append("runtime")
    if ledger.languages:
        slots.append("language")
    if ledger.people_include or ledger.people_exclude:
        slots.append("people")
    if ledger.min_rating:
        slots.append("rating")
    if ledger.keywords_include or ledger.keywords_exclude:
        slots.append("keyword")
    if ledger.studios_include or ledger.studios_exclude:
        slots.append("studio")
    return slots


def choose_plan(ledger: Ledger, user_id: str | None, llm: Llm | None, *,
                tools: ToolContext | None = None,
                emit: Callable[[dict[str, Any]], None] | None = None) -> Plan:
    """The plan for a recommendation turn; the default plan whenever the LLM cannot help.

    With `tools` (the session's tool context), a capable model whose LangChain chat model
    calls tools plans by calling them (`emit` streams each call)."""
    default = default_plan(ledger, user_id)
    if llm is None:
        return default
    options = plan_options(ledger, user_id)
    has_filter = ledger.to_filter() is not None
    try:
        if getattr(llm, "supports_scoring", False):
            if len(options) < 2:
                return default
            messages = scoring_messages(state_line(ledger, user_id))
            texts = [option_text(o, has_filter) for o in options]
            scores = llm.score_options(messages, texts)
            best = max(range(len(options)), key=lambda i: scores[i])
            plan = build_plan(ledger, options[best], source="llm")
            plan.notes.append(f"planner scored {len(options)} plans; chose {texts[best]}")
            return plan
        if getattr(llm, "capable", False):
            chat = getattr(llm, "chat_model", None)
            if tools is None or chat is None:
                return _structured_plan(ledger, user_id, llm, default)
            return _tool_plan(ledger, user_id, llm, chat, tools, emit, default)
    except Exception as exc:  # any backend failure: the default plan, and say so
        log.warning("planner failed (%s); using the default plan", exc)
        default.notes.append(f"planner unavailable ({type(exc).__name__}); default plan")
        return default
    return default


def _tool_plan(ledger: Ledger, user_id: str | None, llm: Llm, chat: Any, tools: ToolContext,
               emit: Callable[[dict[str, Any]], None] | None, default: Plan) -> Plan:
    """The tool-calling planner's plan; the structured plan, with a note, when it fails."""
    if not applicable(ledger, user_id):  # popular films that fit: nothing to choose
        return _structured_plan(ledger, user_id, llm, default)
    try:
        return plan_with_tools(ledger, user_id, chat, tools, emit=emit)
    except ToolPlanningFailed as failed:
        log.info("tool-calling planner: %s; structured plan", failed)
        try:
            plan = _structured_plan(ledger, user_id, llm, default)
        except Exception as exc:  # the endpoint is down, say: the default plan
            plan = default
            plan.notes.append(f"planner unavailable ({type(exc).__name__}); default plan")
        plan.notes.insert(0, f"tool-calling planner: {failed}; fell back to the "
                             f"{'default' if plan.source == 'default' else 'structured'} plan")
        plan.trace = [*failed.lines, *plan.trace]
        return plan


def _structured_plan(ledger: Ledger, user_id: str | None, llm: Llm, default: Plan) -> Plan:
    messages = structured_messages(state_line(ledger, user_id), ledger.query())
    try:
        choice = llm.structured(messages, PlanChoice, max_tokens=120)
    except (ValidationError, ValueError) as exc:
        default.notes.append(f"planner output invalid ({exc.__class__.__name__}); default plan")
        return default
    return repair(choice, ledger, user_id, default)
