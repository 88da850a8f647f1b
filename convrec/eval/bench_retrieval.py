"""ReDial retrieval benchmark: can BM25, dense and fused retrieval find the films a human
recommender suggested, from what the seeker had said so far?

Protocol (`run_retrieval_bench`; `convrec bench tools` calls it and writes docs/BENCHMARKS.md):

* Dialogues: the ReDial dialogues of one split (default "test") in the catalog, in
  (conversation_id, position) order.
* Turns: every recommender message that mentions a film (an @id in its text). Its targets
  are the films mentioned in it that were not mentioned earlier in the dialogue (by either
  side); a turn whose mentions were all mentioned before has nothing to find and is skipped
  (counted as `skipped_no_new_target`).
* Query: the seeker's messages before that message, concatenated in order, with every @id
  replaced by the film's catalog title (a user types titles, not ids). A turn with no seeker
  text yet is skipped and counted (`skipped_empty_context`).
* Ranking: over the whole catalog, leaving out every film already mentioned in the dialogue
  (by either side) before this message. BM25 ranks with the index's own scorer; dense ranks
  exactly with the item matrix (batch-encoded queries, one matrix product; the tool's chroma
  search is the approximate HNSW version of the same ranking). MiniLM reads only the first
  256 word pieces of a long seeker context.
* Fusion: reciprocal-rank fusion of the BM25 and dense runs (ranx.fuse, method "rrf",
  ranx's default k=60) over each run's top `depth` (default 100).
* Metrics: Recall@k for each k in `ks` with ranx (Qrels / Run / evaluate), a target counting
  once however often it is mentioned; every evaluated turn counts once (a turn where BM25
  matched no word scores 0).
* Coverage: the share of target mentions (new @ids in the recommender message) that resolve
  to catalog items present in both indexes; unresolved ones cannot be found and are left out
  of the targets.

`limit` evaluates only the first `limit` turns (for quick checks and tests).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convrec.catalog.db import Catalog
from convrec.tools.bm25 import load_bm25
from convrec.tools.context import ToolContext
from convrec.tools.dense import DenseIndex, load_dense

MENTION = re.compile(r"@(\d+)")
DEPTH = 100


@dataclass
class Turn:
    """One evaluated recommender message."""

    turn_id: str  # "conversation_id:position"
    query: str
    targets: set[int]
    exclude: set[int] = field(default_factory=set)


@dataclass
class TurnStats:
    dialogues: int = 0
    recommender_turns_with_mentions: int = 0
    skipped_empty_context: int = 0
    skipped_no_new_target: int = 0
    target_mentions: int = 0
    resolved_target_mentions: int = 0


@dataclass
class Message:
    """One ReDial message as the benchmarks read it."""

    position: int
    role: str
    text: str  # stripped, every @id replaced by the film's catalog title
    rids: list[int]  # the ReDial movie ids written in it, in order (repeats kept)
    items: dict[int, int]  # ReDial movie id -> catalog item, for the mentions that resolve


@dataclass
class Dialogue:
    conversation_id: str
    messages: list[Message]


def load_dialogues(
    catalog: Catalog, split: str, known: set[int] | None = None, *, quote_titles: bool = False
) -> list[Dialogue]:
    """The dialogues of a split in (conversation_id, position) order, @ids replaced by titles.

    `known` (item ids) decides which mentions resolve; default: every item the mentions
    table points at. `quote_titles` puts each title in double quotes, keeping the @id's
    "this is a film" mark for a reader that looks for titles (the agent's extractor).
    """
    form = '"{}"' if quote_titles else "{}"
    titles: dict[int, str] = {}
    for rid, title in catalog.query(
        "SELECT rm.redial_movie_id, i.title FROM redial_movies rm JOIN items i USING (item_id)"
    ):
        titles[rid] = form.format(title)
    resolved: dict[tuple[str, int, int], int] = {}
    for conv, pos, rid, item_id in catalog.query(
        "SELECT x.conversation_id, x.position, x.redial_movie_id, x.item_id "
        "FROM redial_message_mentions x JOIN redial_dialogues d USING (conversation_id) "
        "WHERE d.split = ?",
        [split],
    ):
        if known is None or item_id in known:
            resolved[(conv, pos, rid)] = item_id
    messages = catalog.query(
        "SELECT m.conversation_id, m.position, m.role, m.text FROM redial_messages m "
        "JOIN redial_dialogues d USING (conversation_id) WHERE d.split = ? "
        "ORDER BY m.conversation_id, m.position",
        [split],
    )

    def with_titles(text: str) -> str:
        return MENTION.sub(lambda m: titles.get(int(m.group(1)), ""), text)

    by_dialogue: dict[str, list[Message]] = defaultdict(list)
    for conv, pos, role, text in messages:
        rids = [int(r) for r in MENTION.findall(text)]
        items = {r: resolved[(conv, pos, r)] for r in rids if (conv, pos, r) in resolved}
        by_dialogue[conv].append(Message(pos, role, with_titles(text).strip(), rids, items))
    return [Dialogue(conv, rows) for conv, rows in by_dialogue.items()]


def load_turns(
    ctx: ToolContext, split: str, limit: int | None = None, known: set[int] | None = None
) -> tuple[list[Turn], TurnStats]:
    """The benchmark turns of a split (see the module docstring), with counts.

    `known` (item ids present in the indexes) decides which mentions resolve; default:
    every item the mentions table points at.
    """
    dialogues = load_dialogues(ctx.catalog, split, known)
    stats = TurnStats(dialogues=len(dialogues))
    turns: list[Turn] = []
    for dialogue in dialogues:
        seeker: list[str] = []
        seen_rids: set[int] = set()
        seen_items: set[int] = set()
        for message in dialogue.messages:
            rids = message.rids
            if message.role == "recommender" and rids:
                stats.recommender_turns_with_mentions += 1
                new_rids = {r for r in rids if r not in seen_rids}
                new_resolved = {r for r in new_rids if r in message.items}
                targets = {message.items[r] for r in new_resolved} - seen_items
                stats.target_mentions += len(new_rids)
                stats.resolved_target_mentions += len(new_resolved)
                query = " ".join(s for s in seeker if s)
                if not targets:
                    stats.skipped_no_new_target += 1
                elif not query.strip():
                    stats.skipped_empty_context += 1
                elif limit is None or len(turns) < limit:
                    turn_id = f"{dialogue.conversation_id}:{message.position}"
                    turns.append(Turn(turn_id, query, targets, set(seen_items)))
            if message.role == "seeker":
                seeker.append(message.text)
            seen_rids.update(rids)
            seen_items.update(message.items.values())
    return turns, stats


def recall_at(qrels: Any, run: Any, ks: Sequence[int]) -> dict[str, float]:
    """Recall@k for each k with ranx, rounded to 4 places."""
    from ranx import evaluate  # deferred: ranx takes ~10 s to import (numba)

    metrics = [f"recall@{k}" for k in ks]
    scores = evaluate(qrels, run, metrics, make_comparable=True)
    if isinstance(scores, float | np.floating):  # one metric -> a bare number
        scores = {metrics[0]: scores}
    return {m: round(float(scores[m]), 4) for m in metrics}


def _dense_run(
    dense: DenseIndex, vectors: np.ndarray, turns: Sequence[Turn], depth: int
) -> dict[str, dict[str, float]]:
    """Each turn's exact dense top `depth` over the whole catalog (in batches of 256 query
    vectors), less the films the turn excludes: turn id -> {item id: cosine}."""
    dense_run: dict[str, dict[str, float]] = {}
    extra = max((len(t.exclude) for t in turns), default=0)
    batch = 256
    for start in range(0, len(turns), batch):
        ids, scores = dense.search_all_exact(vectors[start : start + batch], depth + extra)
        for turn, row_ids, row_scores in zip(
            turns[start : start + batch], ids, scores, strict=True
        ):
            ranked = {}
            for item_id, score in zip(row_ids.tolist(), row_scores.tolist(), strict=True):
                if item_id not in turn.exclude:
                    ranked[str(item_id)] = float(score)
                    if len(ranked) == depth:
                        break
            dense_run[turn.turn_id] = ranked
    return dense_run


def run_retrieval_bench(
    ctx: ToolContext,
    *,
    split: str = "test",
    ks: Sequence[int] = (10, 50),
    limit: int | None = None,
    depth: int = DEPTH,
) -> dict[str, Any]:
    """Run the benchmark (protocol in the module docstring) and return its figures."""
    from ranx import Qrels, Run, fuse  # deferred: ranx takes ~10 s to import (numba)

    started = time.perf_counter()
    ks = tuple(sorted(set(ks)))
    depth = max(depth, max(ks))
    bm25 = load_bm25(ctx)
    dense = load_dense(ctx)
    in_both = set(bm25.item_ids.tolist()) & set(dense.item_ids.tolist())
    turns, stats = load_turns(ctx, split, limit, known=in_both)
    seconds: dict[str, float] = {}

    qrels_dict = {t.turn_id: {str(i): 1 for i in t.targets} for t in turns}

    t0 = time.perf_counter()
    bm25_run: dict[str, dict[str, float]] = {}
    for turn in turns:
        hits = bm25.search(turn.query, depth, exclude=turn.exclude, evidence=False)
        bm25_run[turn.turn_id] = {str(h.item_id): h.score for h in hits}
    seconds["bm25"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # Consecutive recommender messages often share the same seeker context: encode each
    # distinct query once.
    unique = list(dict.fromkeys(t.query for t in turns))
    row_of = {q: i for i, q in enumerate(unique)}
    vectors = dense.encode(unique, cache=False)[[row_of[t.query] for t in turns]]
    seconds["dense_encode"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dense_run = _dense_run(dense, vectors, turns, depth)
    seconds["dense_rank"] = time.perf_counter() - t0

    results: dict[str, dict[str, float]] = {}
    if turns:
        t0 = time.perf_counter()
        qrels = Qrels(qrels_dict)
        runs = {"bm25": Run(bm25_run, name="bm25"), "dense": Run(dense_run, name="dense")}
        runs["fused"] = fuse([runs["bm25"], runs["dense"]], method="rrf")
        results = {name: recall_at(qrels, run, ks) for name, run in runs.items()}
        seconds["fuse_and_evaluate"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - started

    return {
        "benchmark": "redial-retrieval",
        "split": split,
        "ks": list(ks),
        "depth": depth,
        "limit": limit,
        "turns": len(turns),
        "dialogues": stats.dialogues,
        "recommender_turns_with_mentions": stats.recommender_turns_with_mentions,
        "skipped_empty_context": stats.skipped_empty_context,
        "skipped_no_new_target": stats.skipped_no_new_target,
        "target_mentions": stats.target_mentions,
        "resolved_target_mentions": stats.resolved_target_mentions,
        "coverage": round(stats.resolved_target_mentions / stats.target_mentions, 4)
        if stats.target_mentions
        else None,
        "mean_targets_per_turn": round(float(np.mean([len(t.targets) for t in turns])), 3)
        if turns
        else None,
        "bm25_stemmer": bm25.stemmer,
        "fusion": "ranx rrf (k=60)",
        "results": results,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }
