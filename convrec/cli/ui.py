"""`convrec ui`: serve the browser app (loopback by default, never shared)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from convrec.cli.chat import BACKENDS, check_policy
from convrec.cli.common import err_console, settings_and_catalog
from convrec.errors import ConvrecError


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def ui(
    host: Annotated[str | None, typer.Option(
        "--host", help="Address to listen on (default: CONVREC_UI_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(
        "--port", help="Port (default: CONVREC_UI_PORT, 7860).")] = None,
    backend: Annotated[str | None, typer.Option(
        "--backend", help="LLM backend new chats start with: local, openai, vllm, or none "
        "(templates only). Visitors can switch in the Settings panel.")] = None,
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="A dialogue policy trained by convrec rl grpo (its folder).")] = None,
) -> None:
    """Serve the chat app in the browser."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.index_build import build_indexes

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.ui.backends import BackendChoice

    settings, catalog = settings_and_catalog()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up probes
    if backend is not None and backend not in BACKENDS:
        raise ConvrecError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    updates: dict[str, object] = {}
    if host is not None:
        updates["ui_host"] = host
    if port is not None:
        if not 0 < port < 65536:
            raise ConvrecError(f"--port must be between 1 and 65535, got {port}")
        updates["ui_port"] = port
    settings = settings.model_copy(update={**updates, **check_policy(policy)})
    settings.ui_credentials()  # a malformed CONVREC_UI_AUTH fails here, in one line
    if settings.ui_host not in ("127.0.0.1", "localhost", "::1") and settings.ui_auth is None:
        err_console.print(f"[yellow]warning: listening on {settings.ui_host} without a login; "
                          "set CONVREC_UI_AUTH=user:password[/]")
    with err_console.status("checking the indexes…"):
        build_indexes(catalog, settings.index)
    if backend == "none":
        choice = BackendChoice(kind="none")
    elif backend is not None:
        choice = BackendChoice.from_settings(settings.model_copy(update={"llm_backend": backend}))
    else:
        choice = BackendChoice.from_settings(settings)
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.ui.app import launch

    with err_console.status("loading the model and indexes…"):
        demo, url = launch(settings, backend=choice, block=False)
    err_console.print(f"convrec is serving on [bold]{url}[/] · Ctrl+C to stop")
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
