"""`convrec bench tools`, `convrec bench cf` and `convrec bench agent` (and `extract`,
`claims` from their own modules): measurements for docs/BENCHMARKS.md."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from convrec.cli.bench_claims import bench_claims
from convrec.cli.bench_extract import bench_extract
from convrec.cli.bench_goals import bench_goals
from convrec.cli.bench_load import bench_load
from convrec.cli.chat import BACKENDS
from convrec.cli.common import (
    console,
    err_console,
    print_json,
    settings_and_catalog,
    step_progress,
)
from convrec.errors import ConvrecError
from convrec.eval.report import machine_line, markdown_table, write_section

app = typer.Typer(help="Benchmarks; --write puts the results into docs/BENCHMARKS.md.",
                  no_args_is_help=True)
app.command("extract")(bench_extract)
app.command("goals")(bench_goals)
app.command("claims")(bench_claims)
app.command("load")(bench_load)

DEFAULT_DOC = Path("docs/BENCHMARKS.md")
DEFAULT_CONVERSATIONS = Path("benchmarks/conversations")


@app.command("tools")
def bench_tools(
    repeats: Annotated[int, typer.Option(help="Timed runs of each request.")] = 10,
    retrieval_limit: Annotated[
        int | None, typer.Option(help="Evaluate only the first N ReDial turns (default all).")
    ] = None,
    build: Annotated[
        bool, typer.Option(help="Also time a full index build into a temporary folder.")
    ] = True,
    write: Annotated[bool, typer.Option(help="Write the results into the benchmarks doc.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Index build and load times, tool and pipeline latency, ReDial retrieval quality."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.bench_retrieval import run_retrieval_bench
    from convrec.eval.bench_tools import run_tools_bench  # deferred: pulls in numpy

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources, ToolContext

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.index_build import build_indexes

    settings, catalog = settings_and_catalog()
    results: dict[str, Any] = {}
    if build:
        with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp, \
                step_progress() as progress:
            started = time.perf_counter()
            results["build"] = build_indexes(catalog, Path(tmp), force=True, progress=progress)
            results["build_seconds"] = round(time.perf_counter() - started, 1)
    with step_progress() as progress:
        build_indexes(catalog, settings.index, progress=progress)
    results["load_seconds"] = fresh_process_load_seconds()
    resources = Resources.from_settings(settings, catalog)
    results["latency"] = run_tools_bench(resources, repeats=repeats)
    results["retrieval"] = run_retrieval_bench(ToolContext(resources), limit=retrieval_limit)
    body = tools_markdown(results, repeats, retrieval_limit, build)
    if as_json:
        print_json(results)  # one JSON document and nothing else on stdout
    else:
        console.print(body)
    if write:
        write_section(doc, "tools", body)
        err_console.print(f"written to {doc}", highlight=False)


@app.command("cf")
def bench_cf(
    seed: Annotated[int, typer.Option(help="Seed of the train/test split.")] = 0,
    write: Annotated[bool, typer.Option(help="Write the results into the benchmarks doc.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """EASE, implicit ALS, ItemKNN and popularity side by side on ml-latest-small."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.bench_cf import run_cf_bench

    _, catalog = settings_and_catalog()
    started = time.perf_counter()
    results = run_cf_bench(catalog, seed=seed)
    results["seconds"] = round(time.perf_counter() - started, 1)
    body = cf_markdown(results, seed)
    if as_json:
        print_json(results)
    else:
        console.print(body)
    if write:
        write_section(doc, "cf", body)
        err_console.print(f"written to {doc}", highlight=False)


@app.command("agent")
def bench_agent(
    backend: Annotated[str, typer.Option(
        help="LLM backend: local (the embedded model), none (templates only), openai, vllm."
    )] = "local",
    conversations: Annotated[Path, typer.Option(
        help="Folder of scripted conversations (*.json).")] = DEFAULT_CONVERSATIONS,
    repeats: Annotated[int, typer.Option(min=1, help="Runs of the whole set.")] = 1,
    write: Annotated[bool, typer.Option(
        help="Write the results into the benchmarks doc (section agent, or agent-BACKEND).")
    ] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Scripted conversations through the agent: every turn checked, turn latency.

    Exits non-zero (after the report) when any turn recommends a film that breaks a
    constraint, repeats one, is not in the catalog or was rated before, or raises.
    """
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.agent_report import agent_markdown

    # deferred: convrec.eval.bench_agent pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.bench_agent import make_bench_agent, run_agent_bench, temporary_sessions

    # deferred: convrec.eval.conversations pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.conversations import load_conversations

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.index_build import build_indexes

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.warmup import load_all

    if backend not in BACKENDS:
        raise ConvrecError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    scripts = load_conversations(conversations)
    settings, catalog = settings_and_catalog()
    with step_progress() as progress:
        build_indexes(catalog, settings.index, progress=progress)
    resources = Resources.from_settings(settings, catalog)
    load_all(resources)
    with temporary_sessions() as tmp:
        agent = make_bench_agent(settings, resources, backend, Path(tmp) / "sessions.sqlite")
        try:
            with step_progress() as progress:
                results = run_agent_bench(agent, scripts, repeats=repeats, progress=progress)
        finally:
            agent.close()
    command = f"convrec bench agent --backend {backend}"
    command += f" --conversations {conversations}" if conversations != DEFAULT_CONVERSATIONS else ""
    command += f" --repeats {repeats}" if repeats != 1 else ""
    body = agent_markdown(results, backend=backend, command=command + " --write",
                          source=str(conversations))
    if as_json:
        print_json(results)
    else:
        console.print(agent_markdown(results, backend=backend, command=command + " --write",
                                     source=str(conversations), max_problems=None),
                      markup=False, highlight=False, soft_wrap=True)
    if write:
        # one section per backend: `agent` for the shipped default, `agent-none` ...
        write_section(doc, "agent" if backend == "local" else f"agent-{backend}", body)
        err_console.print(f"written to {doc}", highlight=False)
    if not results["ok"]:
        counts = results["counts"]
        err_console.print(
            "[bold red]failed:[/] " + ", ".join(
                f"{counts[k]} {k.replace('_', ' ')}"
                for k in ("violations", "repeats", "out_of_catalog", "rated_before", "exceptions")
                if counts[k]
            ), highlight=False)
        raise typer.Exit(code=1)


def fresh_process_load_seconds() -> float:
    """Seconds a new process needs to import the tools and load every index and the model."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from convrec.config import get_settings\n"
        "from convrec.tools.warmup import load_all\n"
        "from convrec.tools.context import Resources\n"
        "load_all(Resources.from_settings(get_settings()))\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def tools_markdown(results: dict[str, Any], repeats: int, limit: int | None,
                   build: bool) -> str:
    command = f"convrec bench tools --repeats {repeats}"
    command += f" --retrieval-limit {limit}" if limit else ""
    command += "" if build else " --no-build"
    latency = results["latency"]
    parts = [
        "## Tools: build, load, latency, ReDial retrieval (issue 3)",
        f"Command: `{command} --write`  \nMachine: {machine_line()}",
    ]
    if build:
        rows = [[name, f"{s.get('seconds', 0):.1f}"] for name, s in results["build"].items()]
        rows.append(["total (`convrec index build --force`)", f"{results['build_seconds']:.1f}"])
        parts += ["### Index build (from scratch, seconds)", markdown_table(["index", "s"], rows)]
    parts += [
        f"### Latency, warm (ms; {latency['requests']} requests x {repeats} runs)",
        "Index load in a fresh process (imports, every index and lookup table, the query "
        f"encoder: `load_all`): {results['load_seconds']:.1f} s. Query encoder: "
        f"{latency.get('query_encoder', '?')}. Machine load (1-minute load average, before / "
        f"after the timed runs): {_loads(latency)}.",
        markdown_table(
            ["step", "p50", "p95", "calls"],
            [[k, f"{v['p50']:.1f}", f"{v['p95']:.1f}", v["n"]]
             for k, v in latency["latency_ms"].items()],
        ),
        "Targets: pipeline p50 <= 25 ms, p95 <= 60 ms; index load <= 5 s; build <= 4 min.",
    ]
    retrieval = results["retrieval"]
    parts += ["### ReDial retrieval (test split)", _retrieval_markdown(retrieval)]
    return "\n\n".join(parts)


def _loads(latency: dict[str, Any]) -> str:
    loads = latency.get("load_average")
    return " / ".join(f"{x:.2f}" for x in loads) if loads else "not measured"


def _retrieval_markdown(retrieval: dict[str, Any]) -> str:
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval import bench_retrieval

    metrics = retrieval["results"]
    names = sorted({m for v in metrics.values() for m in v}, key=lambda m: int(m.split("@")[1]))
    rows = [[name, *[f"{vals[m]:.4f}" for m in names]] for name, vals in metrics.items()]
    protocol = (bench_retrieval.__doc__ or "").split("Protocol", 1)[-1]
    keep = ("turns", "dialogues", "skipped_empty_context", "skipped_no_new_target",
            "target_mentions", "coverage", "mean_targets_per_turn", "bm25_stemmer", "fusion")
    facts = ", ".join(f"{k}: {retrieval[k]}" for k in keep if k in retrieval)
    return "\n\n".join([
        "Protocol" + protocol.rstrip(),
        markdown_table(["retriever", *names], rows),
        facts + ".",
    ])


def cf_markdown(results: dict[str, Any], seed: int) -> str:
    models = results["models"]
    names = sorted({m for r in models.values() for m in r["metrics"]})
    rows = [
        [f"**{name}** (ships)" if name == results["best"] else name,
         ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "-",
         r["validation_best"], *[r["metrics"][m] for m in names]]
        for name, r in models.items()
    ]
    protocol = "\n".join(f"- {k}: {v}" for k, v in results["protocol"].items())
    data = ", ".join(f"{k} {v:,}" for k, v in results["data"].items())
    return "\n\n".join([
        "## Collaborative filtering on ml-latest-small (issue 3)",
        f"Command: `convrec bench cf --seed {seed} --write`  \nMachine: {machine_line()}",
        "Protocol:\n" + protocol,
        f"Data: {data}.",
        markdown_table(["model", "tuned hyper-parameters", "validation ndcg@10", *names], rows),
        f"Shipped by `convrec cf train` (model auto): {results['best']}. "
        f"Run time: {results['seconds']} s.",
    ])
