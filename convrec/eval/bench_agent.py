"""The agent benchmark: scripted conversations through `Agent`, every turn checked on its own.

The conversations and their per-turn `expect` checks are described in
convrec/eval/conversations.py.

Protocol. One `Agent` (the backend given; a temporary sessions file) runs every
conversation in a fresh thread, as the user the file names; with `repeats` > 1 the
whole set runs again in new threads. Before anything is timed the indexes are
loaded and the agent answers one untimed warm-up turn. Every turn is then checked
from its `TurnResult` alone, independently of the agent's own audit:

- violations: recommended films breaking a hard constraint of the ledger after
  the turn (`Ledger.to_filter()`, without the exclusions, checked by
  `tools.filters.violations`, the clauses filter_items compiles);
- repeats: a film recommended in an earlier turn of the conversation (tracked
  here, not read from the agent's ledger), twice in one list, or one the user
  marked seen, rejected, disliked or liked (the ledger before the turn, what the
  turn itself added, and any earlier turn's marks, which "start over" must not
  forget);
- out of catalog: ids `Catalog.exists` does not know;
- rated before: for a dataset user, films they already rated (MovieLens) or
  reviewed (critic): the user has seen those;
- exceptions: a turn that raises is a failure; the conversation goes on, and the
  next turn must work;
- expectations: the `expect` keys of the turns (documented in
  convrec/eval/conversations.py); reported, but not a failure of the run.

Latency, per turn: `TurnResult.timings_ms` (understand, policy, plan, tools,
respond: wall time in each node; plan and tools only run on turns that call
tools) and `total` (`Agent.stream`, from the message to the final state); and
`first_token_ms` (the first streamed reply text). p50 / p95 are over every turn
of every run.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from convrec.agent.ledger import Ledger
from convrec.eval.conversations import Conversation, Expect
from convrec.eval.report import load_average
from convrec.progress import Progress
from convrec.tools.base import ToolArgumentError
from convrec.tools.context import Resources, ToolContext
from convrec.tools.filters import violations
from convrec.tools.pipeline import history_ids

PARTS = ("understand", "policy", "plan", "tools", "respond")
WARM_UP_TURN = "a comedy from the 90s"
MESSAGE_PREVIEW = 60

# ----------------------------------------------------------------------------- conversations



# ----------------------------------------------------------------------------- checks


@dataclass
class Findings:
    """What is wrong with one turn's films and expectations (all empty: nothing)."""

    violations: dict[int, list[str]] = field(default_factory=dict)
    repeats: dict[int, str] = field(default_factory=dict)
    out_of_catalog: list[int] = field(default_factory=list)
    rated_before: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def check_turn(
    result: Any,
    *,
    before: Ledger,
    earlier: Mapping[int, int],
    ctx: ToolContext,
    marked: Mapping[int, str] | None = None,
    history: Collection[int] = (),
    expect: Expect | None = None,
) -> Findings:
    """Check one turn's recommendations from its result alone.

    `result` has TurnResult's fields (item_ids, ledger, chips, reply, act, user_act,
    cards); `before` is the ledger before the turn; `earlier` maps each film
    recommended in an earlier turn of the conversation to that turn's number;
    `marked` maps films the user marked in any earlier turn (seen, rejected,
    disliked, liked: a ledger reset forgets some of them, the user has still seen
    them) to how; `history` holds the films a dataset user has already rated or
    reviewed.
    """
    ids = [int(i) for i in result.item_ids]
    after = Ledger.model_validate(result.ledger or {})
    found = Findings()
    known = ctx.catalog.exists(ids) if ids else set()
    found.out_of_catalog = [i for i in dict.fromkeys(ids) if i not in known]
    in_catalog = [i for i in dict.fromkeys(ids) if i in known]
    if in_catalog:
        found.violations = _violations(in_catalog, after, ctx)
    marks = (("seen", before.seen, after.seen), ("rejected", before.rejected, after.rejected),
             ("disliked", before.disliked, after.disliked), ("liked", before.liked, after.liked))
    counts = Counter(ids)
    for item_id in dict.fromkeys(ids):
        if item_id in earlier:
            found.repeats[item_id] = f"already recommended in turn {earlier[item_id]}"
        elif counts[item_id] > 1:
            found.repeats[item_id] = f"{counts[item_id]} times in the list"
        else:
            for name, old, new in marks:
                if item_id in old or item_id in new:
                    found.repeats[item_id] = f"the user marked it {name}"
                    break
            else:
                if marked and item_id in marked:
                    found.repeats[item_id] = f"the user marked it {marked[item_id]} earlier"
    found.rated_before = [i for i in dict.fromkeys(ids) if i in history]
    if expect is not None:
        found.failures = expect.failures(result)
    return found


def _violations(ids: list[int], ledger: Ledger, ctx: ToolContext) -> dict[int, list[str]]:
    try:
        constraints = ledger.to_filter()
    except ValidationError as exc:  # the ledger contradicts itself: nothing can satisfy it
        reason = f"the ledger's constraints contradict each other ({exc.errors()[0]['msg']})"
        return {i: [reason] for i in ids}
    if constraints is None:
        return {}
    try:
        broken = violations(ids, constraints, ctx)
    except ToolArgumentError as exc:
        return {i: [f"the ledger's constraints cannot be checked: {exc}"] for i in ids}
    return {i: reasons for i, reasons in broken.items() if reasons}


# ----------------------------------------------------------------------------- running


@dataclass
class TurnCheck:
    conversation: str
    run: int
    index: int  # 1-based
    message: str
    act: str = ""
    user_act: str = ""
    reply_source: str = ""
    act_source: str = ""
    item_ids: list[int] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    exception: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    first_token_ms: float | None = None

    @property
    def label(self) -> str:
        text = " ".join(self.message.split())
        if len(text) > MESSAGE_PREVIEW:
            text = text[:MESSAGE_PREVIEW - 1] + "…"
        return f"{self.conversation} turn {self.index} {text!r}"

    def problems(self) -> list[str]:
        """One line per problem of this turn."""
        f = self.findings
        out = [f"exception: {self.exception}"] if self.exception else []
        out += [f"violation: film {i} {'; '.join(r)}" for i, r in f.violations.items()]
        out += [f"repeat: film {i} {why}" for i, why in f.repeats.items()]
        out += [f"out of catalog: film {i}" for i in f.out_of_catalog]
        out += [f"rated before: film {i} is in the user's dataset history"
                for i in f.rated_before]
        out += [f"expectation: {x}" for x in f.failures]
        return [f"{self.label}: {p}" for p in out]



def run_conversation(
    agent: Any, key: str, conversation: Conversation, *, run: int = 1
) -> list[TurnCheck]:
    """Run one conversation in a fresh thread and check every turn."""
    ctx = ToolContext(agent.resources, conversation.user)
    history = history_ids(ctx)  # films the dataset user rated or reviewed
    thread = f"bench-{key}-{run}-{uuid.uuid4().hex[:8]}"
    before = Ledger()
    earlier: dict[int, int] = {}
    marked: dict[int, str] = {}
    checks: list[TurnCheck] = []
    for index, turn in enumerate(conversation.turns, start=1):
        check = TurnCheck(conversation=key, run=run, index=index, message=turn.text)
        checks.append(check)
        try:
            result = agent.turn(turn.text, thread_id=thread, user_id=conversation.user)
        except Exception as exc:  # a failure of the turn; the next one must still work
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
            check.exception = f"{type(exc).__name__}: {exc}{where}"
            with contextlib.suppress(Exception):  # the state as the failed turn left it
                before = agent.ledger(thread)
            continue
        check.act, check.user_act = result.act, result.user_act
        check.reply_source, check.act_source = result.reply_source, result.act_source
        check.item_ids = list(result.item_ids)
        check.timings_ms = dict(result.timings_ms)
        check.first_token_ms = result.first_token_ms
        check.findings = check_turn(result, before=before, earlier=earlier, ctx=ctx,
                                    marked=marked, history=history, expect=turn.expect)
        for item_id in result.item_ids:
            earlier.setdefault(int(item_id), index)
        before = Ledger.model_validate(result.ledger or {})
        _remember_marks(before, marked)
    return checks


def _remember_marks(ledger: Ledger, marked: dict[int, str]) -> None:
    for name in ("seen", "rejected", "disliked", "liked"):
        for item_id in getattr(ledger, name):
            marked.setdefault(int(item_id), name)


def warm_up(agent: Any) -> None:
    """Load what a server loads at start-up, then answer one untimed turn."""
    agent.warm_up()
    agent.turn(WARM_UP_TURN, thread_id=f"bench-warm-up-{uuid.uuid4().hex[:8]}")


def run_agent_bench(
    agent: Any,
    conversations: Sequence[tuple[str, Conversation]],
    *,
    repeats: int = 1,
    warm: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run every conversation `repeats` times through `agent`; the checks and the latency."""
    if warm:
        warm_up(agent)
    load_start = load_average()
    checks: list[TurnCheck] = []
    started = time.perf_counter()
    total = len(conversations) * repeats
    done = 0
    for run in range(1, repeats + 1):
        for key, conversation in conversations:
            if progress is not None:
                progress(f"conversations: {key}", done, total)
            checks += run_conversation(agent, key, conversation, run=run)
            done += 1
    if progress is not None:
        progress("conversations", done, total)
    return summarize(checks, conversations, repeats=repeats,
                     seconds=time.perf_counter() - started, load=(load_start, load_average()))


# ----------------------------------------------------------------------------- summary


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "n": 0}
    arr = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "n": len(values)}


COUNTS = ("violations", "repeats", "out_of_catalog", "rated_before", "exceptions",
          "expectation_failures")
MUST_BE_ZERO = ("violations", "repeats", "out_of_catalog", "rated_before", "exceptions")


def _counts(checks: Sequence[TurnCheck]) -> dict[str, int]:
    return {
        "violations": sum(len(c.findings.violations) for c in checks),
        "repeats": sum(len(c.findings.repeats) for c in checks),
        "out_of_catalog": sum(len(c.findings.out_of_catalog) for c in checks),
        "rated_before": sum(len(c.findings.rated_before) for c in checks),
        "exceptions": sum(c.exception is not None for c in checks),
        "expectation_failures": sum(len(c.findings.failures) for c in checks),
    }


def summarize(checks: Sequence[TurnCheck], conversations: Sequence[tuple[str, Conversation]],
              *, repeats: int, seconds: float,
              load: tuple[float | None, float | None] = (None, None)) -> dict[str, Any]:
    ran = [c for c in checks if c.exception is None]
    latency = {part: _percentiles([c.timings_ms[part] for c in ran if part in c.timings_ms])
               for part in ("total", *PARTS)}
    first = _percentiles([c.first_token_ms for c in ran if c.first_token_ms is not None])
    per_conversation = []
    for key, conversation in conversations:
        mine = [c for c in checks if c.conversation == key]
        totals = [c.timings_ms.get("total", 0.0) for c in mine if c.exception is None]
        per_conversation.append({
            "conversation": key,
            "user": conversation.user or "new",
            "turns": len(conversation.turns),
            **_counts(mine),
            "items": sum(len(c.item_ids) for c in mine),
            "turn_ms_p50": _percentiles(totals)["p50"],
            "conversation_ms": sum(totals) / repeats,
        })
    counts = _counts(checks)
    return {
        "conversations": len(conversations),
        "repeats": repeats,
        "turns": len(checks),
        "items": sum(len(c.item_ids) for c in checks),
        "seconds": round(seconds, 1),
        "load_average": {"start": load[0], "end": load[1]},
        "counts": counts,
        "ok": all(counts[k] == 0 for k in MUST_BE_ZERO),
        "latency_ms": latency,
        "first_token_ms": first,
        "acts": dict(Counter(c.act for c in ran).most_common()),
        "act_sources": dict(Counter(c.act_source for c in ran).most_common()),
        "reply_sources": dict(Counter(c.reply_source or "-" for c in ran).most_common()),
        "per_conversation": per_conversation,
        "problems": [p for c in checks for p in c.problems()],
    }


def temporary_sessions() -> tempfile.TemporaryDirectory[str]:
    """A folder for the benchmark's own sessions file (deleted afterwards)."""
    return tempfile.TemporaryDirectory(prefix="convrec-bench-agent-")


@contextlib.contextmanager
def bench_session(settings: Any, resources: Resources, backend: str) -> Iterator[Any]:
    """A benchmark's own agent on `resources`, with a sessions file deleted afterwards."""
    with temporary_sessions() as tmp:
        agent = make_bench_agent(settings, resources, backend, Path(tmp) / "sessions.sqlite")
        try:
            yield agent
        finally:
            agent.close()


def make_bench_agent(settings: Any, resources: Resources, backend: str, sessions: Path) -> Any:
    """An Agent on `resources` with its own sessions file; backend 'none': templates only."""
    # deferred: convrec.agent.service pulls in langgraph, langchain_core, httpx, ...
    from convrec.agent.service import Agent

    update: dict[str, Any] = {"sessions_path": sessions}
    if backend != "none":
        update["llm_backend"] = backend
    return Agent(settings.model_copy(update=update), resources=resources,
                 use_llm=backend != "none")


# ----------------------------------------------------------------------------- markdown
