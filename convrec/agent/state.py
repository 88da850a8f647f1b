"""The graph's state and run-time context.

State is what the checkpointer persists per thread: plain JSON-able values only
(the ledger as a dict, items as dicts), so a session resumes after a restart and
the checkpoint can be read by any tool. The run-time context carries what is not
state and never comes from the LLM: the shared resources, the LLM backend, the
policy, and the user id the session was opened with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langgraph.managed import RemainingSteps

from convrec.agent.policy import Policy, RulePolicy
from convrec.config import get_settings
from convrec.llm.types import Llm
from convrec.tools.context import Resources, ToolContext

HISTORY_TURNS = 20


def latest_turn(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None
                ) -> list[dict[str, Any]]:
    """The sub-goals' results of the latest turn only: parallel branches add theirs, and a
    new turn's results replace the last turn's."""
    merged = [*(old or []), *(new or [])]
    latest = max((r.get("turn", 0) for r in merged), default=0)
    return [r for r in merged if r.get("turn", 0) == latest]


class InputState(TypedDict):
    """What a caller gives the graph: the user's message."""

    message: str


class AgentState(InputState, total=False):
    turn: int
    user_id: str | None
    owner: str | None  # the login that opened the thread (None: no logins); see agent.access
    ledger: dict[str, Any]
    understood: dict[str, Any]  # the extraction of this turn: user act, question, notes
    policy_input: dict[str, Any]
    decision: dict[str, Any]
    asked: list[str]
    plan: dict[str, Any] | None
    items: list[dict[str, Any]]  # verified ScoredItems of this turn
    cards: list[dict[str, Any]]
    reply: str
    reply_source: str
    reply_written: str  # the model-written text shown (intro or whole reply), "" if none
    trace: list[str]
    notes: list[str]
    timings_ms: dict[str, float]
    replans: int
    history: list[dict[str, str]]
    remaining_steps: RemainingSteps
    goal_plan: dict[str, Any] | None  # convrec.agent.goals.GoalPlan of a multi-part turn
    understand_text: str | None  # the words left for the ledger once the goals took theirs
    goal_results: Annotated[list[dict[str, Any]], latest_turn]  # each sub-goal's films


@dataclass
class AgentContext:
    """Run-time inputs of a turn. Left empty (as LangGraph Server builds it from a request),
    resources come from the settings and the policy is the rule policy."""

    resources: Resources | None = None
    policy: Policy | None = None
    llm: Llm | None = None  # None: templates and default plans only
    user_id: str | None = None
    owner: str | None = None  # the caller's login, checked against the thread's owner
    k: int = 5
    learned: bool = True  # rank with the learned ranker (False: the retrievers' fusion)

    def __post_init__(self) -> None:
        if self.resources is None:
            self.resources = default_resources()
        if self.policy is None:
            self.policy = RulePolicy()

    def tools(self, user_id: str | None) -> ToolContext:
        assert self.resources is not None
        return ToolContext(self.resources, user_id, edit_scope=self.owner)


_DEFAULT: dict[str, Resources] = {}


def default_resources() -> Resources:
    """The catalog and indexes named by the settings, loaded once per process."""
    settings = get_settings()
    key = f"{settings.catalog}|{settings.index}"
    if key not in _DEFAULT:
        _DEFAULT[key] = Resources.from_settings(settings)
    return _DEFAULT[key]
