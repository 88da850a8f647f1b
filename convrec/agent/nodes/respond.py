"""respond: the reply for the chosen act, streamed; shown films go into the ledger."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.act import candidate_stats
from convrec.agent.goals.reply import plan_reply
from convrec.agent.goals.types import GoalPlan
from convrec.agent.ledger import Chip, Ledger, LedgerUpdate
from convrec.agent.nodes.common import ledger_of, step, timings_of
from convrec.agent.respond import (
    Card,
    Reply,
    answer_reply,
    ask_reply,
    chitchat_reply,
    films,
    make_cards,
    recommend_reply,
    relax_reply,
)
from convrec.agent.state import HISTORY_TURNS, AgentContext, AgentState
from convrec.agent.understanding import Extraction
from convrec.tools.base import ScoredItem
from convrec.tools.context import ToolContext
from convrec.tools.filters import get_vocab

OUT_OF_STEPS = ("Sorry, I couldn't finish working that out. Could you say it another way, or "
                "narrow it down a little?")


class _Sink:
    def __init__(self, write: Any) -> None:
        self.write = write

    def token(self, text: str) -> None:
        if text:
            self.write({"event": "token", "text": text})

    def reset(self) -> None:
        self.write({"event": "reset"})


def _prefix(state: AgentState, ctx: ToolContext) -> str:
    """Things the user should hear first: unknown titles, how an ambiguous one was read."""
    understood = state.get("understood") or {}
    parts = []
    if understood.get("injection"):
        parts.append("I can only suggest films from the catalog, based on what you tell me "
                     "you like.")
    for written in (understood.get("unresolved_titles") or [])[:3]:
        parts.append(f"I couldn't find \"{written}\" in the catalog, so I left it out.")
    for amb in (understood.get("ambiguous") or [])[:2]:
        item = ctx.catalog.item(amb["item_id"])
        if item is not None:
            parts.append(f"By \"{amb['written']}\" I took {item.label}.")
    parts += [n[0].upper() + n[1:] + "." for n in understood.get("notes") or []]
    asked = understood.get("confirm") or []
    if asked:
        parts.append(f"Did you mean {' or '.join(v.lower() for v in asked)}? Say yes and I'll "
                     "keep to it; for now I only lean that way.")
    return " ".join(parts)


def _genre_options(ledger: Ledger, ctx: ToolContext) -> list[str]:
    vocab = get_vocab(ctx)
    excluded = set(ledger.excluded_ids())
    counts: dict[int, int] = {}
    for item_id, film in vocab.films.items():
        if item_id in excluded or film.votes < 50:
            continue
        for g in film.genre_ids:
            counts[g] = counts.get(g, 0) + 1
    names = {v: k for k, v in vocab.genre_ids.items()}
    ranked = sorted(counts, key=lambda g: -counts[g])
    skip = {"Foreign", "TV Movie", "Film-Noir", *ledger.genres_exclude}
    return [names[g].lower() for g in ranked if names[g] not in skip][:5]


# How the relax reply names a chip that stands for a range or a whole field; any other
# chip is named by its label ("Comedy", "no Horror", "with Tom Hanks", "by Pixar").
_RELAX_WORDS = {"era": "the era", "runtime": "the runtime limit",
                "languages": "the language", "rating": "the minimum rating"}
# Options that give as many films keep this order of chip kinds (the relax reply's since
# it was written), each kind's entries in the order they were said; kinds not listed
# (a constraint added later) come after.
_TIE_ORDER = ("genre", "genres", "no-genre", "era", "runtime", "languages", "rating",
              "person", "studio", "studios", "no-studio", "no-keyword", "no-person")


def relax_options(ledger: Ledger, ctx: ToolContext) -> list[tuple[str, int]]:
    """Each hard constraint the user could drop, with how many films that would give.

    The constraints are the ledger's own chips (each wanted genre and studio on its own),
    dropped the way the user drops a chip (`Ledger.without`); a chip the filter does not
    hold (a wish) is not a constraint to relax.
    """
    constraints = ledger.to_filter()
    options = []
    for chip in sorted(ledger.chips(split_studios=True), key=lambda c: _tie_rank(ledger, c)):
        if not chip.hard:
            continue
        without = ledger.without(chip.key)
        if without.to_filter() == constraints:
            continue
        count = candidate_stats(without, ctx).count
        if count:
            options.append((relax_label(chip), count))
    options.sort(key=lambda o: -o[1])
    return options


def relax_label(chip: Chip) -> str:
    """How the relax reply names the constraint behind `chip`."""
    return _RELAX_WORDS.get(chip.key, chip.label)


def _tie_rank(ledger: Ledger, chip: Chip) -> tuple[int, int]:
    kind = chip.key.partition(":")[0]
    rank = _TIE_ORDER.index(kind) if kind in _TIE_ORDER else len(_TIE_ORDER)
    return rank, ledger.position(chip.key)


def _extraction_view(state: AgentState) -> Extraction:
    understood = state.get("understood") or {}
    return Extraction(text=state.get("message", ""), update=LedgerUpdate(),
                      user_act=understood.get("user_act", "unclear"))


def respond(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    timings = timings_of(state)
    ledger = ledger_of(state)
    turn = state.get("turn", 1)
    act = (state.get("decision") or {}).get("act", "chitchat")
    understood = state.get("understood") or {}
    with step(state, "respond", timings) as write:
        tools = ctx.tools(state.get("user_id"))
        sink = _Sink(write)
        prefix = _prefix(state, tools)
        reply = _reply(state, act, ledger, tools, ctx, sink, prefix, understood)
        if reply.source == "template":
            sink.token(reply.text)
    if reply.written_ms is not None:
        timings["intro" if reply.source == "llm-intro" else "written"] = round(reply.written_ms, 2)
    shown = [c.item_id for c in reply.cards]
    if shown:
        ledger.shown.update(dict.fromkeys(shown, turn))
        ledger.last_shown = shown
    history = [*state.get("history", []), {"role": "user", "text": state.get("message", "")},
               {"role": "assistant", "text": reply.text}][-2 * HISTORY_TURNS:]
    return {
        "ledger": ledger.model_dump(mode="json"),
        "cards": [c.model_dump(mode="json") for c in reply.cards],
        "reply": reply.text,
        "reply_source": reply.source,
        "reply_written": reply.written,
        "history": history,
        "timings_ms": timings,
    }


def _reply(state: AgentState, act: str, ledger: Ledger, tools: ToolContext, ctx: AgentContext,
           sink: _Sink, prefix: str, understood: dict[str, Any]) -> Reply:
    if (state.get("decision") or {}).get("source") == "goals":
        return _plan_reply(state, prefix)
    if act == "recommend":
        if state.get("plan") is None:
            return Reply(text=OUT_OF_STEPS)
        items = [ScoredItem.model_validate(i) for i in state.get("items") or []]
        if not items:
            return _nothing_left(ledger, tools, prefix)
        cards = make_cards(items, ledger, tools)
        return recommend_reply(cards, ledger, _extraction_view(state), tools, ctx.llm, sink,
                               prefix=prefix)
    if act == "answer":
        question = understood.get("question") or {}
        item = None
        if question.get("item_id"):
            if state.get("plan") is None:
                return Reply(text=OUT_OF_STEPS)
            item = tools.catalog.item(int(question["item_id"]))
        return answer_reply(question.get("kind", "general"), item, question.get("title"))
    if act == "ask_relax":
        if understood.get("matching"):
            return _nothing_left(ledger, tools, prefix, understood["matching"])
        return relax_reply(relax_options(ledger, tools), prefix)
    if act.startswith("ask_"):
        return ask_reply(act, _genre_options(ledger, tools), prefix)  # type: ignore[arg-type]
    return chitchat_reply(understood.get("user_act", "unclear"), prefix)


def _plan_reply(state: AgentState, prefix: str) -> Reply:
    """A multi-part plan: the films `compose` chose, grouped under a heading per sub-goal."""
    plan = GoalPlan.model_validate(state.get("goal_plan") or {})
    cards = [Card.model_validate(c) for c in state.get("cards") or []]
    if not cards:
        note = f" {plan.note[0].upper()}{plan.note[1:]}." if plan.note else ""
        return Reply(text=f"{prefix} I couldn't find films in the catalog for that plan."
                          f"{note} Could you loosen one part?".strip())
    return Reply(text=plan_reply(plan, cards, prefix), cards=cards)


def _nothing_left(ledger: Ledger, tools: ToolContext, prefix: str, matching: int = 0
                  ) -> Reply:
    options = relax_options(ledger, tools) if ledger.has_hard_constraints() else []
    fit = f"all {matching:,} films that fit" if matching > 1 else "every film that fits"
    text = (f"You have seen or been shown {fit} what you asked for.")
    if options:
        text += (f" Shall I relax '{options[0][0]}'? That would open up "
                 f"{films(options[0][1])}.")
    return Reply(text=f"{prefix} {text}".strip())
