"""`convrec bench extract`: how often the extractor sets constraints nobody said, and how
well it reads genres, people and films (convrec.eval.extraction)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer

from convrec.cli.common import console, err_console, print_json, settings_and_catalog, step_progress
from convrec.errors import ConvrecError
from convrec.eval.report import write_section

DEFAULT_DOC = Path("docs/BENCHMARKS.md")
CHOICES = ("all", "inspired", "inspired-corrected", "redial-mentions", "redial-judged",
           "paraphrase")


def _code_version() -> str:
    """The checkout the figures came from (the extractor is code, not a model file)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    return f"commit {sha}" + (" with uncommitted changes" if dirty else "")


def bench_extract(
    dataset: Annotated[str, typer.Option(
        help="all, inspired (INSPIRED's own labels), inspired-corrected (the hand-corrected "
        "labels), redial-mentions, redial-judged or paraphrase.")] = "all",
    split: Annotated[str | None, typer.Option(
        help="dev or test (default both; the judged ReDial sample is test only).")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="Read only the first N utterances / messages / cases of each.")] = None,
    judged: Annotated[Path, typer.Option(help="The hand-judged ReDial messages.")] = Path(
        "benchmarks/extract/redial_judged.jsonl"),
    corrected: Annotated[Path, typer.Option(help="The hand-corrected INSPIRED labels.")] = Path(
        "benchmarks/extract/inspired_corrected.jsonl"),
    suite: Annotated[Path, typer.Option(help="The paraphrase suite.")] = Path(
        "benchmarks/extract/paraphrase_suite.jsonl"),
    write: Annotated[bool, typer.Option(help="Write the results into the benchmarks doc.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """False hard constraints (INSPIRED, judged ReDial), slot P/R/F1 (INSPIRED), film
    mentions (ReDial), the paraphrase suite; utterances per second."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.extraction.report import extract_markdown

    # deferred: convrec.eval.extraction.runner pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.extraction.runner import DATASETS, run_extract_bench

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources, ToolContext

    if dataset not in CHOICES:
        raise ConvrecError(f"unknown dataset {dataset!r}: choose from {', '.join(CHOICES)}")
    if split not in (None, "dev", "test"):
        raise ConvrecError(f"unknown split {split!r}: choose dev or test")
    settings, catalog = settings_and_catalog()
    ctx = ToolContext(Resources.from_settings(settings, catalog))
    datasets = list(DATASETS) if dataset == "all" else [dataset]
    splits = ["dev", "test"] if split is None else [split]
    with step_progress() as progress:
        results = run_extract_bench(ctx, datasets, splits, limit=limit, judged=judged,
                                    corrected=corrected,
                                    suite=suite, progress=progress)
    if as_json:
        print_json(results)
    command = "convrec bench extract"
    command += f" --dataset {dataset}" if dataset != "all" else ""
    command += f" --split {split}" if split else ""
    command += f" --limit {limit}" if limit else ""
    body = extract_markdown(results, command + " --write",
                            f"{results['extractor']} ({_code_version()})")
    if not as_json:
        console.print(body, markup=False, highlight=False, soft_wrap=True)
    if write:
        name = "extract" if dataset == "all" and not split and not limit else (
            "extract-" + "-".join(x for x in (dataset, split, f"limit{limit}" if limit else "")
                                  if x))
        write_section(doc, name, body)
        err_console.print(f"written to {doc}", highlight=False)
