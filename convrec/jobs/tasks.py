"""What each kind of job runs. A task has two halves:

- `prepare` (in the server, at once): checks the parameters with the library's own
  validation and refuses, in one line, what cannot run or would take the machine down;
  returns the job's title, its run folder and the parameters as they will run;
- `run` (in the job's process): the same library calls as the CLI command it mirrors
  (`convrec simulate`, `convrec eval redial`, `convrec rl ...`), reporting progress.

Run folders are the CLI's: RUNS/eval/<name> (simulate --out), RUNS/redial/<name>,
RUNS/rl/<name> (rl --run); `command` gives the CLI line that does the same.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from convrec.catalog.db import Catalog
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.eval.redial import SYSTEMS, parse_systems
from convrec.eval.redial_bench import redial_markdown, run_redial_bench
from convrec.eval.redial_config import check_split, redial_command
from convrec.eval.report import machine_line
from convrec.eval.run_report import finish_run
from convrec.eval.runner import (
    DIALOGUES,
    SimulationConfig,
    config_differences,
    read_records,
    run_simulation,
)
from convrec.jobs.reporter import Reporter
from convrec.jobs.store import Job, write_json
from convrec.rl.config import RlConfig, config_from_yaml, load_config
from convrec.rl.stages import STAGES, TRAINER_FOLDERS, run_stage
from convrec.tools.context import Resources, ToolContext
from convrec.tools.index_build import build_indexes

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Prepared:
    title: str
    out: Path
    params: dict[str, Any]


@dataclass(frozen=True)
class Task:
    kind: str
    lane: str
    """'eval' (one at a time, the next waits in a queue) or 'train' (one at a time, a second
    start is refused)."""
    prepare: Callable[[dict[str, Any], Settings, Path], Prepared]
    run: Callable[[Job, Settings, Reporter], dict[str, Any]]
    command: Callable[[Job], str]


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.match(name):
        raise ConvrecError(f"run name {name!r}: use letters, digits, '.', '_' or '-' (at most 64, "
                           "starting with a letter or digit)")
    return name


def _params(model: type[BaseModel] | TypeAdapter[Any], params: dict[str, Any]) -> Any:
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(params)
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "parameters"
        raise ConvrecError(f"{where}: {first['msg']}") from None


def _quote(parts: list[str]) -> str:
    return " ".join(shlex.quote(p) for p in parts)


# ----------------------------------------------------------------------------- simulate


class SimulateParams(BaseModel):
    """`convrec simulate` from the browser: the run name, the worker processes, and the fields
    of `SimulationConfig` given flat, as the CLI's flags are (its defaults for the rest)."""

    model_config = ConfigDict(extra="allow")

    name: str
    workers: int = 1

    def config(self) -> Any:
        fields = dict(self.model_extra or {})
        unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(SimulationConfig)})
        if unknown:
            raise ConvrecError(f"unknown simulation parameter {', '.join(unknown)}")
        return _params(TypeAdapter(SimulationConfig), fields)


def _prepare_simulate(params: dict[str, Any], settings: Settings, runs: Path) -> Prepared:
    chosen = _params(SimulateParams, params)
    name = _check_name(chosen.name)
    config = chosen.config().validate(chosen.workers)
    out = runs / "eval" / name
    diff = config_differences(out, config)
    if diff:
        raise ConvrecError(f"the run {name!r} already holds another config ({', '.join(diff)} "
                           "differ): choose another name, or the same options to resume it")
    title = (f"{name}: {', '.join(config.systems)} on {', '.join(config.scenarios)}, "
             f"{config.n} per source")
    return Prepared(title, out, {"name": name, "workers": chosen.workers, **config.to_json()})


def _run_simulate(job: Job, settings: Settings, reporter: Reporter) -> dict[str, Any]:
    params = SimulateParams.model_validate(job.params)
    config = params.config()
    out = Path(job.out)
    reporter.stage("dialogues")
    started = time.perf_counter()
    try:
        run_simulation(config, settings, out, workers=params.workers,
                       progress=lambda done, total, _: reporter.progress("dialogues", done, total))
    finally:  # a stopped run still gets the report of the dialogues it finished
        records = read_records(out / DIALOGUES)
        if records:
            finish_run(records, config, out, command=_simulate_command(job))
    reporter.stage_done("dialogues", time.perf_counter() - started)
    return {"dialogues": len(records)}


def _simulate_command(job: Job) -> str:
    params = SimulateParams.model_validate(job.params)
    p = params.config()
    parts = ["convrec", "simulate", "--scenarios", ",".join(p.scenarios), "--n", str(p.n),
             "--systems", ",".join(p.systems), "--turns", str(p.max_turns), "--personas",
             ",".join(f"{k}={v:g}" for k, v in p.personas.items()), "--simulator", p.simulator,
             "--seed", str(p.seed), "--k", str(p.k), "--workers", str(params.workers)]
    if p.simulator == "paraphrase":
        parts += ["--typo-rate", f"{p.typo_rate:g}"]
    if p.withhold:
        parts += ["--withhold", ",".join(p.withhold)]
    if p.policy != "rules":
        parts += ["--policy", p.policy]
    return _quote([*parts, "--out", job.out])


# ----------------------------------------------------------------------------- redial


class RedialParams(BaseModel):
    name: str
    split: str = "test"
    limit: int | None = None
    systems: list[str] = Field(default_factory=lambda: list(SYSTEMS))


def _prepare_redial(params: dict[str, Any], settings: Settings, runs: Path) -> Prepared:
    chosen = _params(RedialParams, params)
    name = _check_name(chosen.name)
    chosen.systems = parse_systems(",".join(chosen.systems))
    check_split(chosen.split)
    if chosen.limit is not None and chosen.limit < 1:
        raise ConvrecError(f"the turn limit must be at least 1 (got {chosen.limit})")
    turns = f"first {chosen.limit} turns" if chosen.limit else "every turn"
    return Prepared(f"{name}: ReDial {chosen.split}, {turns}, {', '.join(chosen.systems)}",
                    runs / "redial" / name, chosen.model_dump())


def _run_redial(job: Job, settings: Settings, reporter: Reporter) -> dict[str, Any]:
    params = RedialParams.model_validate(job.params)
    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.catalog)
    reporter.stage("indexes")
    build_indexes(catalog, settings.index, progress=reporter.progress)
    reporter.stage("redial")
    ctx = ToolContext(Resources.from_settings(settings, catalog))
    report = run_redial_bench(ctx, split=params.split, systems=params.systems,
                              limit=params.limit, progress=reporter.progress)
    write_json(out / "report.json", report)
    (out / "report.md").write_text(redial_markdown(report, _redial_command(job), machine_line()),
                                   encoding="utf-8")
    return {"turns": report["turns"], "seconds": report["seconds"].get("total")}


def _redial_command(job: Job) -> str:
    p = RedialParams.model_validate(job.params)
    return redial_command(p.split, p.limit, p.systems).removesuffix(" --write")


# ----------------------------------------------------------------------------- rl


class RlParams(BaseModel):
    name: str
    config: str = ""
    """The RL config as YAML (sections collect, reward_model, grpo, eval); empty: defaults."""
    small: bool = False
    """Fields the YAML leaves out come from the few-step test config instead of the defaults."""
    stages: list[str] = Field(default_factory=lambda: ["collect", "reward_model", "grpo", "eval"])

    def rl_config(self) -> Any:
        return config_from_yaml(self.config or None, base=RlConfig.small() if self.small else None)


def _prepare_rl(params: dict[str, Any], settings: Settings, runs: Path) -> Prepared:
    chosen = _params(RlParams, params)
    name = _check_name(chosen.name)
    unknown = [s for s in chosen.stages if s not in STAGES]
    if unknown or not chosen.stages:
        raise ConvrecError(f"stages: choose among {', '.join(STAGES)}")
    chosen.stages = [s for s in STAGES if s in chosen.stages]  # always in their order
    config = chosen.rl_config()
    run = runs / "rl" / name
    saved = run / "config.yaml"
    if saved.is_file() and "collect" in chosen.stages and (run / "collect").is_dir():
        # the workers are how fast, not what: a run resumes with another number of them
        earlier = dataclasses.replace(load_config(saved).collect, workers=config.collect.workers)
        if earlier != config.collect:
            raise ConvrecError(f"the run {name!r} already collected with another collect config: "
                               "choose another name")
    first = chosen.stages[0]
    needs = {"reward_model": "collect", "grpo": "collect", "eval": "grpo"}
    if first in needs and not _stage_done(run, needs[first]):
        raise ConvrecError(f"the run {name!r} has no {needs[first]} stage yet: start from "
                           f"{needs[first]}")
    if ("grpo" in chosen.stages and config.grpo.rewards.weights.get("reward_model")
            and "reward_model" not in chosen.stages
            and not (run / "reward-model" / "config.json").is_file()):
        raise ConvrecError("grpo.rewards.weights.reward_model is set but the run has no reward "
                           "model: include the reward model stage, or set that weight to 0")
    chosen.config = config.to_yaml()
    steps = " -> ".join(s.replace("_", " ") for s in chosen.stages)
    return Prepared(f"{name}: {steps}", run, chosen.model_dump())


def _stage_done(run: Path, stage: str) -> bool:
    if stage == "collect":
        return (run / "collect" / "trajectories.jsonl").is_file()
    return any((run / folder / "config.json").is_file() for folder in ("policy", "warm-start"))


def _run_rl(job: Job, settings: Settings, reporter: Reporter) -> dict[str, Any]:
    params = RlParams.model_validate(job.params)
    config = params.rl_config()
    run = Path(job.out)
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.yaml").write_text(config.to_yaml())
    relay = _StopRelay(reporter, run)
    relay.start()
    try:
        for stage in params.stages:
            reporter.check()
            reporter.stage(stage)
            started = time.perf_counter()
            run_stage(stage, config, settings, run, progress=reporter.progress)
            seconds = time.perf_counter() - started
            reporter.stage_done(stage, seconds)
            _record_stage(run, stage, seconds)
        reporter.check()  # a stop during the last trainer: it saved and returned
    finally:
        relay.stop()
    return {"stages": params.stages, "policy": str(run / "policy")
            if (run / "policy" / "config.json").is_file() else None}


def _record_stage(run: Path, stage: str, seconds: float) -> None:
    """RUN/stages.json, as `convrec rl run` keeps it."""
    path = run / "stages.json"
    try:
        timings = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        timings = {}
    timings[stage] = round(seconds, 1)
    path.write_text(json.dumps(timings, indent=2))


class _StopRelay:
    """Passes a stop request on to the trainers: while it stands, a STOP file is kept in every
    trainer folder of the run (a trainer clears it when it begins, so it is put back), and
    the trainer saves after the step it is in and returns."""

    def __init__(self, reporter: Reporter, run: Path) -> None:
        self.reporter = reporter
        self.run = run
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="stop-relay")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        from convrec.rl.monitor import STOP  # deferred: rl.monitor imports transformers (torch)

        self._done.set()
        self._thread.join(timeout=5)
        for name in TRAINER_FOLDERS:
            (self.run / name / STOP).unlink(missing_ok=True)

    def _watch(self) -> None:
        from convrec.rl.monitor import STOP  # deferred: rl.monitor imports transformers (torch)

        while not self._done.wait(0.5):
            if self.reporter.stop_requested:
                for name in TRAINER_FOLDERS:
                    folder = self.run / name
                    if folder.is_dir():
                        (folder / STOP).touch()


def _rl_command(job: Job) -> str:
    params = RlParams.model_validate(job.params)
    config = str(Path(job.out) / "config.yaml")
    if params.stages == ["collect", "reward_model", "grpo", "eval"]:
        return _quote(["convrec", "rl", "run", "--run", job.out, "--config", config])
    return " && ".join(_quote(["convrec", "rl", s.replace("_", "-"), "--run", job.out,
                               "--config", config]) for s in params.stages)


TASKS: dict[str, Task] = {
    "simulate": Task("simulate", "eval", _prepare_simulate, _run_simulate, _simulate_command),
    "redial": Task("redial", "eval", _prepare_redial, _run_redial, _redial_command),
    "rl": Task("rl", "train", _prepare_rl, _run_rl, _rl_command),
}


def task(kind: str) -> Task:
    if kind not in TASKS:
        raise ConvrecError(f"unknown job kind {kind!r}; kinds are {', '.join(TASKS)}")
    return TASKS[kind]
