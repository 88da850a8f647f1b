"""`convrec rl`: retrain the dialogue policy from simulated dialogues.

    convrec rl collect        the current policy against dev-split simulated users, every
                              allowed choice tried at the first decisions (RUN/collect)
    convrec rl reward-model   preference pairs -> TRL RewardTrainer (RUN/reward-model)
    convrec rl grpo           warm start (SFT), then TRL GRPOTrainer (RUN/warm-start, RUN/policy)
    convrec rl eval           the trained policy against the starting one on the test split
    convrec rl run            all four in turn

Every stage reads the same config (`--config FILE.yaml`, a section per stage, then
`--set section.field=value`; `--small` starts from the few-step test config), saved into the
run folder as config.yaml. The trained policy is used with `--policy RUN/policy` on chat,
ui and simulate, or the setting CONVREC_AGENT_POLICY_PATH.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from convrec.cli.common import console, err_console, print_json, settings_and_catalog, step_progress
from convrec.cli.simulate import command_line
from convrec.errors import ConvrecError
from convrec.eval.report import write_section

app = typer.Typer(help="Retrain the dialogue policy with RL (TRL reward model and GRPO).",
                  no_args_is_help=True)

DEFAULT_RUN = Path("runs/rl/default")
DEFAULT_DOC = Path("docs/BENCHMARKS.md")

RunOpt = Annotated[Path, typer.Option("--run", help="The RL run folder (every stage's "
                                      "outputs).")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="YAML with sections collect, reward_model, grpo, eval.")]
SetOpt = Annotated[list[str], typer.Option(
    "--set", help="Override one field: section.field=value (repeatable), e.g. grpo.steps=20.")]
SmallOpt = Annotated[bool, typer.Option(
    "--small", help="Start from the few-step config the tests use.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the stage's summary as JSON.")]


def _config(run: Path, config: Path | None, overrides: list[str], small: bool) -> Any:
    """The run's config; the first stage writes it to RUN/config.yaml, later stages read it
    from there unless given their own."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.rl.config import RlConfig, load_config

    saved = run / "config.yaml"
    if config is None and not small and saved.is_file():
        config = saved
    loaded = load_config(config, overrides, base=RlConfig.small() if small else None)
    run.mkdir(parents=True, exist_ok=True)
    saved.write_text(loaded.to_yaml())
    return loaded


def _run_stage(name: str, cfg: Any, settings: Any, run: Path, **options: Any) -> dict[str, Any]:
    # deferred: the stages load the RL config's YAML and numpy, the trainers torch
    from convrec.rl.stages import run_stage

    return run_stage(name, cfg, settings, run, **options)


def _show(summary: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print_json(summary)
        return
    table = Table(title=title, show_header=False)
    for key, value in summary.items():
        if isinstance(value, dict | list):
            value = json.dumps(value, default=str)
        table.add_row(str(key), str(value))
    console.print(table)


@app.command("collect")
def collect_cmd(run: RunOpt = DEFAULT_RUN, config: ConfigOpt = None,
                set_: SetOpt = [], small: SmallOpt = False,  # noqa: B006
                as_json: JsonOpt = False) -> None:
    """Play the current policy against dev-split simulated users, trying every allowed
    choice at the first decisions; writes RUN/collect/trajectories.jsonl (resumable)."""
    summary = stage_collect(_config(run, config, set_, small), run)
    _show(summary, as_json, f"collected into {run / 'collect'}")


def stage_collect(cfg: Any, run: Path) -> dict[str, Any]:
    settings, _ = settings_and_catalog()
    with step_progress() as update:
        return _run_stage("collect", cfg, settings, run, progress=update)


@app.command("reward-model")
def reward_model_cmd(run: RunOpt = DEFAULT_RUN, config: ConfigOpt = None,
                     set_: SetOpt = [], small: SmallOpt = False,  # noqa: B006
                     as_json: JsonOpt = False) -> None:
    """Train the reward model on preference pairs from the trajectories (TRL RewardTrainer);
    prints its held-out pairwise accuracy."""
    summary = stage_reward_model(_config(run, config, set_, small), run)
    _show({k: v for k, v in summary.items() if k != "config"}, as_json,
          f"reward model in {run / 'reward-model'}")


def stage_reward_model(cfg: Any, run: Path) -> dict[str, Any]:
    settings, _ = settings_and_catalog()
    with console.status("training the reward model…"):
        return _run_stage("reward_model", cfg, settings, run)


@app.command("grpo")
def grpo_cmd(run: RunOpt = DEFAULT_RUN, config: ConfigOpt = None,
             set_: SetOpt = [], small: SmallOpt = False,  # noqa: B006
             as_json: JsonOpt = False) -> None:
    """Warm-start the policy (SFT on the best choices), then train it with TRL's
    GRPOTrainer; writes RUN/warm-start and RUN/policy with model cards. A file RUN/policy/STOP
    stops GRPO cleanly after the current step."""
    summary = stage_grpo(_config(run, config, set_, small), run)
    _show(summary, as_json, f"policy in {run / 'policy'}")


def stage_grpo(cfg: Any, run: Path) -> dict[str, Any]:
    settings, _ = settings_and_catalog()
    with console.status("warm start, then GRPO (train_log.jsonl in each folder)…"):
        return _run_stage("grpo", cfg, settings, run)


@app.command("eval")
def eval_cmd(run: RunOpt = DEFAULT_RUN, config: ConfigOpt = None,
             set_: SetOpt = [], small: SmallOpt = False,  # noqa: B006
             policy: Annotated[list[Path], typer.Option(
                 "--policy", help="Evaluate these checkpoint folders instead of the run's "
                 "warm start and policy (repeatable).")] = [],  # noqa: B006
             write: Annotated[str | None, typer.Option(
                 "--write", help="Also write the figures into docs/BENCHMARKS.md under this "
                 "section name.")] = None,
             doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
             as_json: JsonOpt = False) -> None:
    """Simulate the starting and the trained policies on the same held-out users and compare
    them with bootstrap confidence intervals; writes RUN/eval."""
    cfg = _config(run, config, set_, small)
    chosen = {p.name: str(p) for p in policy} or None
    if chosen is not None:
        for folder in policy:
            if not (folder / "config.json").is_file():
                raise ConvrecError(f"--policy: no policy checkpoint at {folder}")
    results = stage_eval(cfg, run, chosen)
    if as_json:
        print_json(results)
    else:
        console.print((run / "eval" / "compare.md").read_text(), soft_wrap=True)
        console.print(f"\nreports in {run / 'eval'}; plots: {run / 'eval' / 'training.png'}")
    if write:
        # deferred: loads when this command runs (each cli module is imported at start-up)
        from convrec.rl.report import benchmark_section

        write_section(doc, f"rl-{write}", benchmark_section(run, cfg, command_line()))
        err_console.print(f"written to {doc}", highlight=False)


def stage_eval(cfg: Any, run: Path, policies: dict[str, str] | None = None) -> dict[str, Any]:
    settings, _ = settings_and_catalog()
    with step_progress() as update:
        return _run_stage("eval", cfg, settings, run, progress=update, policies=policies)


@app.command("run")
def run_cmd(run: RunOpt = DEFAULT_RUN, config: ConfigOpt = None,
            set_: SetOpt = [], small: SmallOpt = False,  # noqa: B006
            write: Annotated[str | None, typer.Option(
                "--write", help="Write the figures into docs/BENCHMARKS.md under this section "
                "name at the end.")] = None,
            doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC) -> None:
    """collect, reward-model, grpo and eval in turn, timing each stage (RUN/stages.json)."""
    cfg = _config(run, config, set_, small)
    timings: dict[str, float] = {}
    for name, stage in (("collect", stage_collect), ("reward_model", stage_reward_model),
                        ("grpo", stage_grpo), ("eval", stage_eval)):
        started = time.perf_counter()
        console.print(f"[bold]{name}[/bold]")
        stage(cfg, run)
        timings[name] = round(time.perf_counter() - started, 1)
        (run / "stages.json").write_text(json.dumps(timings, indent=2))
    console.print((run / "eval" / "compare.md").read_text(), soft_wrap=True)
    console.print(f"stage seconds: {timings}")
    if write:
        # deferred: loads when this command runs (each cli module is imported at start-up)
        from convrec.rl.report import benchmark_section

        write_section(doc, f"rl-{write}", benchmark_section(run, cfg, command_line()))
        err_console.print(f"written to {doc}", highlight=False)
