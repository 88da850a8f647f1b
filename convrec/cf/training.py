"""Choosing the CF model to ship and fitting it on all the ratings.

`fit_shipped` runs the comparison of `convrec.cf.selection` (every model, or the one asked
for), fits the chosen model with its tuned hyper-parameters on all the ratings, and says
why and with which figures; `convrec.tools.cf_index.train_cf` saves the result as the index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from convrec.cf.data import Interactions
from convrec.cf.models import MODEL_NAMES, Popularity, make_model
from convrec.cf.scorer import ItemScorer
from convrec.cf.selection import SELECT_METRIC, compare_models
from convrec.progress import Progress


@dataclass(frozen=True)
class Shipped:
    """The model to ship, the popularity fallback, and the manifest's record of the choice."""

    model: ItemScorer
    popularity: ItemScorer
    record: dict[str, Any]


def fit_shipped(data: Interactions, *, model: str = "auto",
                progress: Progress | None = None) -> Shipped:
    """The best model by validation NDCG@10 (`model` "auto") or the one asked for, tuned on
    the benchmark's validation split and fitted on all of `data`."""
    report = progress or (lambda _d, _n, _t: None)
    names = MODEL_NAMES if model == "auto" else (model,)
    bench = compare_models(data, models=names, progress=progress)
    chosen = bench["best"] if model == "auto" else model
    params = bench["models"][chosen]["params"]

    report(f"cf: fitting {chosen} on all ratings", 0, 1)
    fit_started = time.perf_counter()
    scorer = make_model(chosen, **params).fit(data)
    fit_seconds = time.perf_counter() - fit_started
    figures = {name: result["metrics"] for name, result in bench["models"].items()}
    record = {
        "requested": model,
        "selection": (f"best validation {SELECT_METRIC} of {', '.join(names)} on the benchmark"
                      if model == "auto" else "asked for"),
        "fit_seconds": round(fit_seconds, 2),
        SELECT_METRIC: figures[chosen][SELECT_METRIC],
        "users": len(data.user_ids), "positives": int(data.positives().nnz),
        "benchmark": {"protocol": bench["protocol"], "metrics": figures,
                      "params": {n: r["params"] for n, r in bench["models"].items()},
                      "validation": {n: r["validation_best"] for n, r in bench["models"].items()},
                      "seconds": bench["seconds"]},
    }
    return Shipped(scorer, Popularity().fit(data), record)
