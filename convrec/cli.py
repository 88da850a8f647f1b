"""The `convrec` command line. Subcommands by area: config, data (later: index, tools,
chat, ui, simulate, eval, rl, bench).

Errors a user can fix print one line and exit non-zero; set CONVREC_LOG_LEVEL=DEBUG
to see a traceback for anything unexpected.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from convrec import __version__
from convrec.config import Settings, get_settings
from convrec.errors import ConvrecError

app = typer.Typer(
    name="convrec",
    help="A conversational movie recommender agent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Show the settings.", no_args_is_help=True)
data_app = typer.Typer(help="Get the datasets and build the catalog.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(data_app, name="data")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )
    return settings


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(f"convrec {__version__}")
        raise typer.Exit()


# ------------------------------------------------------------------ config


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the settings in force (secrets masked)."""
    shown = get_settings().masked()
    if as_json:
        _print_json(shown)
        return
    table = Table("setting", "value", title="convrec settings (env prefix CONVREC_)")
    for name, value in shown.items():
        table.add_row(f"CONVREC_{name.upper()}", "" if value is None else str(value))
    console.print(table)


# ------------------------------------------------------------------ data


@data_app.command("download")
def data_download(
    dest: Annotated[
        Path | None, typer.Option(help="Where to put the datasets. Default: CACHE_DIR/data.")
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option(help="Base URL of a mirror holding the same layout (http, https, file)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Download again even when files are valid.")] = False,
) -> None:
    """Download the public datasets from upstream and check their sha256."""
    from convrec.catalog.download import download_datasets

    settings = _settings()
    target = dest or settings.cache / "data"
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
        console=err_console,
    ) as bars:
        tasks: dict[str, Any] = {}

        def on_progress(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total)
            bars.update(tasks[name], completed=done, total=total)

        report = download_datasets(target, mirror=mirror, force=force, progress=on_progress)
    console.print(
        f"datasets in {target}: {len(report.fetched)} downloaded, "
        f"{len(report.skipped)} already present and valid"
    )


@data_app.command("build")
def data_build(
    source: Annotated[
        Path | None,
        typer.Option(help="Dataset folder (shared/data layout). Default: CONVREC_DATA_DIR, "
                     "../shared/data, or the download cache."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the catalog is current.")] = False,
    download: Annotated[
        bool, typer.Option(help="Download the datasets when none are found locally.")
    ] = True,
) -> None:
    """Build the SQLite catalog from the datasets (skipped when already current)."""
    from convrec.catalog.builder import STEPS
    from convrec.catalog.ensure import ensure_catalog

    settings = _settings()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bars:
        task = bars.add_task("catalog", total=len(STEPS))

        def on_step(index: int, name: str) -> None:
            bars.update(task, completed=index, description=name)

        report = ensure_catalog(
            settings, source, force=force, allow_download=download, progress=on_step
        )
        bars.update(task, completed=len(STEPS))
    if report.built:
        console.print(f"catalog built at {report.path} in {report.seconds:.1f} s")
        for reason, n in sorted(report.skips.items()):
            console.print(f"  skipped {n:,}: {reason}")
    else:
        console.print(f"catalog at {report.path} is up to date")


@data_app.command("stats")
def data_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the catalog's figures."""
    from convrec.catalog.db import Catalog
    from convrec.catalog.stats import catalog_stats

    settings = _settings()
    stats = catalog_stats(Catalog(settings.catalog))
    if as_json:
        _print_json(stats)
        return
    table = Table("figure", "value", title=f"catalog {stats['catalog']}")
    for key, value in _flatten(stats).items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


# ------------------------------------------------------------------ entry point


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


if __name__ == "__main__":
    main()
