"""ReDial recommendation benchmark: from the dialogue so far, rank the whole catalog and see
whether the films the human recommender suggested next come out on top.

Protocol (`run_redial_bench`; `convrec eval redial` calls it and writes docs/BENCHMARKS.md):

* Dialogues: the ReDial dialogues of one split (default "test") in the catalog, in
  (conversation_id, position) order, read with `bench_retrieval.load_dialogues`: every @id
  replaced by the film's catalog title in double quotes (the quotes keep the @id's "this is
  a film" mark for the agent's extractor; BM25 ignores them).
* Turns: every recommender message that mentions a film (an @id in its text). Its context is
  every message before it, both roles.
* Targets and coverage: a mention is a target only when it resolves to a catalog item with
  real metadata (items.source != 'redial'); ReDial-only films are stub items with a title and
  nothing else. Coverage is the share of target mentions (distinct @ids per message) that
  resolve; every figure is computed over the resolved targets only.
* Two variants, both reported (the distinction drawn by He et al. 2023, "Large Language
  Models as Zero-Shot Conversational Recommenders"):
  - raw: the ranking is over the whole catalog; the targets are every film the message
    mentions, films mentioned earlier in the dialogue included. A turn with no resolved
    target is skipped and counted.
  - mentioned removed: every film mentioned in the context (either role, stubs included) is
    removed from the ranking and from the targets; a turn left with no target is skipped
    and counted.
* Systems, each ranking the whole catalog (13.5k items, stubs included) per turn:
  - popularity: one fixed order, MovieLens rating count, then TMDB popularity, then item id.
  - bm25: the BM25 index's scorer on the context text (both roles, titles substituted).
  - dense: MiniLM on the same text, exactly over the item matrix; the query vector is the
    text's embedding plus the mean vector of the films the seeker mentioned so far, as the
    dense tool combines a query and like_ids. MiniLM reads 256 word pieces, so the text is
    cut to its last 180 words (the latest turns).
  - agent: convrec's own understanding and recommendation: the rule-based extractor reads
    the seeker's messages in order into the constraint ledger (films the recommender
    mentioned count as shown); then the tools' pipeline (`recommend`, its defaults: pool 100,
    MMR diversity 0.7) returns k=50 with the ledger's hard constraints as the filter, its
    wishes as the query (the seeker's text when it has none) and the films the seeker
    mentioned or liked (not disliked; the latest 20) as like_ids. Like the agent in a chat,
    it never recommends a film mentioned before, so in the raw variant it cannot find a
    repeated target. An empty ranking (counted) is a turn where the ledger holds nothing
    yet, or where no film meets all its hard constraints (in a chat the agent would ask
    which one to relax).
* Metrics: Recall@1, @10 and @50 with ranx (Qrels / Run / evaluate) over the top 50 of
  each ranking, averaged over turns (every turn counts once, a target counts once however
  often it is mentioned). The published figures beside ours rank their own catalogs (and
  KBRD's and UniCRS's CRSLab-style evaluation counts each (turn, target) pair once): they
  are context, not a like-for-like comparison.

`limit` evaluates only the first `limit` turns with a resolved target (for quick checks and
tests); the counts then describe that prefix.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.eval.bench_retrieval import Message, load_dialogues, recall_at
from convrec.eval.report import load_average
from convrec.tools.context import ToolContext

if TYPE_CHECKING:
    from convrec.agent.ledger import Ledger
    from convrec.tools.pipeline import RecommendRequest

Progress = Callable[[str, int, int | None], None]
Rankings = dict[str, list[int]]  # turn id -> item ids, best first
Ranker = Callable[[Sequence["RedialTurn"], Progress | None], Rankings]

SYSTEMS: tuple[str, ...] = ("popularity", "bm25", "dense", "agent")
VARIANTS: tuple[str, ...] = ("raw", "mentioned_removed")
KS: tuple[int, ...] = (1, 10, 50)
CUTOFF = 50  # the length of the ranking evaluated
DENSE_WORDS = 180  # MiniLM reads 256 word pieces: keep the latest words
MAX_LIKES = 20  # the dense tool takes at most 20 example films
BATCH = 256  # query vectors ranked per matrix product


@dataclass(frozen=True)
class Published:
    """A published ReDial figure, shown beside ours (other catalogs, other code)."""

    system: str
    variant: str
    recall: dict[int, float]  # k -> Recall@k
    source: str


PUBLISHED: tuple[Published, ...] = (
    Published(
        "KBRD", "raw", {1: 0.028, 10: 0.169, 50: 0.366},
        "RUCAIBox/iEvaLM-CRS README, results table, ReDial, 'Original' column (Wang et al. "
        "2023, Rethinking the Evaluation for Conversational Recommendation in the Era of "
        "Large Language Models)",
    ),
    Published(
        "UniCRS", "raw", {1: 0.050, 10: 0.215, 50: 0.413},
        "RUCAIBox/iEvaLM-CRS README, results table, ReDial, 'Original' column",
    ),
    Published(
        "GPT-4 zero-shot", "raw", {1: 0.045, 10: 0.194},
        "AaronHeee/LLMs-as-Zero-Shot-Conversational-RecSys, src/gpt-4/general/intermediate/"
        "redial/filtered_False_exclude_seen_False/summary.csv, row 'all' (He et al. 2023)",
    ),
    Published(
        "GPT-4 zero-shot", "mentioned_removed", {1: 0.042, 10: 0.176},
        "AaronHeee/LLMs-as-Zero-Shot-Conversational-RecSys, src/gpt-4/general/intermediate/"
        "redial/filtered_False_exclude_seen_True/summary.csv, row 'all' (He et al. 2023)",
    ),
)


# ----------------------------------------------------------------------------- turns


@dataclass
class RedialTurn:
    """One recommender message that mentions a film, with what came before it."""

    turn_id: str  # "conversation_id:position"
    conversation_id: str
    context: list[Message]  # every earlier message, both roles
    targets: set[int]  # raw: the resolved films the message mentions
    context_items: set[int]  # every film mentioned before (either role, stubs included)
    seeker_items: list[int]  # films the seeker mentioned before, first mention first

    @property
    def new_targets(self) -> set[int]:
        """The mentioned-removed targets."""
        return self.targets - self.context_items

    @property
    def depth(self) -> int:
        """How long a ranking must be to keep CUTOFF films once the context's are removed."""
        return CUTOFF + len(self.context_items)

    def text(self) -> str:
        return " ".join(m.text for m in self.context if m.text)

    def seeker_text(self) -> str:
        return " ".join(m.text for m in self.context if m.text and m.role == "seeker")


@dataclass
class RedialStats:
    dialogues: int = 0
    recommender_turns_with_mentions: int = 0
    skipped_no_resolved_target: int = 0
    skipped_all_mentioned_before: int = 0  # evaluated raw, nothing left once removed
    empty_context: int = 0  # evaluated turns with no earlier message
    target_mentions: int = 0
    resolved_target_mentions: int = 0
    new_target_mentions: int = 0  # @ids not mentioned before in the dialogue
    resolved_new_target_mentions: int = 0

    def coverage(self) -> dict[str, float | None]:
        return {
            "raw": _share(self.resolved_target_mentions, self.target_mentions),
            "mentioned_removed": _share(self.resolved_new_target_mentions,
                                        self.new_target_mentions),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def real_items(catalog: Catalog) -> set[int]:
    """Items with real metadata: every item but the ReDial-only stubs."""
    return {r[0] for r in catalog.query("SELECT item_id FROM items WHERE source != 'redial'")}


def load_redial_turns(
    catalog: Catalog, split: str, limit: int | None = None
) -> tuple[list[RedialTurn], RedialStats]:
    """The benchmark turns of a split (see the module docstring), with counts."""
    real = real_items(catalog)
    dialogues = load_dialogues(catalog, split, quote_titles=True)
    stats = RedialStats()
    turns: list[RedialTurn] = []
    for dialogue in dialogues:
        if limit is not None and len(turns) >= limit:
            break
        stats.dialogues += 1
        seen_rids: set[int] = set()
        seen_items: set[int] = set()
        seeker_items: list[int] = []
        for n, message in enumerate(dialogue.messages):
            if limit is not None and len(turns) >= limit:
                break
            if message.role == "recommender" and message.rids:
                turn = _turn(dialogue.conversation_id, dialogue.messages[:n], message, real,
                             seen_rids, seen_items, seeker_items, stats)
                if turn is not None:
                    turns.append(turn)
            found = [message.items[r] for r in message.rids if r in message.items]
            if message.role == "seeker":
                seeker_items += [i for i in dict.fromkeys(found) if i not in seeker_items]
            seen_rids.update(message.rids)
            seen_items.update(found)
    return turns, stats


def _turn(conversation_id: str, context: list[Message], message: Message, real: set[int],
          seen_rids: set[int], seen_items: set[int], seeker_items: list[int],
          stats: RedialStats) -> RedialTurn | None:
    """The turn a recommender message makes (None when it has no resolved target), counted."""
    stats.recommender_turns_with_mentions += 1
    rids = list(dict.fromkeys(message.rids))
    resolved = {r: message.items[r] for r in rids if message.items.get(r) in real}
    new = [r for r in rids if r not in seen_rids and message.items.get(r) not in seen_items]
    stats.target_mentions += len(rids)
    stats.resolved_target_mentions += len(resolved)
    stats.new_target_mentions += len(new)
    stats.resolved_new_target_mentions += sum(r in resolved for r in new)
    if not resolved:
        stats.skipped_no_resolved_target += 1
        return None
    turn = RedialTurn(f"{conversation_id}:{message.position}", conversation_id, context,
                      set(resolved.values()), set(seen_items), list(seeker_items))
    if not turn.new_targets:
        stats.skipped_all_mentioned_before += 1
    if not context:
        stats.empty_context += 1
    return turn


# ----------------------------------------------------------------------------- metrics


def variant_qrels_and_run(
    turns: Sequence[RedialTurn], rankings: Rankings, variant: str
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """Qrels and run of one variant as ranx dicts: the turns that keep a target, the top
    CUTOFF of each ranking (for 'mentioned_removed', after removing the context's films)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for turn in turns:
        ranking = rankings.get(turn.turn_id, [])
        targets = turn.targets
        if variant == "mentioned_removed":
            targets = turn.new_targets
            ranking = [i for i in ranking if i not in turn.context_items]
        if not targets:
            continue
        qrels[turn.turn_id] = {str(i): 1 for i in targets}
        top = list(dict.fromkeys(ranking))[:CUTOFF]
        run[turn.turn_id] = {str(i): float(CUTOFF - rank) for rank, i in enumerate(top)}
    return qrels, run


def evaluate_rankings(
    turns: Sequence[RedialTurn], rankings: Rankings, ks: Sequence[int] = KS
) -> dict[str, dict[str, float] | None]:
    """Recall@k of one system's rankings in each variant (None: no turn to evaluate)."""
    from ranx import Qrels, Run

    results: dict[str, dict[str, float] | None] = {}
    for variant in VARIANTS:
        qrels, run = variant_qrels_and_run(turns, rankings, variant)
        # ranx cannot build a run from empty rankings: leave them out (make_comparable
        # scores a missing turn 0), and a run with none left finds nothing
        run = {turn_id: ranked for turn_id, ranked in run.items() if ranked}
        if not qrels:
            results[variant] = None
        elif not run:
            results[variant] = {f"recall@{k}": 0.0 for k in ks}
        else:
            results[variant] = recall_at(Qrels(qrels), Run(run), ks)
    return results


# ----------------------------------------------------------------------------- systems


def popularity_ranker(ctx: ToolContext) -> Ranker:
    """Everyone gets the same films: MovieLens rating count, then TMDB popularity."""
    order = [r[0] for r in ctx.catalog.query(
        "SELECT item_id FROM items "
        "ORDER BY rating_count DESC, COALESCE(popularity, 0) DESC, item_id")]

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        return {t.turn_id: order[:t.depth] for t in _counted(turns, "popularity", progress)}

    return rank


def bm25_ranker(ctx: ToolContext) -> Ranker:
    """BM25 on the context text (both roles, titles substituted)."""
    from convrec.tools.bm25 import load_bm25

    index = load_bm25(ctx)

    def rank(turns: Sequence[RedialTurn], progress: Progress | None) -> Rankings:
        return {
            t.turn_id: [h.item_id for h in index.search(t.text(), t.depth, evidence=False)]
            for t in _counted(turns, "bm25", progress)
        }

    return rank


def dense_ranker(ctx: ToolContext) -> Ranker:
    """MiniLM on the latest words of the context plus the seeker's example films, ranked
    exactly over the item matrix."""
    from convrec.tools.dense import QUERY_BATCH_MAX, _search_vector, load_dense

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
                    _search_vector(index, encoded.get(x), t.seeker_items[-MAX_LIKES:])
                    for t, x in usable])
                depth = max(t.depth for t, _ in usable)
                ids, _ = index.search_all_exact(vectors, depth)
                for (turn, _), row in zip(usable, ids, strict=True):
                    rankings[turn.turn_id] = row[:turn.depth].tolist()
            if progress is not None:
                progress("dense: ranking", start + len(batch), len(turns))
        return rankings

    return rank


class AgentRanker:
    """convrec's understanding and recommendation pipeline, turn by turn.

    The ledger is folded forward message by message within a dialogue (as the agent's
    understand node does), so consecutive turns of one dialogue read each message once.
    """

    def __init__(self, ctx: ToolContext) -> None:
        from convrec.agent.ledger import Ledger
        from convrec.agent.understanding import get_extractor

        self.ctx = ctx
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
        return {t.turn_id: self.rank(t) for t in _counted(turns, "agent", progress)}

    def rank(self, turn: RedialTurn) -> list[int]:
        from convrec.tools.base import ToolArgumentError
        from convrec.tools.pipeline import recommend

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
        from convrec.tools.pipeline import RecommendRequest

        ledger = self.ledger_for(turn)
        likes = [i for i in dict.fromkeys([*turn.seeker_items, *ledger.liked])
                 if i not in ledger.disliked][-MAX_LIKES:]
        query = ledger.query() or turn.seeker_text() or None
        constraints = ledger.to_filter()
        if query is None and not likes and constraints is None:
            return None
        return RecommendRequest(
            constraints=constraints, query=query, like_ids=likes,
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
        from convrec.agent.ledger_apply import apply_update

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


def _counted(turns: Sequence[RedialTurn], name: str, progress: Progress | None
             ) -> Iterable[RedialTurn]:
    """The turns, reporting progress every 50."""
    for n, turn in enumerate(turns, 1):
        yield turn
        if progress is not None and (n % 50 == 0 or n == len(turns)):
            progress(f"{name}: ranking", n, len(turns))


def make_ranker(name: str, ctx: ToolContext) -> Ranker:
    makers: dict[str, Callable[[ToolContext], Ranker]] = {
        "popularity": popularity_ranker, "bm25": bm25_ranker, "dense": dense_ranker,
        "agent": AgentRanker,
    }
    if name not in makers:
        raise ConvrecError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    return makers[name](ctx)


def parse_systems(text: str) -> list[str]:
    """'bm25, agent' -> ['bm25', 'agent'] (in the order given); a bad name is an error."""
    names = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not names:
        raise ConvrecError(f"no system given; choose from {', '.join(SYSTEMS)}")
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise ConvrecError(
            f"unknown system {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    return names


# ----------------------------------------------------------------------------- the run


def run_redial_bench(
    ctx: ToolContext,
    *,
    split: str = "test",
    systems: Sequence[str] = SYSTEMS,
    limit: int | None = None,
    progress: Progress | None = None,
    rankers: dict[str, Ranker] | None = None,
) -> dict[str, Any]:
    """Run the benchmark (protocol in the module docstring) and return its figures.

    `rankers` replaces the named systems (tests pass a fake one).
    """
    if limit is not None and limit < 1:
        raise ConvrecError(f"limit must be at least 1 (got {limit})")
    load_before = load_average()
    started = time.perf_counter()
    turns, stats = load_redial_turns(ctx.catalog, split, limit)
    if not turns:
        raise ConvrecError(f"no ReDial {split!r} turn to evaluate in the catalog")
    chosen = rankers or {name: make_ranker(name, ctx) for name in systems}
    results: dict[str, dict[str, dict[str, float] | None]] = {v: {} for v in VARIANTS}
    seconds: dict[str, float] = {"load_turns": time.perf_counter() - started}
    notes: dict[str, Any] = {}
    for name, ranker in chosen.items():
        t0 = time.perf_counter()
        rankings = ranker(turns, progress)
        seconds[name] = time.perf_counter() - t0
        for variant, figures in evaluate_rankings(turns, rankings).items():
            results[variant][name] = figures
        if isinstance(ranker, AgentRanker):
            notes[name] = {**ranker.empty, "tool_errors": len(ranker.errors),
                           "first_errors": ranker.errors[:3]}
    seconds["total"] = time.perf_counter() - started
    return {
        "benchmark": "redial-recommendation",
        "split": split,
        "limit": limit,
        "ks": list(KS),
        "cutoff": CUTOFF,
        "systems": list(chosen),
        "turns": {"raw": len(turns), "mentioned_removed": sum(bool(t.new_targets) for t in turns)},
        "stats": asdict(stats),
        "coverage": stats.coverage(),
        "results": results,
        "notes": notes,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "load_average": [load_before, load_average()],
    }


# ----------------------------------------------------------------------------- report


def redial_markdown(report: dict[str, Any], command: str, machine: str) -> str:
    """The benchmarks-doc section: command, machine, protocol, one table per variant."""
    from convrec.eval.report import markdown_table

    protocol = (__doc__ or "").split("Protocol", 1)[-1].rstrip()
    headers = ["system", *[f"Recall@{k}" for k in KS], "seconds"]
    parts = [
        "## ReDial recommendation benchmark",
        f"Command: `{command}`  \nMachine: {machine}",
        "Protocol" + protocol,
    ]
    titles = {"raw": "Raw (repeated films count)",
              "mentioned_removed": "Mentioned films removed (from rankings and targets)"}
    for variant in VARIANTS:
        rows = [[name, *_cells(figures), f"{report['seconds'].get(name, 0):.1f}"]
                for name, figures in report["results"][variant].items()]
        rows += [[f"{p.system} (published)", *[_number(p.recall.get(k)) for k in KS], "-"]
                 for p in PUBLISHED if p.variant == variant]
        turns = report["turns"][variant]
        coverage = report["coverage"][variant]
        parts += [f"### {titles[variant]}: {turns:,} turns, coverage {_number(coverage)}",
                  markdown_table(headers, rows)]
    parts.append(_facts(report))
    parts.append("Published rows (other catalogs, see the protocol): " + "; ".join(
        f"{p.system} {p.variant.replace('_', ' ')}: {p.source}" for p in PUBLISHED) + ".")
    return "\n\n".join(parts)


def _cells(figures: dict[str, float] | None) -> list[str]:
    return [_number(None if figures is None else figures.get(f"recall@{k}")) for k in KS]


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4f}"


def _facts(report: dict[str, Any]) -> str:
    stats = report["stats"]
    facts = [f"{k.replace('_', ' ')}: {v:,}" for k, v in stats.items()]
    for name, note in report["notes"].items():
        facts.append(f"{name} empty rankings: {note['nothing_known']} with nothing known yet, "
                     f"{note['no_film_meets_constraints']} with no film meeting every hard "
                     f"constraint, {note['other_empty']} other; "
                     f"{name} tool errors: {note['tool_errors']}")
    loads = " / ".join("?" if x is None else f"{x:.2f}" for x in report["load_average"])
    facts.append(f"total run time: {report['seconds']['total']:.0f} s (1-minute load average "
                 f"before / after: {loads})")
    return "Counts (split " + f"{report['split']}): " + ", ".join(facts) + "."

