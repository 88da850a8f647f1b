"""The evaluation home: the catalog and the user-side indexes with every scenario's target held
out, so no simulated user's own rating or review of their target can reach the agent.

What is held out: for each MovieLens and critic scenario of either split (`scenarios.
heldout_pairs`), the person's ratings and tags of the target (MovieLens) or their reviews of it
(critics). The catalog is copied without those rows, the films' rating means and counts are
recomputed, and the indexes that read who-liked-what are rebuilt from the copy: the CF model
(the main model's kind and hyper-parameters, refitted on the remaining ratings) and the profile
memory. The text indexes (BM25, dense) describe films, not people, and the ranker learns from
ReDial dialogues, not from these people; they are shared with the
main home through symlinks. The copy keeps the main catalog's fingerprint, so those indexes
stay current for it, and records the held-out pairs' digest in its meta table.

The home is built once and reused while the main catalog and the held-out pairs are the same
(`HOME/eval/holdout-<digest>/`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from convrec.catalog.db import Catalog
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.eval.scenarios import heldout_pairs
from convrec.tools import indexes
from convrec.tools.index_build import build_indexes
from convrec.tools.profiles import build_profiles

log = logging.getLogger(__name__)

HOLDOUT_VERSION = 2  # 2: the ranker shared
# The ranker learns from ReDial dialogues, not from MovieLens users, so it is shared too
# (its CF features read the evaluation home's refitted CF model).
SHARED_INDEXES = ("bm25", "dense", "ranker")
DONE = "holdout.json"


def _digest(catalog: Catalog, pairs: dict[str, set[tuple[str, int]]]) -> str:
    text = json.dumps({"v": HOLDOUT_VERSION, "catalog": indexes.catalog_fingerprint(catalog),
                       **{k: sorted(v) for k, v in pairs.items()}})
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def eval_home(settings: Settings, catalog: Catalog, *, progress: Any = None) -> Path:
    """The evaluation home for this catalog (built now when missing): a folder holding
    catalog.sqlite and index/ with the held-out pairs removed."""
    pairs = heldout_pairs(catalog)
    folder = settings.home / "eval" / f"holdout-{_digest(catalog, pairs)}"
    if (folder / DONE).is_file():
        return folder
    started = time.perf_counter()
    _ensure_main_indexes(settings, catalog, progress)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    removed = _masked_copy(catalog.path, tmp / "catalog.sqlite", pairs)
    index_dir = tmp / "index"
    index_dir.mkdir()
    for name in SHARED_INDEXES:
        (index_dir / name).symlink_to(Path(settings.index).resolve() / name,
                                      target_is_directory=True)
    masked = Catalog(tmp / "catalog.sqlite")
    _refit_cf(masked, Path(settings.index), index_dir)

    if progress is not None:
        progress("eval home: profiles without the held-out films", 0, None)
    build_profiles(masked, index_dir)
    masked.close()
    (tmp / DONE).write_text(json.dumps({
        "version": HOLDOUT_VERSION, "pairs": {k: len(v) for k, v in pairs.items()},
        "removed_rows": removed, "seconds": round(time.perf_counter() - started, 1)}, indent=2))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    log.info("evaluation home built at %s", folder)
    return folder


def eval_settings(settings: Settings, home: Path) -> Settings:
    """`settings` reading the evaluation home's catalog and indexes."""
    return settings.model_copy(update={"catalog_path": home / "catalog.sqlite",
                                       "index_dir": home / "index"})


def _ensure_main_indexes(settings: Settings, catalog: Catalog, progress: Any) -> None:
    build_indexes(catalog, settings.index, progress=progress)


def _masked_copy(source: Path, target: Path, pairs: dict[str, set[tuple[str, int]]]
                 ) -> dict[str, int]:
    """Copy the catalog without the held-out rows; returns how many rows each table lost."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
        dst.execute("CREATE TEMP TABLE held_ml (user_id INTEGER, item_id INTEGER)")
        dst.executemany("INSERT INTO held_ml VALUES (?, ?)",
                        [(int(u), i) for u, i in pairs["ml"]])
        dst.execute("CREATE TEMP TABLE held_critic (critic TEXT, item_id INTEGER)")
        dst.executemany("INSERT INTO held_critic VALUES (?, ?)", sorted(pairs["critic"]))
        removed = {}
        for table in ("ratings", "tags"):
            removed[table] = dst.execute(
                f"DELETE FROM {table} WHERE (user_id, item_id) IN "
                "(SELECT user_id, item_id FROM held_ml)").rowcount
        removed["reviews"] = dst.execute(
            "DELETE FROM reviews WHERE (critic, item_id) IN "
            "(SELECT critic, item_id FROM held_critic)").rowcount
        dst.execute(
            "UPDATE items SET rating_count = (SELECT COUNT(*) FROM ratings r "
            "WHERE r.item_id = items.item_id), rating_mean = (SELECT AVG(rating) FROM ratings r "
            "WHERE r.item_id = items.item_id) WHERE item_id IN (SELECT item_id FROM held_ml)")
        dst.execute("INSERT OR REPLACE INTO meta VALUES ('holdout', ?)",
                    [json.dumps({k: len(v) for k, v in pairs.items()})])
        dst.commit()
        dst.execute("VACUUM")
        return removed
    finally:
        src.close()
        dst.close()


def _refit_cf(catalog: Catalog, main_index: Path, index_dir: Path) -> None:
    """The main CF model's kind and hyper-parameters, fitted on the held-out catalog."""
    from convrec.cf.data import Interactions  # deferred: convrec.cf.data pulls in scipy
    from convrec.cf.models import Popularity, make_model  # deferred: pulls in scipy
    from convrec.tools.cf_index import NAME, save_cf  # deferred: pulls in scipy

    manifest = indexes.read_manifest(main_index / NAME)
    if manifest is None:
        raise ConvrecError(f"no cf model at {main_index / NAME}; build the indexes first")
    data = Interactions.from_catalog(catalog)
    model = make_model(manifest["model"], **manifest["params"]).fit(data)
    save_cf(index_dir / NAME, catalog, model, Popularity().fit(data),
            selection=f"as the main model ({manifest['model']}), refitted without the "
            "held-out ratings", requested=manifest.get("requested"))
