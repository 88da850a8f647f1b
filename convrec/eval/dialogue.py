"""One simulated dialogue between a system and a simulated user, checked turn by turn.

Per turn, independently of what the system says about itself:
- hit: the rank of the first target in the list shown;
- violations: shown films that break a hard constraint the user had truthfully stated by
  then (`SimulatedUser.truthful_constraints`, checked with the clauses filter_items uses);
- repeats: films shown in an earlier turn of the dialogue;
- out of catalog: ids the catalog does not know;
- the leak audit on every message of the simulated user (`leak.find_leak`).
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from convrec.eval.leak import find_leak
from convrec.eval.records import DialogueRecord, Scenario, TurnRecord
from convrec.eval.simulator import SimulatedUser
from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs, violations


def run_dialogue(system: Any, user: SimulatedUser, ctx: ToolContext, *, seed: int,
                 simulator: str) -> DialogueRecord:
    scenario: Scenario = user.scenario
    record = DialogueRecord(system=system.name, scenario=scenario, persona=user.persona,
                            simulator=simulator, seed=seed, max_turns=user.max_turns)
    targets = set(scenario.target_ids)
    shown: set[int] = set()
    fallbacks_before = getattr(user.phraser, "fallbacks", 0)
    try:
        system.start(scenario)
        text = user.opening()
        for index in range(1, user.max_turns + 1):
            _audit(record, text, user)
            started = time.perf_counter()
            answer = system.respond(text)
            latency = (time.perf_counter() - started) * 1000
            ids = [int(i) for i in answer.item_ids]
            turn = TurnRecord(index=index, user=text, act=answer.act, item_ids=ids,
                              reply=answer.reply, latency_ms=round(latency, 2),
                              trace=answer.trace)
            turn.hit_rank = next((r for r, i in enumerate(ids, 1) if i in targets), None)
            _check(turn, ids, shown, user, ctx)
            shown.update(ids)
            record.turns.append(turn)
            if turn.hit_rank is not None and not record.success:
                record.success, record.success_turn = True, index
            user.heard(answer.reply)
            if index == user.max_turns and turn.hit_rank is None:
                turn.feedback = "end"
                break
            reply = user.respond(answer.act, ids, ctx.catalog)
            turn.feedback = reply.feedback
            if reply.done:
                _audit(record, reply.text, user)
                record.ended_by = "accept" if reply.feedback == "accept" else "gave_up"
                break
            text = reply.text
    except Exception as exc:  # one broken dialogue must not end the run: it is recorded
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
        record.error = f"{type(exc).__name__}: {exc}{where}"
        record.ended_by = "error"
    record.stated = user.truthful_constraints()
    record.simulator_fallbacks = getattr(user.phraser, "fallbacks", 0) - fallbacks_before
    return record


def _audit(record: DialogueRecord, text: str, user: SimulatedUser) -> None:
    if record.leaked:
        return
    leak = find_leak(text, user.facts.titles)
    if leak is not None:
        record.leaked, record.leak_detail = True, f"turn {user.turn}: names {leak}"


def _check(turn: TurnRecord, ids: list[int], shown: set[int], user: SimulatedUser,
           ctx: ToolContext) -> None:
    if not ids:
        return
    known = ctx.catalog.exists(ids)
    turn.out_of_catalog = [i for i in dict.fromkeys(ids) if i not in known]
    turn.repeats = [i for i in dict.fromkeys(ids) if i in shown]
    stated = user.truthful_constraints()
    in_catalog = [i for i in dict.fromkeys(ids) if i in known]
    if stated and in_catalog:
        broken = violations(in_catalog, FilterArgs.model_validate(stated), ctx)
        turn.violations = {i: reasons for i, reasons in broken.items() if reasons}
