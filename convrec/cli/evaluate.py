"""`convrec eval`: the ReDial recommendation benchmark; `compare` joins it from
`convrec/cli/eval_compare.py`.

Each command validates its arguments before loading anything, so bad input costs one line
and no waiting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convrec.cli.common import console, err_console, print_json, settings_and_catalog, step_progress
from convrec.errors import ConvrecError
from convrec.eval.report import machine_line, write_section

app = typer.Typer(help="Evaluation: the ReDial benchmark, comparing simulation runs.",
                  no_args_is_help=True)

DEFAULT_DOC = Path("docs/BENCHMARKS.md")


@app.command("redial")
def redial(
    split: Annotated[str, typer.Option(help="ReDial split: test or train.")] = "test",
    limit: Annotated[int | None, typer.Option(
        help="Evaluate only the first N turns (default: all).")] = None,
    systems: Annotated[str, typer.Option(
        help="Comma-separated systems: popularity, suggested, bm25, dense, co_mention, "
        "contexts, cf, ranker (the learned ranker alone), agent_fusion "
        "(the pipeline without the learned ranker), agent.")
    ] = "popularity,suggested,bm25,dense,co_mention,contexts,cf,ranker,agent_fusion,agent",
    write: Annotated[bool, typer.Option(
        help="Write the results into the benchmarks doc (section redial).")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recall@1/10/50 on ReDial recommender turns, raw and with mentioned films removed.

    Systems side by side (popularity, BM25, dense, the ranker's co-mention and CF generators,
    the agent's pipeline without and with the learned ranker), published figures
    beside them.
    """
    # deferred: the benchmark and the indexes load the catalog, the tools and the agent
    from convrec.eval.redial import parse_systems

    # deferred: convrec.eval.redial_bench pulls in numpy, scipy
    from convrec.eval.redial_bench import redial_markdown, run_redial_bench

    # deferred: convrec.eval.redial_config pulls in numpy, scipy
    from convrec.eval.redial_config import check_split, redial_command

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources, ToolContext

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.index_build import build_indexes

    chosen = parse_systems(systems)
    check_split(split)
    if limit is not None and limit < 1:
        raise ConvrecError(f"--limit must be at least 1 (got {limit})")
    settings, catalog = settings_and_catalog()
    with step_progress() as progress:
        build_indexes(catalog, settings.index, progress=progress)
    ctx = ToolContext(Resources.from_settings(settings, catalog))
    with step_progress() as progress:
        report = run_redial_bench(ctx, split=split, systems=chosen, limit=limit,
                                  progress=progress)
    body = redial_markdown(report, redial_command(split, limit, chosen), machine_line())
    if as_json:
        print_json(report)
    else:
        console.print(body, markup=False, highlight=False, soft_wrap=True)
    if write:
        write_section(doc, "redial", body)
        err_console.print(f"written to {doc}", highlight=False)

