"""`convrec data ...`: get the datasets, build the catalog, show its figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from convrec.cli.common import console, err_console, load_settings, print_json, step_progress

app = typer.Typer(help="Get the datasets and build the catalog.", no_args_is_help=True)


@app.command("download")
def download(
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
    from convrec.catalog.download import download_datasets  # deferred: pulls in pooch, tqdm, xxhash

    settings = load_settings()
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


@app.command("build")
def build(
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
    # deferred: convrec.catalog.ensure pulls in pandas, pyarrow, numpy, ...
    from convrec.catalog.ensure import ensure_catalog

    settings = load_settings()
    with step_progress() as progress:
        report = ensure_catalog(
            settings, source, force=force, allow_download=download,
            progress=lambda name, i, total: progress(f"catalog: {name}", i, total),
        )
    if report.built:
        console.print(f"catalog built at {report.path} in {report.seconds:.1f} s")
        for reason, n in sorted(report.skips.items()):
            console.print(f"  skipped {n:,}: {reason}")
    else:
        console.print(f"catalog at {report.path} is up to date")


@app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the catalog's figures."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.catalog.db import Catalog

    # deferred: convrec.catalog.stats pulls in pandas, pyarrow, numpy, ...
    from convrec.catalog.stats import catalog_stats

    settings = load_settings()
    figures = catalog_stats(Catalog(settings.catalog))
    if as_json:
        print_json(figures)
        return
    table = Table("figure", "value", title=f"catalog {figures['catalog']}")
    for key, value in flatten(figures).items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
