"""The `convrec` command line, one module per area: config, data, index / tools /
profiles / cf, bench, chat, llm, ui, simulate, eval, rl.

Errors a user can fix print one line and exit non-zero; set CONVREC_LOG_LEVEL=DEBUG
to see a traceback for anything unexpected.

Every command module is imported when `convrec` starts, so a command imports the library
it runs (the agent, the evaluation, the tools' indexes) inside itself, marked `# deferred`.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.table import Table

from convrec import __version__
from convrec.cli import (
    bench,
    chat,
    data,
    eval_compare,
    evaluate,
    indexes,
    llm,
    rank,
    rl,
    simulate,
    ui,
)
from convrec.cli.common import console, err_console, print_json
from convrec.config import get_settings
from convrec.errors import ConvrecError

app = typer.Typer(
    name="convrec",
    help="A conversational movie recommender agent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Show the settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(data.app, name="data")
indexes.register(app)
app.add_typer(rank.app, name="rank")
chat.register(app)
ui.register(app)
simulate.register(app)
eval_compare.register(evaluate.app)
app.add_typer(evaluate.app, name="eval")
app.add_typer(bench.app, name="bench")
app.add_typer(llm.app, name="llm")
app.add_typer(rl.app, name="rl")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(f"convrec {__version__}")
        raise typer.Exit()


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the settings in force (secrets masked)."""
    shown = get_settings().masked()
    if as_json:
        print_json(shown)
        return
    table = Table("setting", "value", title="convrec settings (env prefix CONVREC_)")
    for name, value in shown.items():
        table.add_row(f"CONVREC_{name.upper()}", "" if value is None else str(value))
    console.print(table)


def main() -> None:
    """Console entry point: one clear line for known errors, never a traceback."""
    try:
        app()
    except ConvrecError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise SystemExit(130) from None
    except Exception as exc:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(run with CONVREC_LOG_LEVEL=DEBUG for the traceback)",
            highlight=False,
        )
        raise SystemExit(1) from None
