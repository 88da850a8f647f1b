"""`convrec bench claims`: how often model-written reply text says what the turn cannot
ground, before and after issue 18 (convrec.eval.bench_claims)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convrec.cli.chat import BACKENDS
from convrec.cli.common import console, err_console, print_json, settings_and_catalog, step_progress
from convrec.errors import ConvrecError
from convrec.eval.report import write_section

DEFAULT_DOC = Path("docs/BENCHMARKS.md")
DEFAULT_CONVERSATIONS = Path("benchmarks/conversations")


def bench_claims(
    backend: Annotated[str, typer.Option(
        help="LLM backend: local (the embedded model), openai, vllm.")] = "local",
    conversations: Annotated[Path, typer.Option(
        help="Folder of scripted conversations (*.json).")] = DEFAULT_CONVERSATIONS,
    turns: Annotated[int, typer.Option(
        min=1, help="Recommendation turns to collect (simulated users fill up).")] = 200,
    sources: Annotated[str, typer.Option(
        help="Scenario sources of the simulated users, comma-separated.")] = "redial,movielens",
    split: Annotated[str, typer.Option(help="Scenario split: dev or test.")] = "dev",
    seed: Annotated[int, typer.Option(help="Seed of the scenarios and personas.")] = 0,
    out: Annotated[Path | None, typer.Option(
        help="Write every sample here as JSON lines (the audit file).")] = None,
    write: Annotated[bool, typer.Option(help="Write the results into the benchmarks doc.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Unsupported-claim rate of model-written replies, before/after, and intro latency.

    Exits non-zero (after the report) when any reply shown makes an unsupported claim.
    """
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.bench_agent import bench_session

    # deferred: convrec.eval.bench_claims pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.bench_claims import run_claims_bench, write_samples

    # deferred: convrec.eval.claims_report pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.claims_report import claims_markdown

    # deferred: convrec.eval.conversations pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.conversations import load_conversations

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.warmup import load_all

    if backend not in BACKENDS or backend == "none":
        choices = ", ".join(b for b in BACKENDS if b != "none")
        raise ConvrecError(f"unknown backend {backend!r}: choose from {choices}")
    if split not in ("dev", "test"):
        raise ConvrecError(f"unknown split {split!r}: choose dev or test")
    scripts = load_conversations(conversations)
    settings, catalog = settings_and_catalog()
    resources = Resources.from_settings(settings, catalog)
    load_all(resources)
    with bench_session(settings, resources, backend) as agent, step_progress() as progress:
        summary, samples = run_claims_bench(
            agent, scripts, sources=[s.strip() for s in sources.split(",") if s.strip()],
            split=split, min_turns=turns, seed=seed, progress=progress)
    if out is not None:
        write_samples(out, samples)
    command = f"convrec bench claims --backend {backend} --turns {turns}"
    command += f" --conversations {conversations}" if conversations != DEFAULT_CONVERSATIONS else ""
    command += f" --sources {sources}" if sources != "redial,movielens" else ""
    command += f" --split {split}" if split != "dev" else ""
    command += f" --seed {seed}" if seed else ""
    command += f" --out {out}" if out is not None else ""
    body = claims_markdown(summary, samples, command=command + " --write", backend=backend,
                           audit_file=str(out) if out is not None else None)
    if as_json:
        print_json(summary)
    else:
        console.print(body, markup=False, highlight=False, soft_wrap=True)
    if write:
        write_section(doc, "claims", body)
        err_console.print(f"written to {doc}", highlight=False)
    if summary["after"]["replies_with_unsupported"]:
        raise typer.Exit(code=1)
