"""respond: the reply for the chosen act, streamed; shown films go into the ledger."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from convrec.agent.act import candidate_stats
from convrec.agent.goals.reply import plan_reply
from convrec.agent.goals.types import GoalPlan
from convrec.agent.ledger import Ledger, LedgerUpdate
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


def relax_options(ledger: Ledger, ctx: ToolContext) -> list[tuple[str, int]]:
    """Each hard constraint the user could drop, with how many films that would give."""
    options = []
    for chip, without in _without_each(ledger):
        count = candidate_stats(without, ctx).count
        if count:
            options.append((chip, count))
    options.sort(key=lambda o: -o[1])
    return options


def _without_each(ledger: Ledger) -> list[tuple[str, Ledger]]:
    out: list[tuple[str, Ledger]] = []
    for genre in ledger.genres_include:
        out.append((genre, ledger.model_copy(update={"genres_include": {
            g: t for g, t in ledger.genres_include.items() if g != genre}})))
    for genre in ledger.genres_exclude:
        out.append((f"no {genre}", ledger.model_copy(update={"genres_exclude": {
            g: t for g, t in ledger.genres_exclude.items() if g != genre}})))
    if ledger.year_from or ledger.year_to:
        out.append(("the era", ledger.model_copy(update={"year_from": None, "year_to": None})))
    if ledger.runtime_min or ledger.runtime_max:
        out.append(("the runtime limit", ledger.model_copy(
            update={"runtime_min": None, "runtime_max": None})))
    if ledger.languages:
        out.append(("the language", ledger.model_copy(update={"languages": {}})))
    if ledger.min_rating:
        out.append(("the minimum rating", ledger.model_copy(update={"min_rating": None})))
    for key, pref in ledger.people_include.items():
        out.append((f"with {pref.name}", ledger.model_copy(update={"people_include": {
            k: v for k, v in ledger.people_include.items() if k != key}})))
    for studio in ledger.studios_include:
        out.append((f"by {studio}", ledger.model_copy(update={"studios_include": {
            k: t for k, t in ledger.studios_include.items() if k != studio}})))
    for studio in ledger.studios_exclude:
        out.append((f"not by {studio}", ledger.model_copy(update={"studios_exclude": {
            k: t for k, t in ledger.studios_exclude.items() if k != studio}})))
    for term in ledger.keywords_exclude:
        out.append((f"no {term}", ledger.model_copy(update={"keywords_exclude": {
            k: t for k, t in ledger.keywords_exclude.items() if k != term}})))
    for key, pref in ledger.people_exclude.items():
        out.append((f"no {pref.name}", ledger.model_copy(update={"people_exclude": {
            k: v for k, v in ledger.people_exclude.items() if k != key}})))
    return out


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
