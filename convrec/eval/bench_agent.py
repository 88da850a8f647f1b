"""The agent benchmark: scripted conversations through `Agent`, every turn checked on its own.

Conversations are JSON files, `benchmarks/conversations/NN-slug.json`
(`convrec chat --script FILE` replays the same files):

    {"name": "...", "description": "...",
     "user": null | "ml:<MovieLens userId>" | "critic:<critic name>",
     "turns": [{"text": "...", "expect": {...}}, ...]}

A turn's `expect` holds checks of that turn; every key is optional, unknown keys
are an error (a typo must not silently check nothing):

  act                 the act the agent must choose: recommend, ask_genre, ask_era,
                      ask_mood, ask_liked_film, ask_relax, answer, chitchat
  acts                any one of these acts
  user_act            how the agent must read the user (empty, greeting, thanks, bye,
                      accept, question, more, reject, inform, unclear): a string, or a
                      list meaning any of them
  min_items           at least this many films recommended in the turn
  max_items           at most this many
  chips_include       each string is part of some ledger chip after the turn
                      (`Ledger.describe()`, e.g. "no Horror", "1990-1999", "under 120 min")
  chips_exclude       no ledger chip contains any of these strings
  reply_contains      each string is part of the reply
  reply_not_contains  none of these strings is part of the reply
  titles_exclude      no recommended film has one of these titles (the whole title)
  seen_min            the ledger after the turn marks at least this many films seen
  rejected_min        ... and at least this many rejected ("not the second one")

String comparisons ignore case.

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
  convrec/eval/bench_agent.py); reported, but not a failure of the run.

Latency, per turn: `TurnResult.timings_ms` (understand, policy, plan, tools,
respond: wall time in each node; plan and tools only run on turns that call
tools) and `total` (`Agent.stream`, from the message to the final state); and
`first_token_ms` (the first streamed reply text). p50 / p95 are over every turn
of every run.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from convrec.agent.ledger import Ledger
from convrec.agent.policy import ACTS
from convrec.agent.understanding import UserAct
from convrec.errors import ConvrecError
from convrec.eval.report import load_average
from convrec.tools.base import ToolArgumentError
from convrec.tools.context import Resources, ToolContext
from convrec.tools.filters import violations
from convrec.tools.pipeline import history_ids

PARTS = ("understand", "policy", "plan", "tools", "respond")
USER_ACTS: tuple[str, ...] = get_args(UserAct)
WARM_UP_TURN = "a comedy from the 90s"
MESSAGE_PREVIEW = 60

# ----------------------------------------------------------------------------- conversations


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _known(values: list[str], allowed: Sequence[str], what: str) -> list[str]:
    """`values` when every one is in `allowed`; a ValueError naming the others."""
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}: choose from {', '.join(allowed)}")
    return values


class Expect(BaseModel):
    """What one turn must do (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    act: str | None = None
    acts: list[str] = Field(default_factory=list)
    user_act: list[str] = Field(default_factory=list)
    min_items: int | None = Field(default=None, ge=0)
    max_items: int | None = Field(default=None, ge=0)
    chips_include: list[str] = Field(default_factory=list)
    chips_exclude: list[str] = Field(default_factory=list)
    reply_contains: list[str] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)
    titles_exclude: list[str] = Field(default_factory=list)
    seen_min: int | None = Field(default=None, ge=0)
    rejected_min: int | None = Field(default=None, ge=0)

    @field_validator("user_act", "chips_include", "chips_exclude", "reply_contains",
                     "reply_not_contains", "titles_exclude", "acts", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("act")
    @classmethod
    def _known_act(cls, value: str | None) -> str | None:
        if value is not None and value not in ACTS:
            raise ValueError(f"unknown act {value!r}: choose from {', '.join(ACTS)}")
        return value

    @field_validator("acts")
    @classmethod
    def _known_acts(cls, value: list[str]) -> list[str]:
        return _known(value, ACTS, "acts")

    @field_validator("user_act")
    @classmethod
    def _known_user_acts(cls, value: list[str]) -> list[str]:
        return _known(value, USER_ACTS, "user acts")

    def failures(self, result: Any) -> list[str]:
        """What `result` (a TurnResult, or anything with its fields) fails of this."""
        out: list[str] = []
        n = len(result.item_ids)
        chips = [str(c) for c in result.chips]
        low_chips = [c.lower() for c in chips]
        reply = (result.reply or "").lower()
        titles = [str(c.get("title", "")) for c in result.cards]
        if self.act is not None and result.act != self.act:
            out.append(f"act {result.act!r}, expected {self.act!r}")
        if self.acts and result.act not in self.acts:
            out.append(f"act {result.act!r}, expected one of {self.acts}")
        if self.user_act and result.user_act not in self.user_act:
            out.append(f"user act {result.user_act!r}, expected {' or '.join(self.user_act)}")
        if self.min_items is not None and n < self.min_items:
            out.append(f"{n} films, expected at least {self.min_items}")
        if self.max_items is not None and n > self.max_items:
            out.append(f"{n} films, expected at most {self.max_items}")
        for want in self.chips_include:
            if not any(want.lower() in c for c in low_chips):
                out.append(f"no chip contains {want!r} (chips: {chips})")
        for unwanted in self.chips_exclude:
            hit = [c for c, low in zip(chips, low_chips, strict=True) if unwanted.lower() in low]
            if hit:
                out.append(f"chip {hit[0]!r} contains {unwanted!r}")
        for want in self.reply_contains:
            if want.lower() not in reply:
                out.append(f"reply lacks {want!r}")
        for unwanted in self.reply_not_contains:
            if unwanted.lower() in reply:
                out.append(f"reply contains {unwanted!r}")
        banned = {t.lower() for t in self.titles_exclude}
        for title in titles:
            if title.lower() in banned:
                out.append(f"recommended {title!r}")
        ledger = result.ledger or {}
        for name, least in (("seen", self.seen_min), ("rejected", self.rejected_min)):
            marked = len(ledger.get(name) or {})
            if least is not None and marked < least:
                out.append(f"{marked} films marked {name}, expected at least {least}")
        return out


class TurnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    expect: Expect = Field(default_factory=Expect)


class Conversation(BaseModel):
    """One scripted conversation (a file of the conversations folder)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    user: str | None = None
    turns: list[TurnSpec] = Field(min_length=1)

    @field_validator("turns", mode="before")
    @classmethod
    def _plain_turns(cls, value: Any) -> Any:
        """A turn may be a bare string (no expectations)."""
        if isinstance(value, list):
            return [{"text": t} if isinstance(t, str) else t for t in value]
        return value

    @field_validator("user")
    @classmethod
    def _user_ref(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from convrec.tools.base import parse_user_ref

        try:
            kind, key = parse_user_ref(value)
        except ToolArgumentError as exc:
            raise ValueError(str(exc)) from None
        return f"{kind}:{key}"


def load_conversation(path: Path) -> Conversation:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConvrecError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConvrecError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    try:
        return Conversation.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConvrecError(f"{path}: {where}: {first['msg']}") from None


def load_conversations(folder: Path) -> list[tuple[str, Conversation]]:
    """(file stem, conversation) for every *.json in `folder`, in file-name order."""
    if not folder.is_dir():
        raise ConvrecError(f"no conversations folder at {folder}")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ConvrecError(f"no conversation files (*.json) in {folder}")
    return [(path.stem, load_conversation(path)) for path in files]


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


Progress = Callable[[str, int, int], None]


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


def make_bench_agent(settings: Any, resources: Resources, backend: str, sessions: Path) -> Any:
    """An Agent on `resources` with its own sessions file; backend 'none': templates only."""
    from convrec.agent.service import Agent

    update: dict[str, Any] = {"sessions_path": sessions}
    if backend != "none":
        update["llm_backend"] = backend
    return Agent(settings.model_copy(update=update), resources=resources,
                 use_llm=backend != "none")


# ----------------------------------------------------------------------------- markdown


def agent_markdown(results: dict[str, Any], *, backend: str, command: str,
                   source: str = "benchmarks/conversations",
                   max_problems: int | None = 40) -> str:
    from convrec.eval.report import machine_line, markdown_table

    counts = results["counts"]
    load = results["load_average"]
    load_text = (f"; load average {load['start']} at the start, {load['end']} at the end"
                 if load["start"] is not None else "")

    def ms(v: dict[str, float]) -> list[str]:
        return [f"{v['p50']:.1f}", f"{v['p95']:.1f}"]

    latency_rows = [[part, *ms(v), v["n"]] for part, v in results["latency_ms"].items()]
    latency_rows.append(["first streamed token", *ms(results["first_token_ms"]),
                         results["first_token_ms"]["n"]])
    conv_rows = [
        [r["conversation"], r["user"], r["turns"], r["items"], r["violations"], r["repeats"],
         r["out_of_catalog"], r["rated_before"], r["exceptions"], r["expectation_failures"],
         f"{r['turn_ms_p50']:.0f}", f"{r['conversation_ms']:.0f}"]
        for r in results["per_conversation"]
    ]
    conv_rows.append([
        "**all**", "", results["turns"] // max(results["repeats"], 1),
        results["items"] // max(results["repeats"], 1), counts["violations"], counts["repeats"],
        counts["out_of_catalog"], counts["rated_before"], counts["exceptions"],
        counts["expectation_failures"], f"{results['latency_ms']['total']['p50']:.0f}",
        f"{sum(r['conversation_ms'] for r in results['per_conversation']):.0f}",
    ])
    mix = "; ".join(
        f"{name}: " + ", ".join(f"{k} {v}" for k, v in results[name].items())
        for name in ("acts", "act_sources", "reply_sources")
    )
    protocol = (__doc__ or "").split("Protocol.", 1)[-1].strip()
    parts = [
        f"## Agent: scripted conversations, checks and turn latency (backend {backend})",
        f"Command: `{command}`  \nMachine: {machine_line()}{load_text}",
        "Protocol. " + protocol,
        f"{results['conversations']} conversations (`{source}`) x {results['repeats']} run(s): "
        f"{results['turns']} turns, {results['items']} films recommended, "
        f"{results['seconds']} s in all.",
        "### Checks (each must be 0, expectation failures aside)",
        markdown_table(
            ["violations", "repeats", "out of catalog", "rated before", "exceptions",
             "expectation failures"],
            [[counts[k] for k in COUNTS]],
        ),
        "### Latency per turn (ms)",
        markdown_table(["part", "p50", "p95", "turns"], latency_rows),
        f"Acts and sources: {mix}.",
        "### Per conversation (counts over all runs; ms per run)",
        markdown_table(
            ["conversation", "user", "turns", "films", "viol.", "repeats", "out of cat.",
             "rated", "exc.", "expect. failed", "turn p50 ms", "conversation ms"],
            conv_rows,
        ),
    ]
    if results["problems"]:
        shown = results["problems"][:max_problems]
        more = len(results["problems"]) - len(shown)
        parts.append("### Problems\n\n" + "\n".join(f"- {p}" for p in shown)
                     + (f"\n- … and {more} more" if more else ""))
    return "\n\n".join(parts)
