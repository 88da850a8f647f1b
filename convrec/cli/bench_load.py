"""`convrec bench load`: N concurrent simulated chat sessions through the app's HTTP API."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from convrec.cli.chat import BACKENDS
from convrec.cli.common import (
    comma_list,
    console,
    err_console,
    print_json,
    settings_and_catalog,
    step_progress,
)
from convrec.errors import ConvrecError
from convrec.eval.report import write_section

DEFAULT_DOC = Path("docs/reliability/load.md")
DEFAULT_SESSIONS = "10,20,50"
BENCH_RATE_LIMIT = 1_000_000  # the bench's own app: the limit is not what is measured


def bench_load(
    sessions: Annotated[list[str] | None, typer.Option(
        "--sessions", help="Concurrent sessions N: repeat the option or give a list "
        f"(default {DEFAULT_SESSIONS}); each N runs in turn.")] = None,
    turns: Annotated[int, typer.Option(min=1, max=10, help="Turns per session.")] = 10,
    backend: Annotated[str, typer.Option(
        help="LLM backend of the app the bench starts: none (templates) or local (the "
        "embedded model); openai, vllm as configured.")] = "none",
    seed: Annotated[int, typer.Option(help="Seed of the sessions' constraints.")] = 0,
    url: Annotated[str | None, typer.Option(
        help="Load an app that is already serving (its own backend and rate limit) "
        "instead of starting one.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds one turn may take.")] = 600.0,
    write: Annotated[bool, typer.Option(
        help="Write the results into the reliability doc (section load-BACKEND; "
        "load-BACKEND-servers with CONVREC_SESSIONS_URL or CONVREC_CHROMA_URL set).")] = False,
    doc: Annotated[Path, typer.Option(help="The reliability doc.")] = DEFAULT_DOC,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Turn latency p50 / p95 / p99, errors, queue rejections, the app's memory growth and
    cross-talk between sessions, for each N.

    Exits non-zero (after the report) when a turn fails or any cross-talk check fails.
    """
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.eval.app_launch import LaunchedApp

    # deferred: convrec.eval.bench_load pulls in sklearn, pandas, pyarrow, ...
    from convrec.eval.bench_load import load_markdown, run_load_bench

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources

    counts = _counts(sessions)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    if backend not in BACKENDS:
        raise ConvrecError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    settings, catalog = settings_and_catalog()
    resources = Resources(catalog, settings.index)
    launched: LaunchedApp | None = None
    try:
        if url is None:
            launched = LaunchedApp(settings, backend=backend,
                                   CONVREC_UI_RATE_LIMIT=str(BENCH_RATE_LIMIT))
            with err_console.status(f"starting convrec ui --backend {backend}…"):
                launched.start()
            target, pid = launched.url, launched.pid
        else:
            target, pid = url.rstrip("/") + "/", None
        with step_progress() as progress:
            results = run_load_bench(target, counts, resources, turns=turns, seed=seed,
                                     pid=pid, timeout=timeout, progress=progress)
    finally:
        if launched is not None:
            launched.stop()
    results["app"] = _app_facts(settings, url, backend, results)
    results["stack"] = _stack()
    command = (f"convrec bench load --sessions {','.join(map(str, counts))} --turns {turns} "
               f"--seed {seed}" + (f" --url {url}" if url else f" --backend {backend}"))
    if as_json:
        print_json(results)
    else:
        body = load_markdown(results, backend=backend if url is None else "as served",
                             command=command + " --write", stack=results["stack"],
                             app=results["app"]["text"])
        console.print(body, markup=False, highlight=False, soft_wrap=True)
        if write:
            if not doc.exists():
                doc.parent.mkdir(parents=True, exist_ok=True)
                doc.write_text("# Reliability: load\n", encoding="utf-8")
            servers = bool(os.environ.get("CONVREC_SESSIONS_URL")
                           or os.environ.get("CONVREC_CHROMA_URL"))
            name = f"load-{backend if url is None else 'url'}" + ("-servers" if servers else "")
            write_section(doc, name, body)  # the shared-engine stack gets its own section
            console.print(f"written to {doc}")
    if not results["ok"]:
        err_console.print("[bold red]failed:[/] " + "; ".join(
            f"N={r['sessions']}: {r['errors']} errors, {r['cross_talk']['failures']} "
            "cross-talk" for r in results["runs"]), highlight=False)
        raise typer.Exit(code=1)


def _counts(values: list[str] | None) -> list[int]:
    counts = []
    for text in comma_list(*(values or [DEFAULT_SESSIONS])):
        if not text.isdigit() or int(text) < 1:
            raise ConvrecError(f"--sessions takes whole numbers of at least 1, got {text!r}")
        counts.append(int(text))
    return counts


def _stack() -> str:
    sessions = ("Postgres (CONVREC_SESSIONS_URL)" if os.environ.get("CONVREC_SESSIONS_URL")
                else "embedded SQLite")
    dense = ("a Chroma server (CONVREC_CHROMA_URL)" if os.environ.get("CONVREC_CHROMA_URL")
             else "the embedded Chroma folder")
    return f"sessions in {sessions}, dense index in {dense}"


def _app_facts(settings: Any, url: str | None, backend: str,
               results: dict[str, Any]) -> dict[str, Any]:
    if url is None:
        text = (f"started by the bench: `convrec ui --backend {backend}`, one process; queue "
                f"size {settings.ui_queue_size}, {settings.ui_concurrency} turns at once "
                f"(CONVREC_UI_QUEUE_SIZE, CONVREC_UI_CONCURRENCY); rate limit set to "
                f"{BENCH_RATE_LIMIT:,} a minute by the bench (all sessions come from one "
                "address)")
        return {"url": None, "rate_limit": BENCH_RATE_LIMIT, "text": text,
                "queue_size": settings.ui_queue_size, "concurrency": settings.ui_concurrency}
    limit = None
    for r in results["runs"]:
        for message in r["error_messages"]:
            found = re.search(r"limit (\d+) a minute", message)
            if found:
                limit = int(found.group(1))
    said = (f"{limit} a minute (from its refusals)" if limit is not None else
            "the server's own CONVREC_UI_RATE_LIMIT (no turn was refused by it)")
    return {"url": url, "rate_limit": limit,
            "text": f"`{url}`, served elsewhere; its rate limit: {said}; memory not measured"}
