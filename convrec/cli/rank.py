"""`convrec rank train`: retrain the learned ranker (index build trains it when missing)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from convrec.cli.common import console, settings_and_catalog, step_progress
from convrec.errors import ConvrecError

app = typer.Typer(help="The learned ranker (ReDial dialogue signals + LightGBM).",
                  no_args_is_help=True)


@app.command("train")
def rank_train(
    force: Annotated[bool, typer.Option(help="Retrain even if the ranker is current.")] = True,
    ablation: Annotated[bool, typer.Option(
        help="Also retrain with each feature group left out and put the dev figures on the "
        "card (slower).")] = False,
) -> None:
    """Train the ranker on the training dialogues and write it with its card."""
    # deferred: loads when this command runs (each cli module is imported at start-up)
    from convrec.tools.ranking.model import CARD_FILE, NAME, build_ranker

    settings, catalog = settings_and_catalog()
    for needed in ("dense", "cf"):
        if not (settings.index / needed / "manifest.json").is_file():
            raise ConvrecError(f"the ranker reads the {needed} index; run `convrec index build`")
    with step_progress() as progress:
        summary = build_ranker(catalog, settings.index, force=force, progress=progress,
                               ablation=ablation)
    card = settings.index / NAME / CARD_FILE
    if summary.get("built") and card.is_file():
        figures = json.loads(card.read_text())
        console.print(f"ranker trained in {summary['seconds']:.0f} s, card: {card}")
        console.print_json(json.dumps({k: figures[k] for k in (
            "data", "dev", "dev_generators", "importance_gain", *(
                ["dev_ablation"] if ablation else []))}))
    else:
        console.print(f"ranker: {summary.get('skipped', 'up to date')} ({summary['folder']})")
