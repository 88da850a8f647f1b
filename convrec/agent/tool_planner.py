"""The tool-calling planner: a capable chat model calls the tools, reads their results and
decides which rankers run.

The model gets the request (the ledger's chips, the wish, the liked films; never whose
data it is) and the registry's tools as LangChain tools (`convrec.tools.langchain_tools`),
plus `finish`. It may call tools in sequence: up to `MAX_ROUNDS` model turns of at most
`REPLY_TOKENS` tokens and `MAX_CALLS_PER_ROUND` calls each, within `BUDGET_S` seconds.
Each call runs for real with the session's facts injected (the ledger's constraints and
exclusions, the session's user) whatever the model wrote, and comes back compact and
marked as data. A bad argument or an unknown tool is a one-line
error the model can retry on. `finish` (rankers, and a query phrasing the wish) becomes a
`Plan` with source "tools", which `act` runs like any other plan: every film shown comes
from the tools and passes verification and the audit.

Anything else (no tool calling, a failing call, no `finish` within the budget) raises
`ToolPlanningFailed` with what happened so far; the caller falls back to the structured
or default plan and says so. A model that refuses tools or makes no tool call on its
first request (the embedded model behind `convrec llm serve`) is not asked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from convrec.agent.ledger import Ledger
from convrec.agent.plan_model import Plan, PlanChoice, PlannedStep, PlanTool, applicable, repair
from convrec.catalog.records import title_year
from convrec.errors import ConvrecError
from convrec.llm.json_output import first_json_object
from convrec.prompts import load_prompt, render_prompt
from convrec.tools.context import ToolContext
from convrec.tools.langchain_tools import (
    SessionFacts,
    ToolBox,
    args_text,
    one_line_error,
    session_owned,
)
from convrec.tools.pipeline import Ranker

MAX_ROUNDS = 4  # model turns with tools
MAX_CALLS_PER_ROUND = 4
BUDGET_S = 60.0  # wall clock for the whole loop, checked before each model turn
REPLY_TOKENS = 400  # per model turn: enough for a few tool calls
WISH_CHARS = 300
FINISH = "finish"
SEARCHES = ("search_bm25", "search_dense")
WHY_NOT = {
    "search_bm25": "the user stated no wish to search for",
    "search_dense": "no wish and no liked film",
    "user_profile": "no user profile in this session",
    "rank_cf": "no liked film and no MovieLens ratings",
}

Emit = Callable[[dict[str, Any]], None]

# Chat models that refused tools (an HTTP 4xx) or answered the first request without a tool
# call: later turns go straight to the structured plan. The value keeps the model alive, so
# its id is never another model's.
_NO_TOOLS: dict[int, Any] = {}


class ToolPlanningFailed(ConvrecError):
    """The model could not plan with tools; `lines` is the trace of what it did."""

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or []


class FinishArgs(BaseModel):
    """Finish planning: the rankers that rank the final recommendation, best first."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rankers: list[Ranker] = Field(
        min_length=1, max_length=4,
        description="search_bm25: keywords; search_dense: meaning and the liked films; "
        "user_profile: the user's own ratings; rank_cf: people with the same taste. "
        "Only rankers that apply to this request.",
    )
    query: str | None = Field(
        default=None, max_length=300,
        description="For the search rankers: the user's wish as a short search query. Leave "
        "it out when the user stated no wish.",
    )


def finish_tool() -> Any:
    from langchain_core.tools import StructuredTool  # deferred: langchain_core takes ~1 s to import

    def run(**_: Any) -> str:
        return "planning finished"

    return StructuredTool.from_function(
        func=run, name=FINISH, description=FinishArgs.__doc__ or FINISH,
        args_schema=FinishArgs, infer_schema=False)


def request_message(ledger: Ledger, user_id: str | None, ctx: ToolContext,
                    rankers: list[PlanTool]) -> str:
    liked = ctx.catalog.items(sorted(ledger.liked)[:10])
    return render_prompt(
        "plan_tools_user",
        constraints=", ".join(ledger.describe()) or "none",
        wish=" ".join((ledger.query() or "none").split())[:WISH_CHARS],
        liked="; ".join(f"{title_year(i.title, i.year)} [id {i.item_id}]"
                        for i in liked) or "none",
        known_user="yes" if user_id else "no",
        rankers=", ".join(rankers),
    )


def facts_of(ledger: Ledger) -> SessionFacts:
    return SessionFacts(constraints=ledger.to_filter(),
                        exclude_ids=frozenset(ledger.excluded_ids()),
                        liked_ids=tuple(sorted(ledger.liked)))


class _Trace:
    """The calls and their results, as trace lines and stream events."""

    def __init__(self, emit: Emit | None) -> None:
        self.emit = emit or (lambda _event: None)
        self.lines: list[str] = []

    def add(self, step: int, tool: str, args: dict[str, Any], line: str, ok: bool) -> None:
        """Call number len(lines) + 1, made in model turn `step`."""
        self.lines.append(f"tool call {len(self.lines) + 1}: {line}")
        self.emit({"event": "tool", "line": self.lines[-1],  # shown as the UI's tool lines
                   "tool_call": {"round": step, "tool": tool, "args": args, "ok": ok}})


def plan_with_tools(ledger: Ledger, user_id: str | None, chat: Any, ctx: ToolContext, *,
                    emit: Emit | None = None, max_rounds: int = MAX_ROUNDS,
                    budget_s: float = BUDGET_S) -> Plan:
    """The plan a tool-calling chat model settles on; ToolPlanningFailed when it cannot."""
    # deferred: langchain_core takes ~1 s to import
    from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage

    rankers = applicable(ledger, user_id)
    if not rankers:
        raise ToolPlanningFailed("no ranker applies to this request")
    if _NO_TOOLS.get(id(chat)) is chat:
        raise ToolPlanningFailed("this model made no tool call on an earlier turn")
    box = ToolBox(ctx, facts_of(ledger))
    try:
        bound = chat.bind_tools([*box.structured_tools(), finish_tool()])
        if "max_tokens" in getattr(type(chat), "model_fields", {}):  # ChatOpenAI and kin
            bound = bound.bind(max_tokens=REPLY_TOKENS)
    except Exception as exc:  # NotImplementedError: a chat model without tool calling
        raise ToolPlanningFailed(f"the chat model cannot call tools ({type(exc).__name__})"
                                 ) from None
    messages: list[Any] = [SystemMessage(load_prompt("plan_tools_system")),
                           HumanMessage(request_message(ledger, user_id, ctx, rankers))]
    trace = _Trace(emit)
    started = time.monotonic()
    for step in range(1, max_rounds + 1):
        if time.monotonic() - started > budget_s:
            raise ToolPlanningFailed(f"time budget of {budget_s:g} s spent", trace.lines)
        try:  # 'nostream': the planner's tokens are not the reply's
            ai = bound.invoke(messages, config={"tags": ["nostream"],
                                                "run_name": "tool_planner"})
        except Exception as exc:
            why = " ".join(str(exc).split())[:160]
            if step == 1 and _refused(exc):
                _NO_TOOLS[id(chat)] = chat
            raise ToolPlanningFailed(f"the model call failed ({type(exc).__name__}: {why})",
                                     trace.lines) from None
        messages.append(ai)
        calls = list(getattr(ai, "tool_calls", None) or [])
        invalid = list(getattr(ai, "invalid_tool_calls", None) or [])
        if not calls and not invalid:
            plan = _finish_from_text(ai.content, ledger, user_id, rankers)
            if plan is None:
                if step == 1:
                    _NO_TOOLS[id(chat)] = chat
                raise ToolPlanningFailed("the model answered without calling finish",
                                         trace.lines)
            trace.add(step, FINISH, {}, f"answered in text: {plan.describe()}", True)
            plan.trace = trace.lines
            return plan
        for bad in invalid:
            name = str(bad.get("name") or "?")
            text = f"error: the arguments of {name} are not valid JSON; call it again"
            trace.add(step, name, {}, f"{name}(?) -> {text}", False)
            messages.append(ToolMessage(content=text, tool_call_id=bad.get("id") or ""))
        for n, call in enumerate(calls):
            name, args = call["name"], call.get("args") or {}
            if n >= MAX_CALLS_PER_ROUND:
                text = f"skipped: at most {MAX_CALLS_PER_ROUND} tool calls a round"
                trace.add(step, name, args, f"{name}: skipped", False)
            elif name == FINISH:
                plan, text = finish(args, ledger, user_id, rankers)
                trace.add(step, name, args, f"finish({args_text(args)}) -> "
                          + (plan.describe() if plan else text), plan is not None)
                if plan is not None:
                    plan.trace = trace.lines
                    return plan
            else:
                reply = box.call(name, args)
                text = reply.text
                trace.add(step, name, args, reply.line, reply.ok)
            messages.append(ToolMessage(content=text, tool_call_id=call.get("id") or ""))
    raise ToolPlanningFailed(f"no finish after {max_rounds} rounds", trace.lines)


def _refused(exc: BaseException) -> bool:
    """An HTTP 4xx that says the request itself is unwelcome (not auth, not rate limits)."""
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (401, 403, 408,
                                                                              429)


def finish(args: Any, ledger: Ledger, user_id: str | None, rankers: list[PlanTool]
           ) -> tuple[Plan | None, str]:
    """The plan `finish(args)` asks for, or None and a one-line error for the model."""
    raw = dict(args) if isinstance(args, dict) else {}
    owned = session_owned(FINISH)
    ignored = sorted(k for k in raw if k in owned)
    try:
        choice = FinishArgs.model_validate({k: v for k, v in raw.items() if k not in owned})
    except ValidationError as exc:
        return None, one_line_error(FINISH, exc)
    usable = [r for r in dict.fromkeys(choice.rankers) if r in rankers]
    if not usable:
        why = "; ".join(f"{r}: {WHY_NOT[r]}" for r in choice.rankers)
        return None, (f"error: finish arguments: no ranker you chose applies here ({why}). "
                      f"Rankers that apply: {', '.join(rankers)}.")
    steps = [PlannedStep(tool=r, query=choice.query if r in SEARCHES else None) for r in usable]
    default = Plan()
    plan = repair(PlanChoice(steps=steps), ledger, user_id, default)
    plan.source = "tools"
    dropped = [r for r in choice.rankers if r not in usable]
    if dropped:
        plan.notes.append(f"tool planner: dropped inapplicable rankers: {', '.join(dropped)}")
    if ignored:
        plan.notes.append(f"tool planner: ignored {', '.join(ignored)} (set by the session)")
    return plan, "planning finished"


def _finish_from_text(content: Any, ledger: Ledger, user_id: str | None,
                      rankers: list[PlanTool]) -> Plan | None:
    """A model that wrote finish's arguments as text instead of calling it."""
    if not isinstance(content, str) or "{" not in content:
        return None
    try:
        data = first_json_object(content)
    except ConvrecError:
        return None
    plan, _ = finish(data.get("arguments", data), ledger, user_id, rankers)
    return plan
