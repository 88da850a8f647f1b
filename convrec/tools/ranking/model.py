"""The shipped ranker: the LightGBM model, the dialogue signals it reads, and its card,
kept in index_dir/ranker. `build_ranker` (run by `convrec index build` and `convrec rank
train`) trains it when missing or stale; `load_ranker` refuses a missing, unreadable or
stale one with a one-line error naming `convrec rank train`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.cf import CfRanker, load_cf
from convrec.tools.context import ToolContext
from convrec.tools.dense import DenseIndex, load_dense
from convrec.tools.ranking import train
from convrec.tools.ranking.contexts import DialogueContexts
from convrec.tools.ranking.dialogues import TrainingDialogue, training_dialogues
from convrec.tools.ranking.features import FEATURE_NAMES, FeatureSource
from convrec.tools.ranking.signals import DialogueSignals
from convrec.tools.ranking.source import catalog_space, feature_source
from convrec.tools.ranking.turns import training_turns

NAME = "ranker"
VERSION = 2
MODEL_FILE = "model.txt"
CARD_FILE = "card.json"
RETRAIN = "train it with `convrec rank train`"


@dataclass
class LearnedRanker:
    booster: Any  # lightgbm.Booster
    source: FeatureSource
    card: dict[str, Any]

    def score(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self.booster.predict(features, num_threads=1), dtype=np.float64)


def _fresh_error(folder: Path, catalog: Catalog) -> str | None:
    manifest = indexes.read_manifest(folder)
    if manifest is None or not (folder / MODEL_FILE).is_file():
        return f"no ranker at {folder}; {RETRAIN}"
    if not indexes.is_current(folder, catalog, VERSION):
        return f"the ranker at {folder} was trained on another catalog or format; {RETRAIN}"
    if manifest.get("features") != list(FEATURE_NAMES):
        return f"the ranker at {folder} reads other features than this convrec; {RETRAIN}"
    return None


def ranker_status(ctx: ToolContext) -> str | None:
    """None when a current ranker is in place, else why not (one line)."""
    return _fresh_error(ctx.index_dir / NAME, ctx.catalog)


def load_ranker(ctx: ToolContext) -> LearnedRanker:
    """The process-wide learned ranker."""

    def loader() -> LearnedRanker:
        import lightgbm as lgb  # deferred: lightgbm takes ~7 s to import (sklearn)

        folder = ctx.index_dir / NAME
        problem = _fresh_error(folder, ctx.catalog)
        if problem is not None:
            raise ConvrecError(problem)
        try:
            booster = lgb.Booster(model_file=str(folder / MODEL_FILE))
            signals = DialogueSignals.load(folder)
            contexts = DialogueContexts.load(folder)
            card = json.loads((folder / CARD_FILE).read_text())
        except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as exc:
            raise ConvrecError(f"the ranker at {folder} is unreadable ({exc}); "
                               f"{RETRAIN} --force") from None
        source = feature_source(ctx.catalog, signals, contexts, load_dense(ctx),
                                load_cf(ctx).model)
        return LearnedRanker(booster, source, card)

    return ctx.resources.get(NAME, loader)


def build_ranker(catalog: Catalog, index_dir: Any, *, force: bool = False,
                 progress: Any = None, ablation: bool = False) -> dict[str, Any]:
    """Train and save the ranker unless a current one is there (see ranking/train.py)."""
    folder = Path(index_dir) / NAME
    if not force and _fresh_error(folder, catalog) is None:
        return {"index": NAME, "built": False, "folder": str(folder)}
    started = time.perf_counter()
    report = progress or (lambda *_: None)
    dense = DenseIndex.load(Path(index_dir) / "dense")
    cf = CfRanker.load(Path(index_dir) / "cf").model
    space = catalog_space(catalog)
    dialogues = training_dialogues(catalog)
    turns = list(training_turns(dialogues))
    report("ranker: dialogue contexts", 0, None)
    said = [(t.conversation_id, t.query.text, t.targets) for t in turns]
    contexts = DialogueContexts.build(said, space,
                                      lambda texts: dense.encode(texts, cache=False))
    known = contexts.encoded(said)  # the turns' features read these, not one encode each
    report("ranker: dialogue signals", 0, None)

    def make(subset: Sequence[TrainingDialogue]) -> FeatureSource:
        return feature_source(catalog, DialogueSignals.build(subset, space),
                              contexts.restrict({d.conversation_id for d in subset}), dense, cf,
                              known)

    sources = train.fold_signals_sources(dialogues, make)
    fit_turns, dev_turns = train.split_turns(turns)
    if not fit_turns:
        report("ranker: no training turns", 1, 1)
        return {"index": NAME, "built": False, "folder": str(folder),
                "skipped": "no training dialogue with a recommender suggestion"}
    fit_set = train.turn_matrix(fit_turns, sources, progress, "fit")
    dev_set = train.turn_matrix(dev_turns, sources, progress, "dev")
    held_out = bool(dev_turns)
    if not held_out:  # a tiny catalog: stop on the fit turns, and say so on the card
        dev_set = fit_set
    report("ranker: fitting", 0, None)
    model = train.fit(fit_set, dev_set)
    full = DialogueSignals.build(dialogues, space)
    card = _model_card(model, dialogues, fit_turns, dev_turns, fit_set, dev_set, held_out)
    if ablation:
        report("ranker: ablation", 0, None)
        card["dev_ablation"] = train.ablation(fit_set, dev_set)
    # everything is trained: only now is the folder replaced (a ranker in use stays whole
    # until this point, and is refused as stale for the few moments of the swap)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_model(str(folder / MODEL_FILE), num_iteration=model.best_iteration)
    full.save(folder)
    contexts.save(folder)
    (folder / CARD_FILE).write_text(json.dumps(card, indent=2))
    seconds = time.perf_counter() - started
    indexes.write_manifest(folder, catalog, VERSION, seconds, features=list(FEATURE_NAMES),
                           dev=card["dev"], rounds=card["rounds"])
    report("ranker: done", 1, 1)
    return {"index": NAME, "built": True, "folder": str(folder), "seconds": round(seconds, 2),
            "dev_recall@10": card["dev"]["recall@10"], "rounds": card["rounds"]}


def _model_card(model: Any, dialogues: Sequence[Any], fit_turns: Sequence[Any],
                dev_turns: Sequence[Any], fit_set: Any, dev_set: Any,
                held_out: bool) -> dict[str, Any]:
    """The ranker's card: parameters, training data, feature gains, dev figures."""
    gains = model.feature_importance("gain")
    return {
        "model": "lightgbm lambdarank",
        "params": {k: v for k, v in train.PARAMS.items() if k != "verbose"},
        "rounds": int(model.best_iteration),
        "data": {
            "training_dialogues": len(dialogues),
            "dialogues_with_speakers": sum(d.has_roles for d in dialogues),
            "fit_turns": len(fit_turns), "dev_turns": len(dev_turns),
            "fit_candidates": len(fit_set.labels),
            "candidate_recall_dev": round(
                float(sum(dev_set.labels)) / max(1, sum(len(t) for t in dev_set.targets)), 4),
        },
        "features": list(FEATURE_NAMES),
        "importance_gain": {n: round(float(g), 1) for n, g in
                            sorted(zip(FEATURE_NAMES, gains, strict=True), key=lambda x: -x[1])},
        "dev_held_out": held_out,
        "dev": train.dev_figures(model, dev_set),
        "dev_generators": train.baseline_figures(dev_set),
    }
