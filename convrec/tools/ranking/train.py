"""Train the learned ranker (LightGBM lambdarank) on turns of the training dialogues.

Honest features: a turn's co-mention and suggestion counts come from signals built without
its fold of dialogues (two folds; dialogues without speakers, which give no turns, are in
every fold's signals), so no count includes the suggestion being predicted. Early stopping
and the card's figures use the dev dialogues (one in ten, by conversation id); the ReDial
test split never reaches this module (`dialogues.training_dialogues` reads split 'train').
The shipped model scores live requests with signals built from every training dialogue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convrec.progress import Progress
from convrec.tools.ranking.dialogues import TrainingDialogue
from convrec.tools.ranking.features import (
    FEATURE_NAMES,
    FEATURES,
    GROUPS,
    FeatureSource,
    build_candidates,
)
from convrec.tools.ranking.turns import FOLDS, TrainingTurn, fold_of, is_dev

PARAMS: dict[str, Any] = {
    "objective": "lambdarank", "metric": "ndcg", "eval_at": [10],
    "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 100,
    "feature_fraction": 0.9, "lambdarank_truncation_level": 50,
    "num_threads": 2, "verbose": -1, "seed": 0, "deterministic": True,
}
MAX_ROUNDS = 600
EARLY_STOP = 100


@dataclass
class TurnMatrix:
    """Stacked candidates of many turns: features, labels, group sizes, and per turn the
    candidate item ids and targets (for recall)."""

    features: np.ndarray
    labels: np.ndarray
    groups: list[int]
    candidates: list[list[int]]
    targets: list[frozenset[int]]

    def recall(self, scores: np.ndarray, k: int) -> float:
        """Mean Recall@k over the turns, ranking each turn's candidates by `scores`."""
        hits: list[float] = []
        start = 0
        for group, ids, targets in zip(self.groups, self.candidates, self.targets, strict=True):
            order = np.argsort(-scores[start:start + group], kind="stable")[:k]
            hits.append(len({ids[i] for i in order} & targets) / len(targets))
            start += group
        return float(np.mean(hits)) if hits else 0.0


def turn_matrix(turns: Sequence[TrainingTurn], sources: Callable[[str], FeatureSource],
                progress: Progress | None = None, label: str = "") -> TurnMatrix:
    features, labels, groups, candidates, targets = [], [], [], [], []
    for n, turn in enumerate(turns, 1):
        source = sources(turn.conversation_id)
        found = build_candidates(turn.query, source)
        ids = found.item_ids(source.space)
        features.append(found.features)
        labels.append(np.asarray([i in turn.targets for i in ids], dtype=np.int32))
        groups.append(len(ids))
        candidates.append(ids)
        targets.append(turn.targets)
        if progress is not None and (n % 500 == 0 or n == len(turns)):
            progress(f"ranker: {label} features", n, len(turns))
    width = len(FEATURE_NAMES)
    return TurnMatrix(
        np.vstack(features) if features else np.zeros((0, width), dtype=np.float32),
        np.concatenate(labels) if labels else np.zeros(0, dtype=np.int32),
        groups, candidates, targets)


def fold_signals_sources(dialogues: Sequence[TrainingDialogue],
                         make: Callable[[Sequence[TrainingDialogue]], FeatureSource]
                         ) -> Callable[[str], FeatureSource]:
    """conversation id -> a feature source whose signals leave out that dialogue's fold."""
    by_fold = {
        fold: make([d for d in dialogues if not (d.has_roles and fold_of(d.conversation_id)
                                                 == fold)])
        for fold in range(FOLDS)
    }
    return lambda conversation_id: by_fold[fold_of(conversation_id)]


def fit(fit_set: TurnMatrix, dev_set: TurnMatrix, columns: Sequence[int] | None = None,
        rounds: int = MAX_ROUNDS) -> Any:
    import lightgbm as lgb  # deferred: lightgbm takes ~7 s to import (sklearn)

    cols = list(range(len(FEATURE_NAMES))) if columns is None else list(columns)
    names = [FEATURE_NAMES[c] for c in cols]
    train = lgb.Dataset(fit_set.features[:, cols], fit_set.labels, group=fit_set.groups,
                        feature_name=names, free_raw_data=False)
    valid = lgb.Dataset(dev_set.features[:, cols], dev_set.labels, group=dev_set.groups,
                        reference=train)
    return lgb.train(PARAMS, train, rounds, valid_sets=[valid],
                     callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])


def dev_figures(model: Any, dev_set: TurnMatrix, columns: Sequence[int] | None = None
                ) -> dict[str, float]:
    x = dev_set.features if columns is None else dev_set.features[:, list(columns)]
    scores = model.predict(x, num_iteration=model.best_iteration)
    return {f"recall@{k}": round(dev_set.recall(scores, k), 4) for k in (1, 10, 50)}


def baseline_figures(dev_set: TurnMatrix) -> dict[str, dict[str, float]]:
    """Each generator's own order on the same dev turns (higher first; ranks negated)."""
    column = {name: k for k, name in enumerate(FEATURE_NAMES)}
    orders = {"co_mention": -dev_set.features[:, column["co_mention_rank"]],
              "cf": -dev_set.features[:, column["cf_rank"]],
              "text": -dev_set.features[:, column["text_rank"]],
              "contexts": -dev_set.features[:, column["context_rank"]],
              "suggested": dev_set.features[:, column["suggested_log"]]}
    return {name: {f"recall@{k}": round(dev_set.recall(s, k), 4) for k in (1, 10, 50)}
            for name, s in orders.items()}


def ablation(fit_set: TurnMatrix, dev_set: TurnMatrix) -> dict[str, dict[str, float]]:
    """Dev figures with each feature group left out (retrained without it)."""
    out: dict[str, dict[str, float]] = {}
    for group in GROUPS:
        cols = [k for k, (_, g) in enumerate(FEATURES) if g != group]
        model = fit(fit_set, dev_set, cols)
        out[f"without {group}"] = dev_figures(model, dev_set, cols)
    return out


def split_turns(turns: Sequence[TrainingTurn]) -> tuple[list[TrainingTurn], list[TrainingTurn]]:
    fit_turns = [t for t in turns if not is_dev(t.conversation_id)]
    dev_turns = [t for t in turns if is_dev(t.conversation_id)]
    return fit_turns, dev_turns


def timed(started: float) -> float:
    return round(time.perf_counter() - started, 2)
