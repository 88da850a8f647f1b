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
  - co_mention: the learned ranker's co-mention generator alone (`tools/ranking/signals.py`):
    what recommenders of the training dialogues suggested after the films mentioned so far
    (either role), each film's counts over the square root of its total; films never
    co-mentioned follow by how often recommenders suggest them.
  - contexts: the learned ranker's dialogue-contexts generator alone
    (`tools/ranking/contexts.py`): the 50 training turns whose seeker's latest words are
    closest (MiniLM cosine) to this seeker's latest 40 words vote, by similarity, for the
    films suggested there; the suggestion count fills up.
  - suggested: one fixed order, how often recommenders of the training dialogues suggested
    each film (the ranker's prior generator).
  - cf: the shipped CF model from the films the seeker mentioned so far (every film
    mentioned, when the seeker named none); popularity fills up.
  - ranker: the learned ranker alone, outside the pipeline (no constraints, no MMR), as it
    was trained: its generators and features from every film mentioned so far, the films
    the seeker mentioned as liked, and the seeker's latest 40 words; the suggestion count
    fills up.
  - agent: convrec's own understanding and recommendation: the rule-based extractor reads
    the seeker's messages in order into the constraint ledger (films the recommender
    mentioned count as shown); then the tools' pipeline (`recommend`, its defaults: pool
    100, MMR diversity 0.7 over the first 10, relevance order after) returns k=50 with the
    ledger's hard constraints as the filter, its wishes as the query (the seeker's text
    when it has none), the films the seeker mentioned or liked (not disliked; the latest
    20) as like_ids, every film mentioned so far as context_ids and the seeker's latest 40
    words as what the user said; the learned ranker orders the candidates. Like the
    agent in a chat, it never recommends a film mentioned before, so in the raw variant it
    cannot find a repeated target. An empty ranking (counted) is a turn where the ledger
    holds nothing yet, or where no film meets all its hard constraints (in a chat the agent
    would ask which one to relax).
  - agent_fusion: the same pipeline without the learned ranker (`learned=False`):
    reciprocal-rank fusion of its retrievers, the ranking before issue 17.
* Training data: the learned ranker and the co-mention signals come from the training-split
  dialogues only (`tools/ranking/dialogues.py` reads split 'train'; a test checks that no
  test dialogue reaches them).
* Metrics: Recall@1, @10 and @50 with ranx (Qrels / Run / evaluate) over the top 50 of
  each ranking, averaged over turns (every turn counts once, a target counts once however
  often it is mentioned). The published figures beside ours rank their own catalogs (and
  KBRD's and UniCRS's CRSLab-style evaluation counts each (turn, target) pair once): they
  are context, not a like-for-like comparison.

`limit` evaluates only the first `limit` turns with a resolved target (for quick checks and
tests); the counts then describe that prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.eval.bench_retrieval import Message, load_dialogues, recall_at
from convrec.progress import Progress

if TYPE_CHECKING:
    pass

Rankings = dict[str, list[int]]  # turn id -> item ids, best first
Ranker = Callable[[Sequence["RedialTurn"], Progress | None], Rankings]

SYSTEMS: tuple[str, ...] = ("popularity", "suggested", "bm25", "dense", "co_mention",
                            "contexts", "cf", "ranker", "agent_fusion",
                            "agent")
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
    context_order: list[int] = field(default_factory=list)  # context_items, in mention order

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
        seen_order: list[int] = []
        seeker_items: list[int] = []
        for n, message in enumerate(dialogue.messages):
            if limit is not None and len(turns) >= limit:
                break
            if message.role == "recommender" and message.rids:
                turn = _turn(dialogue.conversation_id, dialogue.messages[:n], message, real,
                             seen_rids, seen_order, seeker_items, stats)
                if turn is not None:
                    turns.append(turn)
            found = [message.items[r] for r in message.rids if r in message.items]
            if message.role == "seeker":
                seeker_items += [i for i in dict.fromkeys(found) if i not in seeker_items]
            seen_rids.update(message.rids)
            seen_order += [i for i in dict.fromkeys(found) if i not in seen_items]
            seen_items.update(found)
    return turns, stats


def _turn(conversation_id: str, context: list[Message], message: Message, real: set[int],
          seen_rids: set[int], seen_order: list[int], seeker_items: list[int],
          stats: RedialStats) -> RedialTurn | None:
    """The turn a recommender message makes (None when it has no resolved target), counted."""
    stats.recommender_turns_with_mentions += 1
    rids = list(dict.fromkeys(message.rids))
    resolved = {r: message.items[r] for r in rids if message.items.get(r) in real}
    seen_items = set(seen_order)
    new = [r for r in rids if r not in seen_rids and message.items.get(r) not in seen_items]
    stats.target_mentions += len(rids)
    stats.resolved_target_mentions += len(resolved)
    stats.new_target_mentions += len(new)
    stats.resolved_new_target_mentions += sum(r in resolved for r in new)
    if not resolved:
        stats.skipped_no_resolved_target += 1
        return None
    turn = RedialTurn(f"{conversation_id}:{message.position}", conversation_id, context,
                      set(resolved.values()), set(seen_items), list(seeker_items),
                      list(seen_order))
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
    from ranx import Qrels, Run  # deferred: ranx takes ~10 s to import (numba)

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
