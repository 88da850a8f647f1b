"""`convrec rl collect`: trajectories of the current policy, with every allowed act tried.

A dialogue is deterministic given its scenario, persona, seed and the acts the policy
chose (the template simulator and the agent without an LLM are both deterministic), so a
state is named by the acts that led to it. For each scenario:

1. the base dialogue: the policy plays it to the end;
2. for each of its first `branch_turns` decisions and each other act allowed there, a
   branch: the same dialogue replayed with the same acts up to that decision, that act
   forced, then the policy again to the end.

Each decision becomes one `StateRecord`: the policy's input, the allowed acts and, for each
act tried, an `Outcome` measured on the real step (films shown, target rank, violations of
what the user had said, repeats, the plan and tool trace, the simulated user's reply) and
on the rest of the dialogue (reached the target, in how many turns). These are the
preference pairs of the reward model and the verifiable rewards of GRPO. Each replay checks
that it reached the same state as the base dialogue (`replay_ok`).

The file `trajectories.jsonl` is appended one scenario at a time; a rerun resumes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from convrec.agent.policy import (
    Policy,
    PolicyDecision,
    PolicyInput,
    choices,
    decision_for,
    make_policy,
)
from convrec.catalog.db import Catalog
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.eval.holdout import eval_home
from convrec.eval.records import DialogueRecord, Scenario, read_jsonl
from convrec.eval.runner import (
    Job,
    SimulationConfig,
    Worker,
    dialogue_seed,
    load_run_scenarios,
    persona_for,
)
from convrec.eval.systems import AgentSystem
from convrec.progress import Progress
from convrec.rl.config import CollectConfig
from convrec.tools.warmup import load_all

TRAJECTORIES = "trajectories.jsonl"


class Outcome(BaseModel):
    """What one act did at one state: the step itself, then the rest of the dialogue."""

    act: str
    shown: int = Field(default=0, description="films in the list of this step")
    hit_rank: int | None = Field(default=None, description="rank of the target in it")
    violations: int = Field(default=0, description="films breaking what the user had said")
    repeats: int = 0
    out_of_catalog: int = 0
    plan: list[str] = Field(default_factory=list, description="the plan and tool trace")
    reply: str = ""
    user_reply: str = Field(default="", description="the simulated user's next message")
    feedback: str = ""
    success: bool = Field(default=False, description="the target was shown by the end")
    turns_to_target: int | None = Field(
        default=None, description="1 when this step shows it, 2 when the next one does ...")
    turns: int = Field(default=0, description="turns from this step to the end of the dialogue")
    target_rank: int | None = Field(default=None, description="its rank when first shown")
    replay_ok: bool = True
    error: str | None = None

    def preference_key(self) -> tuple[float, float]:
        """Smaller is better: reached the target sooner, then ranked it higher."""
        inf = float("inf")
        return (self.turns_to_target or inf, self.target_rank or inf)


class StateRecord(BaseModel):
    scenario: str
    source: str
    persona: str
    seed: int
    turn: int = Field(description="1-based index of the decision in the dialogue")
    prefix: list[str] = Field(description="acts chosen before this decision")
    state: PolicyInput
    allowed: list[str]
    policy_act: str = Field(description="what the collecting policy chose")
    outcomes: dict[str, Outcome]
    user_message: str = Field(default="", description="the user's message the act answers")

    def best_act(self) -> str | None:
        """The act with the best outcome (ties: the policy's own choice), when any succeeded."""
        ranked = sorted(self.outcomes.values(),
                        key=lambda o: (*o.preference_key(), o.act != self.policy_act))
        best = ranked[0] if ranked else None
        return best.act if best is not None and best.success else None


class ScriptedPolicy:
    """Plays the given choices ('ask_era', 'recommend:bm25+cf', see `policy.choices`) for the
    first decisions of a dialogue, then defers to `base`; remembers every input it saw."""

    name = "scripted"

    def __init__(self, base: Policy) -> None:
        self.base = base
        self.script: list[str] = []
        self.seen: list[PolicyInput] = []
        self.acts: list[str] = []

    def reset(self, script: list[str]) -> None:
        self.script, self.seen, self.acts = list(script), [], []

    def decide(self, state: PolicyInput) -> PolicyDecision:
        index = len(self.seen)
        self.seen.append(state)
        if index < len(self.script):
            decision = decision_for(self.script[index], "forced")
        else:
            decision = self.base.decide(state)
        self.acts.append(decision.choice())
        return decision


# ----------------------------------------------------------------------------- one scenario


class Collector:
    """Runs the base dialogue and its branches for one scenario at a time (one process)."""

    def __init__(self, config: CollectConfig, settings: Settings, home: Path) -> None:
        self.config = config
        self.worker = Worker(simulation_config(config), settings, home)
        base = (make_policy("rules") if config.policy == "rules"
                else make_policy("rules", path=Path(config.policy)))
        self.policy = ScriptedPolicy(base)
        load_all(self.worker.resources)
        settings_k = self.worker.settings.model_copy(update={"agent_k": config.k})
        self.system = AgentSystem("agent:none", settings_k, self.worker.resources,
                                  policy=self.policy)
        self.worker.register("agent:none", self.system)

    def play(self, scenario: Scenario, persona: str, seed: int,
             script: list[str]) -> tuple[DialogueRecord, list[PolicyInput], list[str]]:
        self.policy.reset(script)
        record = self.worker.run(Job("agent:none", scenario, persona, seed))
        return record, list(self.policy.seen), list(self.policy.acts)

    def collect(self, scenario: Scenario, persona: str, seed: int) -> list[StateRecord]:
        base, inputs, acts = self.play(scenario, persona, seed, [])
        if base.error:
            raise ConvrecError(f"{scenario.id}: the base dialogue failed: {base.error}")
        states = []
        for t, (state, act) in enumerate(zip(inputs, acts, strict=False)):
            if t >= len(base.turns):
                break
            allowed = choices(state)
            outcomes = {act: outcome_at(base, t, act)}
            if t < self.config.branch_turns:
                for other in allowed:
                    if other == act:
                        continue
                    record, seen, _ = self.play(scenario, persona, seed, [*acts[:t], other])
                    outcome = outcome_at(record, t, other)
                    outcome.replay_ok = (len(seen) > t and seen[t] == state)
                    outcomes[other] = outcome
            states.append(StateRecord(
                scenario=scenario.id, source=scenario.source, persona=persona, seed=seed,
                turn=t + 1, prefix=acts[:t], state=state, allowed=allowed, policy_act=act,
                outcomes=outcomes, user_message=base.turns[t].user))
        return states

    def close(self) -> None:
        self.worker.close()


def outcome_at(record: DialogueRecord, t: int, act: str) -> Outcome:
    """The outcome of the act taken at decision `t` (0-based) of `record`."""
    if t >= len(record.turns):
        return Outcome(act=act, error=record.error or "the dialogue ended before this step")
    turn = record.turns[t]
    later = record.turns[t:]
    hit = next((i for i, x in enumerate(later) if x.hit_rank is not None), None)
    nxt = record.turns[t + 1].user if t + 1 < len(record.turns) else ""
    return Outcome(
        act=act, shown=len(turn.item_ids), hit_rank=turn.hit_rank,
        violations=len(turn.violations), repeats=len(turn.repeats),
        out_of_catalog=len(turn.out_of_catalog), plan=turn.trace, reply=turn.reply,
        user_reply=nxt, feedback=turn.feedback, success=hit is not None,
        turns_to_target=None if hit is None else hit + 1, turns=len(later),
        target_rank=None if hit is None else later[hit].hit_rank, error=record.error)


# ----------------------------------------------------------------------------- the run


def read_states(path: Path) -> list[StateRecord]:
    """The records of a trajectories file (a torn last line is ignored)."""
    if not path.is_file():
        raise ConvrecError(f"no trajectories at {path}: run convrec rl collect first")
    return read_jsonl(path, StateRecord, "a state record")


def collect(config: CollectConfig, settings: Settings, out: Path, *,
            progress: Progress | None = None) -> dict[str, Any]:
    """Run (or resume) the collection into `out`; returns a summary written to
    `out/collect.json`."""
    out.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.catalog)
    sim = simulation_config(config).validate(config.workers)
    scenarios = load_run_scenarios(sim, catalog)
    home = eval_home(settings, catalog)
    path = out / TRAJECTORIES
    config_path = out / "collect-config.json"
    wanted = json.dumps(_config_json(config), indent=2, sort_keys=True)
    if config_path.is_file() and config_path.read_text() != wanted and path.is_file():
        raise ConvrecError(f"{out} holds trajectories of another collect config: choose "
                           "another run folder, or the same options")
    config_path.write_text(wanted)
    states = read_states(path) if path.is_file() else []
    if path.is_file():  # drop a torn last line before appending
        text = "".join(s.model_dump_json() + "\n" for s in states)
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    done = {s.scenario for s in states}
    jobs = [(s, persona_for(sim, s.id), dialogue_seed(config.seed, s.id))
            for s in scenarios if s.id not in done]
    started = time.perf_counter()
    if progress is not None:
        progress("scenarios", 0, len(jobs))
    with path.open("a", encoding="utf-8") as sink:
        for count, new in enumerate(_execute(jobs, config, settings, home), 1):
            sink.writelines(s.model_dump_json() + "\n" for s in new)
            sink.flush()
            states += new
            if progress is not None:
                progress("scenarios", count, len(jobs))
    summary = summarize(states)
    earlier = json.loads((out / "collect.json").read_text()) if (out / "collect.json").is_file() \
        else {}
    # a resumed collection adds its time to the earlier calls'
    summary["seconds"] = round(earlier.get("seconds", 0.0) + time.perf_counter() - started, 1)
    (out / "collect.json").write_text(json.dumps(summary, indent=2))
    return summary


def simulation_config(config: CollectConfig) -> Any:
    """The simulation protocol the collection's dialogues follow (the agent on templates)."""
    return SimulationConfig(scenarios=config.scenarios, n=config.n, systems=["agent:none"],
                            max_turns=config.max_turns, personas=config.personas,
                            seed=config.seed, k=config.k, withhold=config.withhold)


def _config_json(config: CollectConfig) -> dict[str, Any]:
    data = asdict(config)
    data.pop("workers")  # how fast, not what
    return data


def summarize(states: list[StateRecord]) -> dict[str, Any]:
    outcomes = [o for s in states for o in s.outcomes.values()]
    first = [s for s in states if s.turn == 1]
    return {
        "scenarios": len({s.scenario for s in states}),
        "states": len(states),
        "branched_states": sum(len(s.outcomes) > 1 for s in states),
        "outcomes": len(outcomes),
        "replay_mismatches": sum(not o.replay_ok for o in outcomes),
        "errors": sum(o.error is not None for o in outcomes),
        "policy_success": round(sum(s.outcomes[s.policy_act].success for s in first)
                                / max(1, len(first)), 4),
        "states_where_another_act_is_better": sum(
            1 for s in states if (b := s.best_act()) is not None and b != s.policy_act),
        "acts": {a: sum(o.act == a for o in outcomes) for a in sorted({o.act for o in outcomes})},
    }


def _execute(jobs: list[tuple[Scenario, str, int]], config: CollectConfig, settings: Settings,
             home: Path) -> Iterator[list[StateRecord]]:
    if not jobs:
        return
    if config.workers == 1:
        collector = Collector(config, settings, home)
        try:
            for job in jobs:
                yield collector.collect(*job)
        finally:
            collector.close()
        return
    with ProcessPoolExecutor(max_workers=config.workers, mp_context=get_context("spawn"),
                             initializer=_init_worker, initargs=(config, settings, home)) as pool:
        queue = iter(jobs)
        pending: set[Future[str]] = {pool.submit(_collect_in_worker, job)
                                     for job in islice(queue, config.workers * 3)}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield [StateRecord.model_validate(x) for x in json.loads(future.result())]
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(_collect_in_worker, nxt))


_COLLECTOR: Collector | None = None


def _init_worker(config: CollectConfig, settings: Settings, home: Path) -> None:
    global _COLLECTOR
    _COLLECTOR = Collector(config, settings.model_copy(update={"llm_threads": 1}), home)


def _collect_in_worker(job: tuple[Scenario, str, int]) -> str:
    assert _COLLECTOR is not None
    return json.dumps([s.model_dump(mode="json") for s in _COLLECTOR.collect(*job)])


__all__ = ["Collector", "Outcome", "ScriptedPolicy", "StateRecord", "collect",
           "read_states"]
