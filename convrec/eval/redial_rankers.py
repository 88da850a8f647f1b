"""The systems the ReDial benchmark ranks with: popularity, BM25 and dense over the
conversation so far, and the agent's own pipeline reading the seeker's messages
(see convrec/eval/redial.py for the protocol)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from convrec.agent.ledger import Ledger
from convrec.agent.ledger_apply import apply_update
from convrec.errors import ConvrecError
from convrec.eval.bench_retrieval import Message
from convrec.eval.redial import (
    BATCH,
    CUTOFF,
    DENSE_WORDS,
    MAX_LIKES,
    SYSTEMS,
    Ranker,
    Rankings,
    RedialTurn,
)
from convrec.progress import Progress
from convrec.tools.base import ToolArgumentError
from convrec.tools.bm25 import load_bm25
from convrec.tools.cf import load_cf
from convrec.tools.context import ToolContext
from convrec.tools.dense import QUERY_BATCH_MAX, load_dense, search_vector
from convrec.tools.pipeline import RecommendRequest, recommend
from convrec.tools.ranking.features import RankQuery
from convrec.tools.ranking.model import load_ranker
from convrec.tools.ranking.tool import rank_learned
from convrec.tools.ranking.turns import latest_words

if TYPE_CHECKING:
    from convrec.agent.ledger import Ledger
    from convrec.tools.pipeline import RecommendRequest


def counted(turns: Sequence[RedialTurn], name: str, progress: Progress | None
             ) -> Iterable[RedialTurn]:
    """The turns, reporting progress every 50."""
    for n, turn in enumerate(turns, 1):
        yield turn
        if progress is not None and (n % 50 == 0 or n == len(turns)):
            progress(f"{name}: ranking", n, len(turns))


def popularity_ranker(ctx: ToolContext) -> Ranker:
    """Everyone gets the same films: MovieLens rating count, then TMDB popularity."""
    order = [r[0] for r in ctx.catalog.query(
        "SELECT item_id FROM items "
        "ORDER BY rating_count DESC, COALESCE(popularity, 0) DESC, item_id")]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        return {t.turn_id: order[:t.depth] for t in counted(turns, "popularity", progress)}

    return rank


def bm25_ranker(ctx: ToolContext) -> Ranker:
    """BM25 on the context text (both roles, titles substituted)."""
    index = load_bm25(ctx)

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        return {
            t.turn_id: [h.item_id for h in index.search(t.text(), t.depth, evidence=False)]
            for t in counted(turns, "bm25", progress)
        }

    return rank


def dense_ranker(ctx: ToolContext) -> Ranker:
    """MiniLM on the latest words of the context plus the seeker's example films, ranked
    exactly over the item matrix."""
    index = load_dense(ctx)

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        texts = [" ".join(t.text().split()[-DENSE_WORDS:]) for t in turns]
        unique = list(dict.fromkeys(x for x in texts if x))
        encoded: dict[str, Any] = {}
        # Small chunks go through the ONNX query encoder: as fast as torch in bulk here, the
        # same vectors, and no seconds spent importing torch for a short run.
        for start in range(0, len(unique), QUERY_BATCH_MAX):
            chunk = unique[start:start + QUERY_BATCH_MAX]
            encoded.update(zip(chunk, index.encode(chunk, cache=False), strict=True))
            if progress is not None:
                progress("dense: encoding contexts", start + len(chunk), len(unique))
        rankings: Rankings = {}
        for start in range(0, len(turns), BATCH):
            batch = list(zip(turns[start:start + BATCH], texts[start:start + BATCH],
                             strict=True))
            usable = [(t, x) for t, x in batch if x or t.seeker_items]
            if usable:
                vectors = np.stack([
                    search_vector(index, encoded.get(x), t.seeker_items[-MAX_LIKES:])
                    for t, x in usable])
                depth = max(t.depth for t, _ in usable)
                ids, _ = index.search_all_exact(vectors, depth)
                for (turn, _), row in zip(usable, ids, strict=True):
                    rankings[turn.turn_id] = row[:turn.depth].tolist()
            if progress is not None:
                progress("dense: ranking", start + len(batch), len(turns))
        return rankings

    return rank


def co_mention_ranker(ctx: ToolContext) -> Ranker:
    """The learned ranker's co-mention generator alone: what recommenders of the training
    dialogues suggested after the films mentioned so far; the suggestion count fills up."""
    signals = load_ranker(ctx).source.signals
    ids = signals.space.item_ids
    prior = [int(i) for i in ids[np.argsort(-signals.suggested, kind="stable")]]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        out: Rankings = {}
        for t in counted(turns, "co_mention", progress):
            rows = signals.space.positions(t.context_order).tolist()
            scores = signals.co_mention(rows).balanced
            top = np.argsort(-scores, kind="stable")[:t.depth]
            found = [int(ids[r]) for r in top if scores[r] > 0]
            out[t.turn_id] = list(dict.fromkeys([*found, *prior]))[:t.depth]
        return out

    return rank


def contexts_ranker(ctx: ToolContext) -> Ranker:
    """The learned ranker's dialogue-contexts generator alone: the training turns whose
    seeker wrote the most similar words vote for what was suggested there (the seeker's
    latest 40 words, MiniLM); the suggestion count fills up."""
    source = load_ranker(ctx).source
    ids = source.space.item_ids
    prior = [int(i) for i in ids[np.argsort(-source.signals.suggested, kind="stable")]]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        out: Rankings = {}
        for t in counted(turns, "contexts", progress):
            said = latest_words(m.text for m in t.context if m.role == "seeker" and m.text)
            votes = source.contexts.scores(source.encode(said) if said else None).votes
            top = np.argsort(-votes, kind="stable")[:t.depth]
            found = [int(ids[r]) for r in top if votes[r] > 0]
            out[t.turn_id] = list(dict.fromkeys([*found, *prior]))[:t.depth]
        return out

    return rank


def suggested_ranker(ctx: ToolContext) -> Ranker:
    """Everyone gets the same films: how often recommenders of the training dialogues
    suggested each (the ranker's prior generator alone)."""
    signals = load_ranker(ctx).source.signals
    order = [int(i) for i in signals.space.item_ids[
        np.argsort(-signals.suggested, kind="stable")]]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        return {t.turn_id: order[:t.depth] for t in counted(turns, "suggested", progress)}

    return rank


def cf_ranker(ctx: ToolContext) -> Ranker:
    """The shipped CF model from the films the seeker mentioned so far (every film mentioned,
    when the seeker named none); popularity fills up."""
    cf = load_cf(ctx)
    model_ids = np.asarray(cf.model.item_ids)
    counts = np.asarray(cf.popularity.counts)  # type: ignore[attr-defined]
    prior = [int(i) for i in np.asarray(cf.popularity.item_ids)[
        np.argsort(-counts, kind="stable")]]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        out: Rankings = {}
        for t in counted(turns, "cf", progress):
            history = [i for i in (t.seeker_items or t.context_order)
                       if cf.model.columns([i])[0] >= 0]
            found: list[int] = []
            if history:
                scores = cf.model.score(history)
                found = [int(i) for i in model_ids[np.argsort(-scores, kind="stable")[:t.depth]]]
            out[t.turn_id] = list(dict.fromkeys([*found, *prior]))[:t.depth]
        return out

    return rank


def learned_ranker(ctx: ToolContext) -> Ranker:
    """The learned ranker alone, outside the pipeline (no constraints, no MMR): its own
    generators from the films mentioned so far and the seeker's latest words, as it was
    trained; the suggestion count fills up."""
    ranker = load_ranker(ctx)
    signals = ranker.source.signals
    prior = [int(i) for i in signals.space.item_ids[
        np.argsort(-signals.suggested, kind="stable")]]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        out: Rankings = {}
        for t in counted(turns, "ranker", progress):
            said = latest_words(m.text for m in t.context if m.role == "seeker" and m.text)
            query = RankQuery(liked=tuple(t.seeker_items), context=tuple(t.context_order),
                              text=said)
            found = rank_learned(ranker, query, ctx, k=t.depth, evidence=False).ids()
            out[t.turn_id] = list(dict.fromkeys([*found, *prior]))[:t.depth]
        return out

    return rank


class AgentRanker:
    """convrec's understanding and recommendation pipeline, turn by turn.

    The ledger is folded forward message by message within a dialogue (as the agent's
    understand node does), so consecutive turns of one dialogue read each message once.
    """

    def __init__(self, ctx: ToolContext, learned: bool = True) -> None:
        # deferred: convrec.agent.understanding pulls in sklearn, pandas, pyarrow, ...
        from convrec.agent.understanding import get_extractor

        self.ctx = ctx
        self.learned = learned
        self.extractor = get_extractor(ctx)
        self._empty = Ledger()
        self._ledger = self._empty
        self._conversation: str | None = None
        self._read = 0  # messages of the current dialogue folded into the ledger
        self._turn = 0  # seeker messages read (the ledger's turn stamps)
        self.errors: list[str] = []
        self.empty: dict[str, int] = {"nothing_known": 0, "no_film_meets_constraints": 0,
                                      "other_empty": 0}

    def __call__(self, turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        return {t.turn_id: self.rank(t) for t in counted(turns, "agent", progress)}

    def rank(self, turn: RedialTurn) -> list[int]:
        request = self.request(turn)
        if request is None:
            self.empty["nothing_known"] += 1
            return []
        try:
            result = recommend(request, self.ctx)
        except ToolArgumentError as exc:
            self.errors.append(f"{turn.turn_id}: {exc}")
            return []
        if not result.items:
            unmet = any(n.startswith("no film meets") for n in result.notes)
            self.empty["no_film_meets_constraints" if unmet else "other_empty"] += 1
        return [s.item_id for s in result.items]

    def request(self, turn: RedialTurn) -> RecommendRequest | None:
        """The pipeline request for this turn (None when the agent knows nothing yet)."""
        ledger = self.ledger_for(turn)
        likes = [i for i in dict.fromkeys([*turn.seeker_items, *ledger.liked])
                 if i not in ledger.disliked][-MAX_LIKES:]
        query = ledger.query() or turn.seeker_text() or None
        said = latest_words(m.text for m in turn.context if m.role == "seeker" and m.text)
        constraints = ledger.to_filter()
        if query is None and not likes and constraints is None:
            return None
        return RecommendRequest(
            constraints=constraints, query=query, like_ids=likes,
            context_ids=turn.context_order, learned=self.learned, said=said or None,
            exclude_ids=sorted(set(ledger.excluded_ids()) | turn.context_items), k=CUTOFF,
        )

    def ledger_for(self, turn: RedialTurn) -> Ledger:
        """The ledger after the turn's context (continued from the previous turn when it is
        the same dialogue further on)."""
        if turn.conversation_id != self._conversation or len(turn.context) < self._read:
            self._conversation, self._ledger, self._read, self._turn = (
                turn.conversation_id, self._empty, 0, 0)
        for message in turn.context[self._read:]:
            self._ledger = self._fold(self._ledger, message)
        self._read = len(turn.context)
        return self._ledger

    def _fold(self, ledger: Ledger, message: Message) -> Ledger:
        if message.role == "seeker":
            self._turn += 1
            extraction = self.extractor.extract(message.text, ledger)
            return apply_update(ledger, extraction.update, self._turn)
        shown = list(dict.fromkeys(message.items[r] for r in message.rids if r in message.items))
        if message.role != "recommender" or not shown:
            return ledger
        return ledger.model_copy(update={
            "shown": {**ledger.shown, **dict.fromkeys(shown, self._turn)},
            "last_shown": shown,
        })


def make_ranker(name: str, ctx: ToolContext) -> Ranker:
    makers: dict[str, Callable[[ToolContext], Ranker]] = {
        "popularity": popularity_ranker, "bm25": bm25_ranker, "dense": dense_ranker,
        "co_mention": co_mention_ranker, "contexts": contexts_ranker,
        "suggested": suggested_ranker, "cf": cf_ranker, "ranker": learned_ranker,
        "agent_fusion": lambda c: AgentRanker(c, learned=False), "agent": AgentRanker,
    }
    if name not in makers:
        raise ConvrecError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    return makers[name](ctx)
