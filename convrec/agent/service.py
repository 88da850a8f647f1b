"""The agent as callers use it: one turn, a stream of events, sessions and feedback.

`Agent` owns the compiled graph, the checkpointer (SqliteSaver, or PostgresSaver on
CONVREC_SESSIONS_URL: `sessions_db`; keyed by thread id, so a session resumes after a
restart, or on another replica, with its whole ledger), the shared resources
and the LLM. Identity comes from the caller's session: a thread is bound to the
user it was opened with and the LLM never sees or chooses it.

Events of a streamed turn (dicts, in order):
  {"event": "node", "node": ..., "status": "start" | "done", "ms": ...}
  {"event": "ledger", "chips": [...], "candidates": n}
  {"event": "act", "act": ..., "source": ...}
  {"event": "tool", "line": ..., "tool_call": {"round": n, "tool": ..., "args": {...}, "ok": ...}}
                                            a tool-calling planner's call and its result
  {"event": "plan", "plan": "filter_items -> search_dense", "source": ...}
  {"event": "tool", "line": "filter: 13,507 -> 312"}
  {"event": "goals", "goals": [{"goal", "text", "heading", "slots"}], "shape": {...}, ...}
                                            a multi-part request: its sub-goals (then one
  {"event": "goal", "goal": n, "heading": ..., "plan": ..., "found": n}   per sub-goal, and
                                            its tool lines prefixed with "[heading]")
  {"event": "token", "text": ...}           reply text as it is produced
  {"event": "reset"}                        drop the streamed text; the final reply replaces it
  {"event": "final", "result": TurnResult}  always last
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

from convrec.agent import inputs
from convrec.agent.access import check_thread
from convrec.agent.feedback_log import FeedbackLog, open_feedback_log
from convrec.agent.graph import compile_graph
from convrec.agent.ledger import Ledger
from convrec.agent.policy import Policy, make_policy
from convrec.agent.sessions_db import close_checkpointer, open_checkpointer, thread_ids
from convrec.agent.state import AgentContext
from convrec.agent.understanding import get_extractor
from convrec.config import Settings, get_settings
from convrec.errors import ConvrecError
from convrec.llm.factory import get_llm
from convrec.llm.turn_budget import llm_turn_budget
from convrec.llm.types import Llm
from convrec.tools.base import parse_user_ref
from convrec.tools.context import Resources, ToolContext
from convrec.tools.warmup import load_all

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000  # longer turns are cut (the extractor reads the first 1,000)
Feedback = Literal["like", "reject", "seen"]


class TurnResult(BaseModel):
    thread_id: str
    turn: int
    user_id: str | None
    message: str
    reply: str
    reply_source: str = ""
    reply_written: str = Field(default="", description="What a model wrote of the reply (the "
                               "intro sentence or the whole reply); empty for templates")
    act: str = ""
    act_source: str = ""
    user_act: str = ""
    plan: list[str] = Field(default_factory=list)
    plan_source: str | None = None
    trace: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    item_ids: list[int] = Field(default_factory=list)
    cards: list[dict[str, Any]] = Field(default_factory=list)
    ledger: dict[str, Any] = Field(default_factory=dict)
    chips: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    first_token_ms: float | None = None


class Agent:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        resources: Resources | None = None,
        llm: Llm | None = None,
        use_llm: bool = True,
        policy: Policy | None = None,
        checkpointer: Any = None,
        feedback_log: FeedbackLog | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.resources = resources or Resources.from_settings(self.settings)
        self._llm = llm
        self._use_llm = use_llm
        self._llm_lock = threading.Lock()
        self._policy = policy
        self.checkpointer = checkpointer or open_checkpointer(self.settings)
        self.graph = compile_graph(self.checkpointer)
        self._feedback_log = feedback_log
        self._log_lock = threading.Lock()

    @property
    def feedback_log(self) -> FeedbackLog:
        """The durable feedback log (settings.feedback, or the sessions' PostgreSQL database),
        opened on first use."""
        if self._feedback_log is None:
            with self._log_lock:
                if self._feedback_log is None:
                    self._feedback_log = open_feedback_log(self.settings)
        return self._feedback_log

    # ------------------------------------------------------------------ parts

    @property
    def llm(self) -> Any | None:
        """The configured LLM backend, loaded on first use (None when disabled)."""
        if not self._use_llm:
            return None
        if self._llm is None:
            with self._llm_lock:
                if self._llm is None:
                    self._llm = get_llm(self.settings)
        return self._llm

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            llm = self.llm if self.settings.agent_policy == "llm" else None
            self._policy = make_policy(self.settings.agent_policy, llm,
                                       path=self.settings.agent_policy_path)
        return self._policy

    def warm_up(self) -> None:
        """Load the indexes, vocabularies and the LLM now rather than on the first turn, and
        set the process up for answering (see `convrec.tools.warmup.load_all`)."""
        _ = self.llm
        get_extractor(ToolContext(self.resources))
        load_all(self.resources)

    def _config(self, thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id},
                "recursion_limit": self.settings.agent_recursion_limit}

    def _context(self, user_id: str | None, login: str | None = None) -> AgentContext:
        return AgentContext(resources=self.resources, policy=self.policy, llm=self.llm,
                            user_id=user_id, owner=login, k=self.settings.agent_k,
                            learned=self.settings.agent_ranker == "learned")

    # ------------------------------------------------------------------ sessions

    def state(self, thread_id: str) -> dict[str, Any]:
        """The thread's persisted state ({} for a new thread)."""
        thread_id = inputs.thread_id(thread_id)
        snapshot = self.graph.get_state(self._config(thread_id))
        return dict(snapshot.values or {})

    def open_thread(self, thread_id: str, login: str | None = None, *,
                    existing: bool = False) -> dict[str, Any]:
        """The thread's state for `login` (see convrec.agent.access): every caller that
        reads, continues or edits a thread on someone's behalf goes through here. Another
        login's thread raises NoSuchChat, worded like a thread that does not exist."""
        return check_thread(self.state(thread_id), login, existing=existing)

    def ledger(self, thread_id: str, login: str | None = None) -> Ledger:
        return Ledger.model_validate(self.open_thread(thread_id, login).get("ledger") or {})

    def bind_user(self, thread_id: str, user_id: str | None) -> str | None:
        """The user of this thread: the one it was opened with; a different one is an error."""
        thread_id, user_id = inputs.thread_id(thread_id), inputs.user_id(user_id)
        if user_id is not None:
            kind, key = parse_user_ref(user_id)
            user_id = f"{kind}:{key}"
        stored = self.state(thread_id).get("user_id")
        if stored and user_id and stored != user_id:
            raise ConvrecError(f"thread {thread_id!r} belongs to {stored}, not {user_id}")
        return stored or user_id

    def threads(self, limit: int = 50) -> list[str]:
        """Thread ids with saved state, most recent first."""
        return thread_ids(self.checkpointer, limit)

    def feedback(self, thread_id: str, item_id: int, kind: Feedback, *,
                 source: str = "api", login: str | None = None) -> Ledger:
        """A like / not for me / seen from the UI: into the thread's ledger at once, and into
        the durable feedback log (only in `login`'s own thread when given)."""
        thread_id = inputs.thread_id(thread_id)
        if not isinstance(kind, str) or kind not in ("like", "reject", "seen"):
            raise ConvrecError(f"unknown feedback {inputs.shown(kind)}: use like, reject or seen")
        item_id = inputs.item_id(item_id)
        if not self.resources.catalog.exists([item_id]):
            raise ConvrecError(f"film {item_id} is not in the catalog")
        state = self.open_thread(thread_id, login)
        ledger = Ledger.model_validate(state.get("ledger") or {})
        turn = state.get("turn", 0)
        if kind == "like":
            ledger.liked[item_id] = turn
            ledger.disliked.pop(item_id, None)
        elif kind == "reject":
            ledger.rejected[item_id] = turn
        else:
            ledger.seen[item_id] = turn
        self._save_ledger(thread_id, ledger)
        self.feedback_log.record(thread_id=thread_id, user_id=state.get("user_id"),
                                 item_id=item_id, kind=kind, turn=turn, source=source)
        return ledger

    def remove_constraint(self, thread_id: str, key: str, login: str | None = None) -> Ledger:
        """Drop one constraint (a chip of `Ledger.chips`) from the thread's ledger; the next
        turn plans without it."""
        thread_id, key = inputs.thread_id(thread_id), inputs.chip_key(key)
        ledger = self.ledger(thread_id, login)
        try:
            ledger = ledger.without(key)
        except ValueError as exc:
            raise ConvrecError(str(exc)) from None
        # the words that asked for it no longer stand: the ranker reads what the user wrote
        # after this mark only (see nodes/act.users_words)
        history = [*self.state(thread_id).get("history", []),
                   {"role": "edit", "text": f"removed {key}"}]
        self.graph.update_state(self._config(thread_id), {
            "ledger": ledger.model_dump(mode="json"), "history": history}, as_node="respond")
        return ledger

    def _save_ledger(self, thread_id: str, ledger: Ledger) -> None:
        self.graph.update_state(self._config(thread_id),
                                {"ledger": ledger.model_dump(mode="json")}, as_node="respond")

    # ------------------------------------------------------------------ turns

    def turn(self, message: str, *, thread_id: str, user_id: str | None = None,
             login: str | None = None) -> TurnResult:
        result = None
        for event in self.stream(message, thread_id=thread_id, user_id=user_id, login=login):
            if event["event"] == "final":
                result = event["result"]
        assert result is not None
        return result

    def stream(self, message: str, *, thread_id: str, user_id: str | None = None,
               login: str | None = None) -> Iterator[dict[str, Any]]:
        """Run one turn, yielding progress and reply tokens, then {"event": "final"}.
        `login` (the caller's authenticated account, None without logins) must own the
        thread; a new thread becomes its."""
        message = inputs.message(message, MAX_MESSAGE_CHARS)
        self.open_thread(thread_id, login)
        user_id = self.bind_user(thread_id, user_id)
        config = self._config(thread_id)
        started = time.perf_counter()
        first_token: float | None = None
        final: dict[str, Any] = {}
        # The turn's LLM calls share one budget: a dead or hanging endpoint costs it once
        timeout = getattr(self._llm, "timeout_s", None)  # an endpoint the caller gave
        budget_s = self.settings.llm_turn_budget(timeout if isinstance(timeout, int | float)
                                                 else None)
        # durability "exit": the turn's state is saved once, when the turn ends, so a
        # process killed mid-turn leaves the thread at its last complete turn (not a
        # checkpoint per node with half a turn in it)
        with llm_turn_budget(budget_s) as budget:
            for mode, chunk in self.graph.stream({"message": message}, config,
                                                 context=self._context(user_id, login),
                                                 stream_mode=["custom", "values"],
                                                 durability="exit"):
                if mode == "custom":
                    if chunk.get("event") == "token" and first_token is None:
                        first_token = (time.perf_counter() - started) * 1000
                    yield chunk
                else:
                    final = chunk
        total = (time.perf_counter() - started) * 1000
        result = self._result(thread_id, message, final, total, first_token)
        note = budget.note(result.reply_source) if budget is not None else None
        if note is not None:  # why the reply came from templates, in one line
            result.notes.append(note)
            result.trace.append(note)
        if budget is not None and budget.calls:
            result.timings_ms["llm_wait"] = round(budget.waited_s * 1000, 2)
        yield {"event": "final", "result": result}

    async def astream(self, message: str, *, thread_id: str, user_id: str | None = None
                      ) -> AsyncIterator[dict[str, Any]]:
        """`stream` for async callers: the turn runs in a worker thread."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        def work() -> None:
            try:
                for event in self.stream(message, thread_id=thread_id, user_id=user_id):
                    loop.call_soon_threadsafe(queue.put_nowait, event)
            except BaseException as exc:  # handed to the consumer
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        thread = threading.Thread(target=work, name=f"turn-{thread_id}", daemon=True)
        thread.start()
        while True:
            item = await queue.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item

    @staticmethod
    def _result(thread_id: str, message: str, state: dict[str, Any], total_ms: float,
                first_token: float | None) -> TurnResult:
        ledger = Ledger.model_validate(state.get("ledger") or {})
        plan = state.get("plan") or {}
        decision = state.get("decision") or {}
        timings = dict(state.get("timings_ms") or {})
        timings["total"] = round(total_ms, 2)
        cards = list(state.get("cards") or [])
        return TurnResult(
            thread_id=thread_id,
            turn=state.get("turn", 0),
            user_id=state.get("user_id"),
            message=message,
            reply=state.get("reply", ""),
            reply_source=state.get("reply_source", ""),
            reply_written=state.get("reply_written", ""),
            act=decision.get("act", ""),
            act_source=decision.get("source", ""),
            user_act=(state.get("understood") or {}).get("user_act", ""),
            plan=[c["tool"] for c in plan.get("calls", [])],
            plan_source=plan.get("source"),
            trace=list(state.get("trace") or []),
            notes=list(state.get("notes") or []),
            item_ids=[c["item_id"] for c in cards],
            cards=cards,
            ledger=ledger.model_dump(mode="json"),
            chips=ledger.describe(),
            timings_ms=timings,
            first_token_ms=None if first_token is None else round(first_token, 2),
        )

    def close(self) -> None:
        close_checkpointer(self.checkpointer)  # the SQLite connection or the PostgreSQL pool
        if self._feedback_log is not None:
            self._feedback_log.close()
