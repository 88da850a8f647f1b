"""`convrec simulate`: simulated-user dialogues against the agent and the baselines."""

from __future__ import annotations

import shlex
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from convrec.cli.common import (
    comma_list,
    console,
    err_console,
    print_json,
    settings_and_catalog,
)
from convrec.errors import ConvrecError
from convrec.eval.report import machine_line, write_section

DEFAULT_DOC = Path("docs/BENCHMARKS.md")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    scenarios: Annotated[list[str], typer.Option(
        "--scenarios", help="Scenario sources and split: movielens:test, critics:test, "
        "redial:test (repeat or comma-separate).")] = ["movielens:test"],  # noqa: B006
    n: Annotated[int, typer.Option("--n", help="Scenarios per source.")] = 200,
    backend: Annotated[list[str], typer.Option(
        "--backend", help="The agent's LLM backend(s): local, openai, vllm or none "
        "(repeatable: one agent system each).")] = ["local"],  # noqa: B006
    baselines: Annotated[bool, typer.Option(
        help="Also run popularity, bm25, dense, cf and the history-only floor.")] = True,
    systems: Annotated[str | None, typer.Option(
        "--systems", help="Exactly these systems instead (e.g. 'agent:none,bm25').")] = None,
    turns: Annotated[int, typer.Option("--turns", help="T: system turns per dialogue "
                                       "(1-10).")] = 5,
    personas: Annotated[str, typer.Option(
        "--personas", help="Persona mix as weights.")] = "cooperative=2,terse=1,"
                                                         "mind_changer=1,impatient=1",
    simulator: Annotated[str, typer.Option(
        "--simulator", help="template (deterministic, fast), paraphrase (the template's facts "
        "in everyday wording, casual spelling and typos) or llm (the configured LLM phrases "
        "the user's messages).")] = "template",
    typo_rate: Annotated[float, typer.Option(
        "--typo-rate", help="paraphrase: the share of words of 4+ letters with a typo "
        "(0-0.5; never titles, names or numbers).")] = 0.05,
    withhold: Annotated[str, typer.Option(
        "--withhold", help="Facts the simulated users never tell, comma-separated: genre, era, "
        "person, theme, mood, language, runtime, liked.")] = "",
    policy: Annotated[str, typer.Option(
        "--policy", help="The agents' dialogue policy: rules, or a folder trained by convrec "
        "rl grpo.")] = "rules",
    workers: Annotated[int, typer.Option("--workers", help="Processes.")] = 1,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    k: Annotated[int, typer.Option("--k", help="Films per recommendation.")] = 5,
    out: Annotated[Path, typer.Option("--out", help="The run folder (resumed when it "
                                      "exists).")] = Path("runs/simulation"),
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Stop after this many new dialogues (resume later).")] = None,
    write: Annotated[str | None, typer.Option(
        "--write", help="Also write the summary into docs/BENCHMARKS.md under this section "
        "name.")] = None,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics.json.")] = False,
) -> None:
    """Run simulated users against the agent and the baselines; write dialogues.jsonl,
    metrics.json, report.md and plots into the run folder."""
    # deferred: the simulation loads the agent and the evaluation (start-up of every command)
    from convrec.eval.run_report import finish_run, summary_markdown

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.runner import SimulationConfig, parse_personas

    config = SimulationConfig(scenarios=comma_list(*scenarios), n=n,
                              systems=_system_names(systems, backend, baselines),
                              max_turns=turns, personas=parse_personas(personas),
                              simulator=simulator, typo_rate=typo_rate, seed=seed, k=k,
                              withhold=comma_list(withhold),
                              policy=policy).validate(workers)
    if limit is not None and limit < 1:
        raise ConvrecError("--limit must be at least 1")
    settings, _ = settings_and_catalog()
    started = time.perf_counter()
    records = _run_with_bars(config, settings, out, workers=workers, limit=limit)
    seconds = time.perf_counter() - started
    summary = finish_run(records, config, out, command=command_line())
    if as_json:
        print_json(summary)
        return
    body = summary_markdown(summary)
    console.print(body, soft_wrap=True)
    console.print(f"\n{len(records)} dialogues in {out} ({seconds:.0f} s this time); "
                  f"report: {out / 'report.md'}")
    if write:
        write_section(doc, f"simulate-{write}", _doc_section(summary, config, body, out))
        err_console.print(f"written to {doc}", highlight=False)


def _system_names(systems: str | None, backend: list[str], baselines: bool) -> list[str]:
    """--systems as given, else the baselines (with --baselines) and an agent per backend."""
    from convrec.eval.systems import BASELINES  # deferred: as in `simulate`

    if systems:
        return comma_list(systems)
    agents = [f"agent:{b}" for b in comma_list(*backend)]
    return [*(BASELINES if baselines else ()), *agents]


def _run_with_bars(config: Any, settings: Any, out: Path, *, workers: int,
                   limit: int | None) -> list[Any]:
    """The run's dialogues, with a progress bar showing each system's success so far."""
    from convrec.eval.runner import run_simulation  # deferred: as in `simulate`

    with _progress() as (bars, task):
        successes: Counter[str] = Counter()
        finished: Counter[str] = Counter()

        def update(done: int, total: int, record: Any) -> None:
            if record is not None:
                finished[record.system] += 1
                successes[record.system] += record.success and not record.leaked
            running = "  ".join(f"{s} {successes[s] / finished[s]:.2f}" for s in finished)
            bars.update(task, completed=done, total=max(total, 1),
                        description=f"dialogues  success: {running}" if running
                        else "dialogues")

        return run_simulation(config, settings, out, workers=workers, progress=update,
                              limit=limit)


@contextmanager
def _progress() -> Iterator[tuple[Progress, TaskID]]:
    """A bar over the run's dialogues (its description shows each system's success so far)."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                  transient=True) as progress:
        yield progress, progress.add_task("preparing the evaluation home", total=None)


def command_line() -> str:
    return "convrec " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _doc_section(summary: dict[str, Any], config: Any, table: str, out: Path) -> str:
    # deferred: as in `simulate`
    from convrec.eval.metrics import __doc__ as metrics_doc
    from convrec.eval.run_report import pivot_markdown  # deferred: pulls in numpy
    from convrec.eval.scenarios import __doc__ as scenarios_doc  # deferred: pulls in numpy

    sources = ", ".join(config.scenarios)
    return "\n\n".join([
        f"## Simulated users: {sources}, {config.n} per source, seed {config.seed}",
        f"Command: `{command_line()}`  \nMachine: {machine_line()}  \n"
        f"Run folder: `{out}` (dialogues.jsonl, metrics.json, report.md with plots).",
        f"Config: T = {config.max_turns} turns, k = {config.k}, simulator {config.simulator}"
        + (f" (typo rate {config.typo_rate:g})" if config.simulator == "paraphrase" else "")
        + f", personas {config.personas}"
        + (f", facts withheld: {', '.join(config.withhold)}." if config.withhold else ".")
        + (f" LLM simulator: {summary['simulator']['fallbacks']:,} of "
           f"{summary['simulator']['messages']:,} messages were the template's (the model's "
           "was empty, overlong or left out a fact)." if config.simulator == "llm" else ""),
        table,
        "Success within T turns (average turns, a miss counting T + 1), by scenario source:",
        pivot_markdown(summary, "by_source"),
        "By persona:",
        pivot_markdown(summary, "by_persona"),
        "<details><summary>Protocol: scenarios</summary>\n\n"
        + (scenarios_doc or "").strip() + "\n\n</details>",
        "<details><summary>Protocol: metrics</summary>\n\n"
        + (metrics_doc or "").strip() + "\n\n</details>",
    ])
