"""`convrec index build`, `convrec tools NAME ...`, `convrec profiles ...`, `convrec cf train`."""

from __future__ import annotations

import json
import typing
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from convrec.cli.common import (
    comma_list,
    console,
    print_json,
    settings_and_catalog,
    step_progress,
)
from convrec.errors import ConvrecError

index_app = typer.Typer(help="Build the indexes the tools read.", no_args_is_help=True)
profiles_app = typer.Typer(help="User profiles built from reviews and ratings.",
                           no_args_is_help=True)
cf_app = typer.Typer(help="The collaborative-filtering ranker.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
    app.add_typer(profiles_app, name="profiles")
    app.add_typer(cf_app, name="cf")
    app.command("tools", help="Run a tool and print its JSON output; with no NAME, list them.")(
        run_tool
    )


def _build(only: list[str] | None, force: bool) -> dict[str, dict[str, Any]]:
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.index_build import build_indexes

    settings, catalog = settings_and_catalog()
    with step_progress() as progress:
        return build_indexes(catalog, settings.index, only=only, force=force, progress=progress,
                             chroma_url=settings.chroma_url)


def _summary_table(results: dict[str, dict[str, Any]]) -> Table:
    table = Table("index", "built", "seconds", "details")
    for name, summary in results.items():
        details = {k: v for k, v in summary.items() if k not in {"built", "seconds"}}
        table.add_row(name, "yes" if summary.get("built", True) else "up to date",
                      f"{summary.get('seconds', 0):.1f}",
                      ", ".join(f"{k}={v}" for k, v in details.items()))
    return table


@index_app.command("build")
def index_build(
    only: Annotated[
        str | None, typer.Option(help="Comma-separated subset: bm25, dense, cf, profiles, ranker.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if current.")] = False,
) -> None:
    """Build the catalog if missing, then every index (each skipped when current)."""
    names = comma_list(only) if only else None
    console.print(_summary_table(_build(names, force)))


@profiles_app.command("build")
def profiles_build(force: Annotated[bool, typer.Option(help="Rebuild.")] = False) -> None:
    """Build a profile for every MovieLens rater and every critic."""
    console.print(_summary_table(_build(["profiles"], force)))


@cf_app.command("train")
def cf_train(
    model: Annotated[
        str, typer.Option(help="auto (best measured), ease, als, itemknn or popularity.")
    ] = "auto",
    force: Annotated[bool, typer.Option(help="Retrain even if current.")] = False,
) -> None:
    """Train the collaborative-filtering ranker and save it under the index dir."""
    from convrec.tools.cf_index import train_cf  # deferred: pulls in numpy, scipy

    settings, catalog = settings_and_catalog()
    with step_progress() as progress:
        summary = train_cf(catalog, settings.index, model=model, force=force, progress=progress)
    console.print(_summary_table({"cf": dict(summary)}))


# ------------------------------------------------------------------ tools


def parse_tool_args(model: type[Any], pairs: list[str], json_args: str | None) -> Any:
    """Build a tool's argument model from `--args JSON` and `key=value` pairs.

    A value is read as JSON when it parses (numbers, lists, objects), else as text;
    a text value for a list field is split on commas ("genres_any=Comedy,Drama").
    """
    data: dict[str, Any] = {}
    if json_args:
        try:
            loaded = json.loads(json_args)
        except ValueError as exc:
            raise ConvrecError(f"--args is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConvrecError("--args must be a JSON object")
        data.update(loaded)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConvrecError(f"expected key=value, got {pair!r}")
        if key not in model.model_fields:
            raise ConvrecError(
                f"unknown argument {key!r}; this tool takes: {', '.join(model.model_fields)}"
            )
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        annotation = model.model_fields[key].annotation
        if isinstance(value, str) and _is_list(annotation):
            value = comma_list(value)
        data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise ConvrecError(f"invalid {where}: {first['msg']}") from None


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(a) for a in typing.get_args(annotation))


def run_tool(
    name: Annotated[str | None, typer.Argument(help="Tool name; omit to list the tools.")] = None,
    pairs: Annotated[list[str] | None, typer.Argument(help="Arguments as key=value.")] = None,
    args: Annotated[str | None, typer.Option("--args", help="Arguments as a JSON object.")] = None,
    user: Annotated[
        str | None, typer.Option(help="Act as this user: ml:<userId> or critic:<name>.")
    ] = None,
    candidates: Annotated[
        str | None, typer.Option(help="Comma-separated item ids to restrict the tool to.")
    ] = None,
) -> None:
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.base import ToolArgumentError

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.registry import TOOLS

    if name is None:
        table = Table("tool", "role", "what it does")
        for listed in TOOLS.values():
            table.add_row(listed.name, listed.role, listed.summary)
        console.print(table)
        return
    spec = TOOLS.get(name)
    if spec is None:
        raise ConvrecError(f"unknown tool {name!r}; choose from {', '.join(TOOLS)}")
    tool_args = parse_tool_args(spec.args_model, pairs or [], args)
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.base import parse_user_ref

    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.context import Resources, ToolContext

    if user is not None:
        parse_user_ref(user)
    settings, catalog = settings_and_catalog()
    ctx = ToolContext(Resources.from_settings(settings, catalog), user_id=user)
    kwargs: dict[str, Any] = {}
    if candidates:
        try:
            kwargs["candidates"] = [int(c) for c in candidates.split(",") if c.strip()]
        except ValueError:
            raise ConvrecError("--candidates must be comma-separated item ids") from None
    try:
        output = spec.function(tool_args, ctx, **kwargs)
    except ToolArgumentError as exc:
        hints = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.suggestions.items())
        raise ConvrecError(f"{exc}" + (f" (suggestions: {hints})" if hints else "")) from None
    print_json(output.model_dump())
