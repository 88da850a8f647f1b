"""The cf index folder: `train_cf` builds it, `load_cf` loads it for rank_cf.

The folder holds the shipped model (`MODEL_FILE`), the popularity fallback
(`POPULARITY_FILE`) and the manifest that records the choice and its figures. The models and
their selection are in `convrec.cf`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog
from convrec.cf.data import Interactions
from convrec.cf.models import MODELS, load_model
from convrec.cf.scorer import ItemScorer
from convrec.cf.selection import SELECT_METRIC
from convrec.cf.training import fit_shipped
from convrec.errors import ConvrecError
from convrec.progress import Progress
from convrec.tools import indexes
from convrec.tools.context import ToolContext

NAME = "cf"
VERSION = 1
MODEL_FILE = "model.npz"
POPULARITY_FILE = "popularity.npz"


def train_cf(
    catalog: Catalog, index_dir: Path, *, model: str = "auto", force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train the CF ranker and save it under index_dir/"cf" unless it is current.

    `model` is "auto" (run the benchmark over every model and ship the best by NDCG@10) or
    one model's name (benchmarked alone, for its tuned hyper-parameters and figures). The
    shipped model is fitted on all the ratings with the hyper-parameters tuned on the
    benchmark's validation split; the popularity model is saved beside it as the fallback.
    Returns a summary: built (False when already current), model, its figures, items, bytes.
    """
    if model != "auto" and model not in MODELS:
        raise ConvrecError(f"unknown cf model {model!r}; choose auto, {', '.join(MODELS)}")
    folder = Path(index_dir) / NAME
    manifest = indexes.read_manifest(folder)
    if (not force and manifest is not None and manifest.get("requested") == model
            and indexes.is_current(folder, catalog, VERSION)):
        return {"index": NAME, "built": False, "folder": str(folder), **_summary(manifest)}

    started = time.perf_counter()
    report = progress or (lambda _d, _n, _t: None)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)  # an interrupted build is not current
    report("cf: reading the ratings", 0, 1)
    data = Interactions.from_catalog(catalog)
    if data.ratings.nnz == 0:
        raise ConvrecError("the catalog has no ratings; cf needs the MovieLens ratings")
    shipped = fit_shipped(data, model=model, progress=progress)
    summary = save_cf(folder, catalog, shipped.model, shipped.popularity, started=started,
                      **shipped.record)
    report("cf: done", 1, 1)
    return {"index": NAME, "built": True, "folder": str(folder), **summary}


def save_cf(
    folder: Path, catalog: Catalog, model: ItemScorer, popularity: ItemScorer, *,
    started: float | None = None, **extra: Any,
) -> dict[str, Any]:
    """Write fitted models as the ranker `load_cf` reads, manifest last; returns the summary
    (model, items, bytes, seconds and `extra` but its nested values) also in the manifest."""
    folder = Path(folder)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / MODEL_FILE)
    popularity.save(folder / POPULARITY_FILE)
    seconds = time.perf_counter() - started if started is not None else 0.0
    record = {"model": model.name, "params": model.params, "items": len(model.item_ids),
              "bytes": sum(p.stat().st_size for p in folder.glob("*.npz")), **extra}
    indexes.write_manifest(folder, catalog, VERSION, seconds, **record)
    return {"seconds": round(seconds, 2),
            **{k: v for k, v in record.items() if not isinstance(v, dict)}}


def _summary(manifest: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("model", "selection", SELECT_METRIC, "items", "users", "positives", "fit_seconds",
            "bytes", "build_seconds")
    return {k: manifest.get(k) for k in keys}


@dataclass(frozen=True)
class CfRanker:
    """The shipped model and the popularity fallback, as loaded from index_dir/"cf"."""

    model: ItemScorer
    popularity: ItemScorer
    manifest: Mapping[str, Any]

    @classmethod
    def load(cls, folder: Path) -> CfRanker:
        folder = Path(folder)
        manifest = indexes.read_manifest(folder)
        if manifest is None:
            raise ConvrecError(f"no cf model at {folder}; train it with `convrec cf train`")
        try:
            return cls(load_model(folder / MODEL_FILE), load_model(folder / POPULARITY_FILE),
                       manifest)
        except (OSError, ValueError, KeyError) as exc:
            raise ConvrecError(f"the cf model at {folder} is unreadable ({exc}); retrain it "
                               "with `convrec cf train --force`") from None


def load_cf(ctx: ToolContext) -> CfRanker:
    """The process-wide CF ranker (loaded once; refuses a model of another catalog)."""

    def loader() -> CfRanker:
        folder = ctx.index_dir / NAME
        indexes.refuse_stale(folder, ctx.catalog, VERSION, "cf model", "trained on",
                             "retrain it with `convrec cf train`")
        return CfRanker.load(folder)

    return ctx.resources.get(NAME, loader)
