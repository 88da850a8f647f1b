"""`convrec bench goals`: multi-part, sequence and budget requests, each part checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convrec.cli.chat import BACKENDS
from convrec.cli.common import console, err_console, print_json, settings_and_catalog, step_progress
from convrec.errors import ConvrecError
from convrec.eval.report import write_section

DEFAULT_DOC = Path("docs/BENCHMARKS.md")
DEFAULT_REQUESTS = Path("benchmarks/goals/requests.jsonl")


def bench_goals(
    backend: Annotated[str, typer.Option(
        help="LLM backend: local (the embedded model), none (templates only), openai, vllm."
    )] = "local",
    requests: Annotated[Path, typer.Option(help="The requests (JSON lines).")] = DEFAULT_REQUESTS,
    write: Annotated[bool, typer.Option(
        help="Write the results into the benchmarks doc (section goals-BACKEND, with the "
        "requests file's name when it is not the default).")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Share of sub-goals satisfied (every film meets its part, the plan's budget, order and
    distinctness hold), follow-ups, and turn latency for single and multi-part requests."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.bench_agent import bench_session

    # deferred: convrec.eval.bench_goals pulls in numpy
    from convrec.eval.bench_goals import goals_markdown, load_requests, run_goals_bench

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources, ToolContext

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.warmup import load_all

    if backend not in BACKENDS:
        raise ConvrecError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    loaded = load_requests(requests)
    settings, catalog = settings_and_catalog()
    resources = Resources.from_settings(settings, catalog)
    load_all(resources)
    with bench_session(settings, resources, backend) as agent, step_progress() as progress:
        agent.warm_up()
        results = run_goals_bench(agent, loaded, ToolContext(resources), progress)
    if as_json:
        print_json(results)
        return
    command = f"convrec bench goals --backend {backend}"
    command += f" --requests {requests}" if requests != DEFAULT_REQUESTS else ""
    body = goals_markdown(results, backend=backend, command=command + " --write",
                          source=str(requests))
    console.print(goals_markdown(results, backend=backend, command=command + " --write",
                                 source=str(requests), max_problems=None),
                  markup=False, highlight=False, soft_wrap=True)
    if write:
        stem = "" if requests == DEFAULT_REQUESTS else f"-{requests.stem}"
        write_section(doc, f"goals-{backend}{stem}", body)
        err_console.print(f"written to {doc}", highlight=False)
