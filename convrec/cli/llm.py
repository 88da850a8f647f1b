"""`convrec llm serve | health | say | bench`: the agent's language model from the shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from convrec.cli.common import console, err_console, load_settings, print_json
from convrec.errors import ConvrecError

app = typer.Typer(
    help="The agent's LLM: serve the embedded model over an OpenAI-compatible API, check a "
    "backend, say one thing.",
    no_args_is_help=True,
)

BackendOption = Annotated[
    str | None,
    typer.Option("--backend", help="local, openai or vllm (default: CONVREC_LLM_BACKEND)."),
]


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8011,
    backend: BackendOption = None,
) -> None:
    """Serve the LLM (the embedded one by default) as an OpenAI-compatible endpoint."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.llm.factory import get_llm

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.llm.server import LlmServer

    settings = load_settings()
    llm = get_llm(settings, backend=backend)
    server = LlmServer(llm, host=host, port=port)
    err_console.print(
        f"serving {llm.name} at {server.base_url} "
        "(POST /chat/completions, GET /models, GET /health; Ctrl-C stops)",
        highlight=False,
        soft_wrap=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err_console.print("stopped")
    finally:
        server.httpd.server_close()


@app.command("health")
def health(
    backend: BackendOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check that the configured LLM answers; exits 1 with the reason when it does not."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.llm.factory import get_llm

    settings = load_settings()
    llm = get_llm(settings, backend=backend)
    state = llm.health()
    if as_json:
        print_json(
            {"name": llm.name, "ok": state.ok, "detail": state.detail,
             "latency_ms": state.latency_ms}
        )
    if not state.ok:
        raise ConvrecError(f"{llm.name}: {state.detail}")
    if not as_json:
        latency = f" ({state.latency_ms:.0f} ms)" if state.latency_ms is not None else ""
        console.print(f"ok: {state.detail}{latency}", highlight=False, soft_wrap=True)


@app.command("say")
def say(
    text: Annotated[str, typer.Argument(help="The user's message.")],
    system: Annotated[str | None, typer.Option(help="A system message first.")] = None,
    max_tokens: Annotated[int, typer.Option(min=1, help="Most tokens to generate.")] = 128,
    temperature: Annotated[float, typer.Option(min=0.0, help="0: greedy.")] = 0.0,
    backend: BackendOption = None,
) -> None:
    """Send one message and stream the reply to stdout."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.llm.factory import get_llm

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.llm.types import Message

    settings = load_settings()
    llm = get_llm(settings, backend=backend)
    messages: list[Message] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": text})
    for delta in llm.stream(messages, max_tokens=max_tokens, temperature=temperature):
        sys.stdout.write(delta)
        sys.stdout.flush()
    sys.stdout.write("\n")


@app.command("bench")
def bench(
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs of each measurement.")] = 3,
    tokens: Annotated[int, typer.Option(min=8, help="Tokens decoded per speed run.")] = 64,
    conversion: Annotated[
        bool, typer.Option(help="Also time a fresh GGUF conversion into a temporary folder.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Local LLM figures: conversion, load, tokens/s (fp32/bf16 x 1/2 threads), first-token
    latency for a ~300-token prompt, score_options for 10 options of ~40 tokens."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.llm.bench import bench_markdown, run_llm_bench

    settings = load_settings()
    results = run_llm_bench(
        settings, repeats=repeats, tokens=tokens, conversion=conversion,
        progress=None if as_json else lambda line: err_console.print(line, highlight=False),
    )
    if as_json:
        print_json(results)
    else:  # plain markdown (rich would wrap the table rows)
        sys.stdout.write(bench_markdown(results) + "\n")
