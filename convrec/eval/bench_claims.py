"""Honest replies: the unsupported-claim rate of model-written reply text, before and after.

Protocol. One `Agent` with the given backend (a temporary sessions file) answers

1. the scripted conversations (benchmarks/conversations, as `convrec bench agent`), each
   in a fresh thread as the user the file names; then
2. simulated users (convrec/eval/simulator.py, template phraser, personas drawn per
   scenario with the seed) over scenarios of the given sources and split, each in a fresh
   thread as the scenario's dataset user, at most `max_turns` turns, until at least
   `min_turns` recommendation turns have been collected (all scripted ones count).
   Success is not measured here, so no rating is held out.

Every turn that recommends films is a sample. Its grounds are rebuilt from the turn's
result alone (the ledger after the turn, its liked films, the user's message, the cards):
`turn_grounds`, the checker the agent uses.

- after: the text the model wrote and the user was shown (`TurnResult.reply_written`: the
  intro sentence, or an API model's whole reply; empty for a template reply), checked
  with `check_claims`; its latency is the respond node's `intro` time (building and
  checking the candidates, one scoring pass).
- before: on the same turn, the intro as the agent wrote it before this change: the
  model's free greedy generation under the same prompt (`generate_intro`), shown when it
  passed the old checks (length, no quotes or markup, no catalog person, no catalog film
  outside the cards), else the template header. The same checker reads what would have
  been shown. Its latency is the generation's wall time.
- side by side: after the turn, the chosen intro is built again and timed next to the free
  generation, in alternating order, so both meet the same warm prompt cache (the in-turn
  figure is what a user waits; this one compares like with like). It must choose the
  same sentence as in the turn (`rerun_differs`).
- free and checked: the share of free generations the checker passes (what the optional
  generate-then-check path would keep).

Rates: replies with at least one unsupported claim over recommendation turns, and
unsupported claims over all claims. Every sample is written to a JSON-lines file for audit.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convrec.agent.claims import ClaimCheck, check_claims
from convrec.agent.ledger import Ledger
from convrec.agent.reply_llm import (
    Written,
    chosen_intro,
    generate_intro,
    passes_old_checks,
    turn_grounds,
)
from convrec.agent.respond import Card
from convrec.eval.conversations import Conversation
from convrec.eval.phrasers import TemplatePhraser
from convrec.eval.scenarios import load_scenarios
from convrec.eval.simulator import PERSONAS, SimulatedUser
from convrec.eval.target import target_facts
from convrec.progress import Progress
from convrec.tools.context import ToolContext

FACTUAL = ("name", "genre", "year", "decade", "number")  # the other kind: word


@dataclass
class ClaimSample:
    """One recommendation turn: what was shown (after) and the old free intro (before)."""

    origin: str  # "script:<file>" or "sim:<scenario id>:<persona>"
    index: int
    message: str
    chips: list[str]
    titles: list[str]
    reply_source: str
    after: str
    after_claims: int
    after_unsupported: list[str]
    after_ms: float | None
    free: str
    free_old_ok: bool
    free_claims: int
    free_unsupported: list[str]
    free_ms: float
    exception: str | None = None
    rerun: str | None = None  # the chosen intro again, after the turn (same as `after`?)
    rerun_ms: float | None = None

    @property
    def before(self) -> str:
        return self.free if self.free_old_ok else ""

    @property
    def before_unsupported(self) -> list[str]:
        return self.free_unsupported if self.free_old_ok else []

    @property
    def before_claims(self) -> int:
        return self.free_claims if self.free_old_ok else 0


def _claims(check: ClaimCheck) -> list[str]:
    return [f"{c.kind} {c.text!r}" for c in check.unsupported]


@dataclass
class ClaimsBench:
    """Collects samples from an agent's turns (see the module docstring)."""

    agent: Any
    samples: list[ClaimSample] = field(default_factory=list)
    turns: int = 0
    errors: list[str] = field(default_factory=list)

    def observe(self, origin: str, index: int, result: Any) -> None:
        self.turns += 1
        if result.act != "recommend" or not result.cards:
            return
        ctx = ToolContext(self.agent.resources, result.user_id)
        ledger = Ledger.model_validate(result.ledger or {})
        cards = [Card.model_validate(c) for c in result.cards]
        grounds = turn_grounds(ledger, cards, result.message, ctx)
        after = check_claims(result.reply_written, grounds)
        llm = self.agent.llm
        error = None
        # side by side after the turn, in alternating order (the prompt's KV is warm for both)
        rerun: Written | None = None
        if len(self.samples) % 2 and getattr(llm, "supports_scoring", False):
            rerun = chosen_intro(cards, ledger, grounds, llm, ctx)
        started = time.perf_counter()
        try:
            free = generate_intro(ledger, llm) if llm is not None else ""
        except Exception as exc:  # recorded; the sample still counts the shown reply
            free, error = "", f"{type(exc).__name__}: {exc}"
        free_ms = (time.perf_counter() - started) * 1000
        if rerun is None and getattr(llm, "supports_scoring", False):
            rerun = chosen_intro(cards, ledger, grounds, llm, ctx)
        free_check = check_claims(free, grounds)
        self.samples.append(ClaimSample(
            origin=origin, index=index, message=result.message, chips=list(result.chips),
            titles=[c.label for c in cards], reply_source=result.reply_source,
            after=result.reply_written, after_claims=len(after.claims),
            after_unsupported=_claims(after), after_ms=result.timings_ms.get("intro"),
            free=free, free_old_ok=bool(free) and passes_old_checks(free, ctx),
            free_claims=len(free_check.claims), free_unsupported=_claims(free_check),
            free_ms=free_ms, exception=error,
            rerun=rerun.text if rerun else None, rerun_ms=rerun.ms if rerun else None,
        ))

    def turn(self, origin: str, index: int, text: str, thread: str, user: str | None) -> Any:
        try:
            result = self.agent.turn(text, thread_id=thread, user_id=user)
        except Exception as exc:  # a broken turn is reported, the run goes on
            self.errors.append(f"{origin} turn {index}: {type(exc).__name__}: {exc}")
            return None
        self.observe(origin, index, result)
        return result

    def script(self, key: str, conversation: Conversation) -> None:
        thread = f"claims-{key}-{uuid.uuid4().hex[:8]}"
        for index, turn in enumerate(conversation.turns, start=1):
            self.turn(f"script:{key}", index, turn.text, thread, conversation.user)

    def simulate(self, scenario: Any, persona: str, seed: int, max_turns: int) -> None:
        catalog = self.agent.resources.catalog
        facts = target_facts(catalog, scenario.target_ids[0])
        user = SimulatedUser(scenario, facts, persona, seed, TemplatePhraser(), catalog,
                             max_turns=max_turns)
        origin = f"sim:{scenario.id}:{persona}"
        thread = f"claims-sim-{uuid.uuid4().hex[:8]}"
        text = user.opening()
        for index in range(1, max_turns + 1):
            result = self.turn(origin, index, text, thread, scenario.user_id)
            if result is None or index == max_turns:
                return
            user.heard(result.reply)
            reply = user.respond(result.act, list(result.item_ids), catalog)
            if reply.done:
                return
            text = reply.text


def run_claims_bench(
    agent: Any, conversations: Sequence[tuple[str, Conversation]], *,
    sources: Sequence[str] = ("redial", "movielens"), split: str = "dev",
    min_turns: int = 200, max_turns: int = 5, seed: int = 0,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[ClaimSample]]:
    """The scripted conversations, then simulated users until `min_turns` samples."""
    agent.warm_up()
    bench = ClaimsBench(agent)
    started = time.perf_counter()
    for done, (key, conversation) in enumerate(conversations):
        if progress is not None:
            progress(f"scripted: {key}", done, len(conversations))
        bench.script(key, conversation)
    rng = random.Random(seed)
    pools = [list(load_scenarios(agent.resources.catalog, s, split, None, seed))
             for s in sources]
    for pool in pools:
        rng.shuffle(pool)
    dialogues = 0
    while len(bench.samples) < min_turns and any(pools):
        pool = pools[dialogues % len(pools)]
        dialogues += 1
        if not pool:
            continue
        scenario = pool.pop()
        if progress is not None:
            progress(f"simulated: {scenario.id}", len(bench.samples), min_turns)
        bench.simulate(scenario, rng.choice(PERSONAS), rng.randrange(2**31), max_turns)
    summary = summarize(bench.samples, turns=bench.turns, errors=bench.errors,
                        scripted=len(conversations), simulated=dialogues,
                        seconds=time.perf_counter() - started)
    summary["protocol"] = {"sources": list(sources), "split": split, "min_turns": min_turns,
                           "max_turns": max_turns, "seed": seed}
    return summary, bench.samples


# ----------------------------------------------------------------------------- summary


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "n": 0}
    arr = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "n": len(values)}


def _rates(texts: Sequence[str], unsupported: Sequence[list[str]], claims: Sequence[int]
           ) -> dict[str, Any]:
    n = len(texts)
    bad = sum(bool(u) for u in unsupported)
    total = sum(claims)
    wrong = sum(len(u) for u in unsupported)
    kinds = Counter(u.split(" ", 1)[0] for us in unsupported for u in us)
    factual = sum(any(u.split(" ", 1)[0] in FACTUAL for u in us) for us in unsupported)
    return {"replies": n, "model_written": sum(bool(t) for t in texts),
            "replies_with_unsupported": bad, "replies_with_unsupported_fact": factual,
            "reply_rate": bad / n if n else float("nan"),
            "claims": total, "unsupported_claims": wrong,
            "claim_rate": wrong / total if total else 0.0, "by_kind": dict(kinds.most_common())}


def summarize(samples: Sequence[ClaimSample], *, turns: int, errors: Sequence[str],
              scripted: int, simulated: int, seconds: float) -> dict[str, Any]:
    after = _rates([s.after for s in samples], [s.after_unsupported for s in samples],
                   [s.after_claims for s in samples])
    before = _rates([s.before for s in samples], [s.before_unsupported for s in samples],
                    [s.before_claims for s in samples])
    free = _rates([s.free for s in samples], [s.free_unsupported for s in samples],
                  [s.free_claims for s in samples])
    words = Counter(u for s in samples for u in s.free_unsupported)
    return {
        "turns": turns, "recommendation_turns": len(samples),
        "scripted_conversations": scripted, "simulated_dialogues": simulated,
        "from_scripts": sum(s.origin.startswith("script:") for s in samples),
        "seconds": round(seconds, 1),
        "after": after, "before": before, "free": free,
        "before_dropped_by_old_checks": sum(bool(s.free) and not s.free_old_ok for s in samples),
        "reply_sources": dict(Counter(s.reply_source for s in samples).most_common()),
        "latency_ms": {
            "after_intro": _percentiles([s.after_ms for s in samples if s.after_ms is not None]),
            "before_generation": _percentiles([s.free_ms for s in samples if s.free]),
            "after_side_by_side": _percentiles([s.rerun_ms for s in samples
                                                if s.rerun_ms is not None]),
        },
        "rerun_differs": sum(s.rerun is not None and s.rerun != s.after for s in samples),
        "top_unsupported_before": words.most_common(15),
        "errors": list(errors) + [f"{s.origin} turn {s.index}: {s.exception}"
                                  for s in samples if s.exception],
    }


def write_samples(path: Path, samples: Sequence[ClaimSample]) -> None:
    """Every sample as one JSON line (the audit file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for s in samples:
            out.write(json.dumps({**asdict(s), "before": s.before}, ensure_ascii=False) + "\n")


def read_samples(path: Path) -> list[ClaimSample]:
    """The samples of an audit file (`write_samples`)."""
    names = set(ClaimSample.__dataclass_fields__)
    with path.open(encoding="utf-8") as lines:
        return [ClaimSample(**{k: v for k, v in json.loads(line).items() if k in names})
                for line in lines if line.strip()]


def audit_sample(samples: Sequence[ClaimSample], n: int, seed: int = 0) -> list[ClaimSample]:
    """n samples drawn with `seed`, in run order (for the human audit table)."""
    picked = sorted(random.Random(seed).sample(range(len(samples)), min(n, len(samples))))
    return [samples[i] for i in picked]

