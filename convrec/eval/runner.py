"""A simulation run: every system against the same simulated users, into a run folder.

The run folder holds `config.json` (what was asked), `dialogues.jsonl` (one DialogueRecord a
line, appended and flushed as each dialogue ends) and, at the end, metrics.json, report.md
and the plots. Starting a run on a folder that already has dialogues resumes it: the
(system, scenario) pairs already there are skipped, a torn last line (the process was
killed mid-write) is dropped, and the config must match (a different one is refused, so one
folder never mixes two protocols).

Pairing. Every system meets the same scenarios, with the same persona and the same
simulator seed for a scenario (derived from the run's seed and the scenario id), so systems
can be compared dialogue by dialogue.

Workers. With workers > 1 the dialogues run in that many processes (spawned, each loading the
indexes and, for agent systems, the LLM once); the parent alone writes the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.eval.dialogue import run_dialogue
from convrec.eval.paraphrase import ParaphrasePhraser
from convrec.eval.phrasers import LlmPhraser, TemplatePhraser
from convrec.eval.records import DialogueRecord, Scenario, read_jsonl
from convrec.eval.simulator import PERSONAS, SLOTS, SimulatedUser
from convrec.eval.systems import check_system_name, make_system
from convrec.eval.target import target_facts
from convrec.llm.factory import get_llm
from convrec.tools.context import Resources, ToolContext
from convrec.tools.warmup import load_all

DIALOGUES = "dialogues.jsonl"
CONFIG = "config.json"
MAX_TURNS_LIMIT = 10
SIMULATORS = ("template", "paraphrase", "llm")
MAX_TYPO_RATE = 0.5
DEFAULT_SYSTEMS = ("popularity", "bm25", "dense", "cf", "floor", "agent:none", "agent:local")

DialogueProgress = Callable[[int, int, DialogueRecord | None], None]
"""Called as progress(done, total, the dialogue just finished or None at the start). Not the
common convrec.progress.Progress: the CLI's bar shows each system's success so far, which
needs the finished dialogue's record, not only the counts."""


@dataclass
class SimulationConfig:
    """What a run simulates; every field is part of the protocol written to config.json."""

    scenarios: list[str] = field(default_factory=lambda: ["movielens:test"])
    """Scenario sources with their split, 'movielens:test', 'critics:dev', 'redial:test'."""
    n: int = 200
    """Scenarios drawn per source (all of the split when it has fewer)."""
    systems: list[str] = field(default_factory=lambda: list(DEFAULT_SYSTEMS))
    """Systems run side by side (see convrec/eval/systems.py)."""
    max_turns: int = 5
    """T: the simulated user ends after this many system turns (1 to 10)."""
    personas: dict[str, float] = field(
        default_factory=lambda: {"cooperative": 0.4, "terse": 0.2, "mind_changer": 0.2,
                                 "impatient": 0.2})
    """The persona mix: weights, sampled per scenario with the seed."""
    simulator: str = "template"
    """'template' (deterministic), 'paraphrase' (the template's facts in everyday wording,
    casual spelling and typos; deterministic; convrec/eval/paraphrase.py) or 'llm' (the
    configured LLM backend phrases messages)."""
    typo_rate: float = 0.05
    """The paraphrase simulator's typos: the share of words of 4+ letters (never titles, names
    or numbers) written with one typo (0 to 0.5; the other simulators ignore it)."""
    seed: int = 0
    """Draws the scenarios, the personas and the simulators' choices."""
    k: int = 5
    """Films per recommendation, for every system."""
    withhold: list[str] = field(default_factory=list)
    """Facts the simulated users never tell: genre, era, person, theme, mood, language,
    runtime, liked (e.g. ['person'] for users who never name the director or the cast)."""
    policy: str = "rules"
    """The agent systems' dialogue policy: 'rules' (the hand-written rules, or the LLM
    scoring acts when the settings say agent_policy=llm), or a policy checkpoint folder
    written by `convrec rl grpo`."""

    def validate(self, workers: int = 1) -> SimulationConfig:
        from convrec.eval.scenarios import parse_spec  # deferred: pulls in numpy

        for spec in self.scenarios:
            parse_spec(spec)
        for name in self.systems:
            check_system_name(name)
        if not self.systems:
            raise ConvrecError("no systems to run")
        if self.n < 1:
            raise ConvrecError("--n must be at least 1")
        if not 1 <= self.max_turns <= MAX_TURNS_LIMIT:
            raise ConvrecError(f"--turns must be between 1 and {MAX_TURNS_LIMIT}")
        unknown = [p for p in self.personas if p not in PERSONAS]
        if unknown or not self.personas or any(w < 0 for w in self.personas.values()) \
                or sum(self.personas.values()) <= 0:
            raise ConvrecError(f"personas: positive weights of {', '.join(PERSONAS)}")
        unknown_slots = [s for s in self.withhold if s not in SLOTS]
        if unknown_slots:
            raise ConvrecError(f"--withhold: unknown fact {', '.join(unknown_slots)}; choose "
                               f"from {', '.join(SLOTS)}")
        if self.policy != "rules" and not (Path(self.policy) / "config.json").is_file():
            raise ConvrecError(f"--policy: no policy checkpoint at {self.policy} (a folder "
                               "written by convrec rl grpo)")
        if self.simulator not in SIMULATORS:
            raise ConvrecError(f"--simulator must be {', '.join(SIMULATORS[:-1])} or "
                               f"{SIMULATORS[-1]}")
        if not 0 <= self.typo_rate <= MAX_TYPO_RATE:
            raise ConvrecError(f"--typo-rate must be between 0 and {MAX_TYPO_RATE}")
        cores = os.cpu_count() or 1
        if not 1 <= workers <= cores:
            raise ConvrecError(f"--workers must be between 1 and {cores} (the cores here)")
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_personas(text: str) -> dict[str, float]:
    """'cooperative=2,terse=1' -> weights; a bare name weighs 1."""
    out: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.strip().partition("=")
        if not name.strip():
            continue
        try:
            out[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise ConvrecError(f"persona weight {weight!r} is not a number") from None
    return out


def persona_for(config: SimulationConfig, scenario_id: str) -> str:
    names = sorted(config.personas)
    rng = random.Random(dialogue_seed(config.seed, scenario_id, "persona"))
    return rng.choices(names, weights=[config.personas[n] for n in names])[0]


def dialogue_seed(seed: int, scenario_id: str, purpose: str = "user") -> int:
    digest = hashlib.sha256(f"{seed}:{purpose}:{scenario_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


# ----------------------------------------------------------------------------- the folder


def read_records(path: Path) -> list[DialogueRecord]:
    """The records of a dialogues.jsonl; a torn last line is ignored (that dialogue runs
    again)."""
    if not path.is_file():
        return []
    return read_jsonl(path, DialogueRecord, "a dialogue record")


def config_differences(out: Path, config: SimulationConfig) -> list[str]:
    """The fields in which the run already in `out` (if any) differs from `config`; a run
    folder holds one protocol, so a start with another one is refused."""
    config_path = out / CONFIG
    if not config_path.is_file():
        return []
    wanted = config.to_json()
    # A field added since the run was made holds its default value there.
    saved = {**SimulationConfig().to_json(), **json.loads(config_path.read_text())}
    return sorted(k for k in wanted if saved.get(k) != wanted[k])


def _prepare_folder(out: Path, config: SimulationConfig) -> list[DialogueRecord]:
    out.mkdir(parents=True, exist_ok=True)
    diff = config_differences(out, config)
    if diff:
        raise ConvrecError(f"{out} holds a run with another config ({', '.join(diff)} "
                           "differ): choose another --out, or the same options")
    (out / CONFIG).write_text(json.dumps(config.to_json(), indent=2))
    path = out / DIALOGUES
    records = read_records(path)
    if path.is_file():  # rewrite without a torn last line, so appends start on a fresh line
        text = "".join(r.model_dump_json() + "\n" for r in records)
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return records


# ----------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Job:
    system: str
    scenario: Scenario
    persona: str
    seed: int


def plan_jobs(config: SimulationConfig, scenarios: Sequence[Scenario],
              done: set[tuple[str, str]]) -> list[Job]:
    jobs = []
    for scenario in scenarios:
        persona = persona_for(config, scenario.id)
        seed = dialogue_seed(config.seed, scenario.id)
        jobs += [Job(system, scenario, persona, seed) for system in config.systems
                 if (system, scenario.id) not in done]
    return jobs


def load_run_scenarios(config: SimulationConfig, catalog: Any) -> list[Scenario]:
    from convrec.eval.scenarios import load_scenarios, parse_spec  # deferred: pulls in numpy

    out: list[Scenario] = []
    for spec in config.scenarios:
        source, split = parse_spec(spec)
        out += load_scenarios(catalog, source, split, config.n, config.seed)
    return out


def run_simulation(config: SimulationConfig, settings: Settings, out: Path, *,
                   workers: int = 1, progress: DialogueProgress | None = None,
                   limit: int | None = None) -> list[DialogueRecord]:
    """Run (or resume) a simulation into `out`; returns every record of the folder.

    `limit` stops after that many new dialogues (the run can be resumed later)."""
    config.validate(workers)
    catalog = Catalog(settings.catalog)
    records = _prepare_folder(out, config)
    scenarios = load_run_scenarios(config, catalog)
    jobs = plan_jobs(config, scenarios, {r.key for r in records})
    if limit is not None:
        jobs = jobs[:limit]
    total = len(jobs)
    if progress is not None:
        progress(0, total, None)
    from convrec.eval.holdout import eval_home  # deferred: convrec.eval.holdout pulls in numpy

    home = eval_home(settings, catalog)
    with (out / DIALOGUES).open("a", encoding="utf-8") as sink:
        for done, record in enumerate(_execute(jobs, config, settings, home, workers), 1):
            sink.write(record.model_dump_json() + "\n")
            sink.flush()
            records.append(record)
            if progress is not None:
                progress(done, total, record)
    return records


def _execute(jobs: list[Job], config: SimulationConfig, settings: Settings, home: Path,
             workers: int) -> Iterator[DialogueRecord]:
    if not jobs:
        return
    if workers == 1:
        worker = Worker(config, settings, home)
        try:
            for job in jobs:
                yield worker.run(job)
        finally:
            worker.close()
        return
    # Jobs go out grouped by system, so a process loads the systems of its share only.
    ordered = sorted(jobs, key=lambda j: config.systems.index(j.system))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                             initializer=_init_worker,
                             initargs=(config, settings, home)) as pool:
        pending: set[Future[str]] = set()
        queue = iter(ordered)
        for job in queue:
            pending.add(pool.submit(_run_in_worker, job))
            if len(pending) >= workers * 4:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield DialogueRecord.model_validate_json(future.result())
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(_run_in_worker, nxt))


class Worker:
    """What one process needs to run dialogues: the evaluation resources and the systems,
    each made on first use."""

    def __init__(self, config: SimulationConfig, settings: Settings, home: Path) -> None:
        from convrec.eval.holdout import eval_settings  # deferred: pulls in numpy

        self.config = config
        self.settings = eval_settings(settings, home)
        trained = Path(config.policy).resolve() if config.policy != "rules" else None
        self.settings = self.settings.model_copy(update={"agent_policy_path": trained})
        self.resources = Resources(Catalog(home / "catalog.sqlite"), home / "index")
        self._systems: dict[str, Any] = {}
        self._phraser: Any = None
        self._facts: dict[int, Any] = {}  # every system meets the same targets

    def system(self, name: str) -> Any:
        if name not in self._systems:
            # Load what a server loads at start-up, so no dialogue's latency includes it.
            load_all(self.resources)
            system = make_system(name, self.settings, self.resources, k=self.config.k)
            getattr(system, "warm_up", lambda: None)()
            self._systems[name] = system
        return self._systems[name]

    def register(self, name: str, system: Any) -> None:
        """Run `name`'s dialogues with this system instead of the one `make_system` makes."""
        self._systems[name] = system

    def phraser(self) -> Any:
        if self._phraser is None:
            if self.config.simulator == "llm":
                self._phraser = LlmPhraser(get_llm(self.settings))
            elif self.config.simulator == "paraphrase":
                self._phraser = ParaphrasePhraser(typo_rate=self.config.typo_rate)
            else:
                self._phraser = TemplatePhraser()
        return self._phraser

    def run(self, job: Job) -> DialogueRecord:
        catalog = self.resources.catalog
        target = job.scenario.target_ids[0]
        if target not in self._facts:
            self._facts[target] = target_facts(catalog, target)
        facts = self._facts[target]
        phraser = self.phraser()
        user = SimulatedUser(job.scenario, facts, job.persona, job.seed, phraser, catalog,
                             max_turns=self.config.max_turns, withhold=self.config.withhold)
        return run_dialogue(self.system(job.system), user,
                            ToolContext(self.resources, job.scenario.user_id),
                            seed=self.config.seed, simulator=phraser.name)

    def close(self) -> None:
        for system in self._systems.values():
            close = getattr(system, "close", None)
            if close is not None:
                close()


_WORKER: Worker | None = None


def _init_worker(config: SimulationConfig, settings: Settings, home: Path) -> None:
    global _WORKER
    # Each process decodes with one thread: several processes share the cores.
    _WORKER = Worker(config, settings.model_copy(update={"llm_threads": 1}), home)


def _run_in_worker(job: Job) -> str:
    assert _WORKER is not None
    return _WORKER.run(job).model_dump_json()
