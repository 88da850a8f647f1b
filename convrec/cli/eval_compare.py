"""`convrec eval compare RUN_A RUN_B`: the differences between two simulation runs (or two
systems of one run), with paired bootstrap confidence intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convrec.cli.common import comma_list, console, err_console, print_json
from convrec.cli.simulate import command_line
from convrec.errors import ConvrecError
from convrec.eval.report import write_section

DEFAULT_DOC = Path("docs/BENCHMARKS.md")


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)


def _records(run: Path) -> list:
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.runner import DIALOGUES, read_records

    path = run / DIALOGUES if run.is_dir() else run
    if not path.is_file():
        raise ConvrecError(f"no {DIALOGUES} in {run}: give a run folder of `convrec simulate`")
    records = read_records(path)
    if not records:
        raise ConvrecError(f"{path} holds no dialogues")
    return records


def compare(
    run_a: Annotated[Path, typer.Argument(help="The baseline run folder (A).")],
    run_b: Annotated[Path, typer.Argument(help="The run folder compared with it (B).")],
    system_a: Annotated[str | None, typer.Option(
        "--system-a", help="Only this system of A (compare two systems, even of one run).")
    ] = None,
    system_b: Annotated[str | None, typer.Option(
        "--system-b", help="Only this system of B.")] = None,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", help="Comma-separated metrics (default: success, turns, recall, ndcg, "
        "violation, repeat and out-of-catalog rates, ask/recommend, latency).")] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    confidence: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    write: Annotated[str | None, typer.Option(
        "--write", help="Also write the table into docs/BENCHMARKS.md under this section "
        "name.")] = None,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """B minus A for every system both runs have (or --system-a vs --system-b), paired by
    scenario, with bootstrap confidence intervals; * marks an interval that excludes 0."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.compare import (
        DEFAULT_COMPARE_METRICS,
        compare_markdown,
        compare_rich_table,
        compare_runs,
    )

    if resamples < 100:
        raise ConvrecError("--resamples must be at least 100")
    if not 0.5 <= confidence < 1:
        raise ConvrecError("--confidence must be between 0.5 and 1")
    chosen = comma_list(metrics) if metrics else list(DEFAULT_COMPARE_METRICS)
    try:
        rows = compare_runs(_records(run_a), _records(run_b), metrics=chosen,
                            resamples=resamples, seed=seed, confidence=confidence,
                            system_a=system_a, system_b=system_b)
    except ValueError as exc:
        raise ConvrecError(str(exc)) from None
    if not rows:
        raise ConvrecError("the runs have no system in common: name them with --system-a "
                           "and --system-b")
    if as_json:
        print_json(rows)
        return
    console.print(compare_rich_table(rows, title=f"B = {run_b} minus A = {run_a}"))
    if write:
        label_a = f"{run_a} ({system_a})" if system_a else str(run_a)
        label_b = f"{run_b} ({system_b})" if system_b else str(run_b)
        body = "\n\n".join([
            f"## Compare: {label_b} minus {label_a}",
            f"Command: `{command_line()}`",
            compare_markdown(rows, label_a=label_a, label_b=label_b),
        ])
        write_section(doc, f"compare-{write}", body)
        err_console.print(f"written to {doc}", highlight=False)
