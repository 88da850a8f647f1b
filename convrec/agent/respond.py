"""Respond: the reply text and the recommendation cards, built from the tools' evidence.

Facts come from the catalog and the tools; the LLM only phrases. For the embedded
model that means one short introductory sentence before a list whose lines are
written from evidence, chosen by the model among phrasings filled with the turn's
facts; a capable API model may write the whole reply. Either way the text is
checked (convrec.agent.reply_llm): a reply that names a film that is not among the
verified results, leaves one out, or makes any claim the turn does not ground
(convrec.agent.claims) is not shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from convrec.agent.ledger import Ledger
from convrec.agent.policy import Act
from convrec.agent.reply_llm import TokenSink, llm_full_reply, llm_intro, turn_grounds

# The model-written parts moved to reply_llm; these are still importable from here.
from convrec.agent.reply_llm import full_reply_messages as full_reply_messages
from convrec.agent.reply_llm import grounded as grounded
from convrec.agent.reply_llm import intro_messages as intro_messages
from convrec.agent.reply_names import named_films as named_films
from convrec.agent.reply_names import names_people as names_people
from convrec.agent.understanding import Extraction
from convrec.agent.understanding.lexicon import INJECTION
from convrec.catalog.records import Item, title_year
from convrec.llm.types import Llm
from convrec.tools.base import ScoredItem
from convrec.tools.context import ToolContext

OVERVIEW_CHARS = 240
_DATA_MARKUP = re.compile(r"<\s*/?\s*[a-z!]|\]\s*\(|`", re.I)  # HTML tags, markdown links


class Card(BaseModel):
    """One recommended film as the UI shows it."""

    item_id: int
    title: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    runtime: int | None = None
    directors: list[str] = Field(default_factory=list)
    cast: list[str] = Field(default_factory=list)
    overview: str = ""
    reason: str = ""
    group: str = Field(default="", description="the sub-goal it serves, in a multi-part plan")

    @property
    def label(self) -> str:
        return title_year(self.title, self.year)


class Reply(BaseModel):
    text: str
    cards: list[Card] = Field(default_factory=list)
    source: str = Field(default="template", description="template | llm | llm-intro")
    written: str = Field(default="", description="The model-written text shown (the intro "
                         "sentence or the whole reply); empty for a template reply")
    written_ms: float | None = Field(default=None, description="Time to choose or write it")


# ----------------------------------------------------------------------------- reasons


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _constraint_part(item: Item, ledger: Ledger) -> str:
    genres = [g for g in item.genres if g in ledger.genres_include] or list(item.genres[:1])
    noun = " ".join(g.lower() if g not in ("Film-Noir", "TV Movie") else g for g in genres[:2])
    head = f"a {item.year} {noun}".strip() if item.year else (f"a {noun}" if noun else "")
    head = re.sub(r"^a (?=[aeiou])", "an ", head)
    bits = [head] if head else []
    if item.runtime and (ledger.runtime_max or ledger.runtime_min):
        bits.append(f"{item.runtime} min")
    people = {p.name for p in (*item.directors, *item.cast)}
    for pref in ledger.people_include.values():
        if pref.name in people:
            role = "directed by" if any(p.name == pref.name for p in item.directors) else "with"
            bits.append(f"{role} {pref.name}")
    return ", ".join(bits)


def _evidence_part(evidence: Sequence[str]) -> list[str]:
    ranked: list[tuple[int, str]] = []
    for line in evidence:
        if INJECTION.search(line) or _DATA_MARKUP.search(line):
            continue  # data (a title, a review sentence) carrying an instruction: not quoted
        low = line.lower()
        if "below your" in low or low.startswith("semantic match") or low.startswith("without "):
            continue
        if low.startswith("similar to") or low.startswith("suggested in"):
            rank = 0  # what the ranker itself went by: the training conversations
        elif low.startswith("liked by people who liked"):
            rank = 1
        elif low.startswith("you "):
            rank = 2
            line = line.split(";")[0]
        elif low.startswith("matches"):
            rank = 3
        elif low.startswith("popular with"):
            rank = 4
        else:
            continue
        ranked.append((rank, _trim(line, 140)))
    ranked.sort(key=lambda r: r[0])
    return [text for _, text in ranked[:2]]


def _rating_part(item: Item) -> str:
    if item.vote_count and item.vote_count >= 50 and item.vote_average is not None:
        return f"rated {item.vote_average:.1f}/10 by {item.vote_count:,} TMDB voters"
    if item.rating_count >= 10 and item.rating_mean is not None:
        return f"rated {item.rating_mean:.1f}/5 by {item.rating_count:,} MovieLens users"
    return ""


def reason_for(item: Item, evidence: Sequence[str], ledger: Ledger) -> str:
    why = _evidence_part(evidence) or [_rating_part(item)]
    parts = [p for p in [_constraint_part(item, ledger), *why] if p]
    text = "; ".join(parts) or "a well-liked film that fits what you asked for"
    return text[0].upper() + text[1:]


def make_cards(items: Sequence[ScoredItem], ledger: Ledger, ctx: ToolContext) -> list[Card]:
    facts = {i.item_id: i for i in ctx.catalog.items(s.item_id for s in items)}
    cards = []
    for scored in items:
        item = facts.get(scored.item_id)
        if item is None:
            continue
        cards.append(Card(
            item_id=item.item_id, title=item.title, year=item.year, genres=list(item.genres),
            runtime=item.runtime, directors=[p.name for p in item.directors],
            cast=[p.name for p in item.cast[:4]],
            overview=_trim(item.overview or item.tagline or "", OVERVIEW_CHARS),
            reason=reason_for(item, scored.evidence, ledger),
        ))
    return cards


# ----------------------------------------------------------------------------- replies


def list_lines(cards: Sequence[Card]) -> list[str]:
    return [f"{n}. {title_year(f'**{c.title}**', c.year)} — {c.reason}"
            for n, c in enumerate(cards, start=1)]


def template_header(cards: Sequence[Card], ledger: Ledger, act_note: str | None) -> str:
    chips = ", ".join(ledger.describe()[:6])
    fit = f" ({chips})" if chips else ""  # chips read as a list, not after "for"
    n = len(cards)
    head = f"Here {'is a film' if n == 1 else f'are {n} films'}{fit}:"
    return f"{act_note} {head}" if act_note else head


def recommend_reply(
    cards: list[Card], ledger: Ledger, extraction: Extraction, ctx: ToolContext,
    llm: Llm | None, out: TokenSink, *, prefix: str = "",
) -> Reply:
    """The list from the cards, after a model-written intro or a template header; a capable
    model may write the whole reply. Model text is shown only when the turn grounds every
    claim it makes (convrec.agent.reply_llm)."""
    lines = list_lines(cards)
    header = template_header(cards, ledger, prefix or None)
    if llm is None:
        return Reply(text=header + "\n" + "\n".join(lines), cards=cards)
    grounds = turn_grounds(ledger, cards, extraction.text, ctx)
    if getattr(llm, "capable", False):
        full = llm_full_reply(cards, ledger, grounds, llm, ctx)
        if full is not None:
            out.token(full.text)
            return Reply(text=full.text, cards=cards, source="llm", written=full.text,
                         written_ms=full.ms)
    intro = llm_intro(cards, ledger, grounds, llm, out, ctx, prefix)
    if intro is not None:
        body = "\n".join(lines)
        for line in lines:  # the list as it is laid out, a film at a time
            out.token("\n" + line)
        head = f"{prefix} {intro.text}" if prefix else intro.text
        return Reply(text=f"{head}\n{body}", cards=cards, source="llm-intro",
                     written=intro.text, written_ms=intro.ms)
    return Reply(text=header + "\n" + "\n".join(lines), cards=cards)


ASK_TEMPLATES: dict[str, str] = {
    "ask_genre": "What kind of film are you in the mood for{options}?",
    "ask_era": "Any particular era? Something recent, a 90s classic, or older?",
    "ask_mood": "What mood are you after: light and funny, dark and tense, moving, or "
                "something that makes you think? A theme or a plot idea helps too.",
    "ask_liked_film": "Is there a film you loved recently? I can look for ones like it.",
}

CHITCHAT: dict[str, str] = {
    "greeting": "Hi! Tell me what you feel like watching: a genre, a mood, an era, an actor "
                "or director, or a film you loved.",
    "thanks": "You're welcome! Enjoy the film. Tell me if you want more ideas.",
    "accept": "Great choice, enjoy! Ask me any time for more like it.",
    "bye": "Enjoy your film! Come back any time.",
    "empty": "I didn't catch anything there. What would you like to watch?",
    "unclear": "I'm not sure I understood. You can name a genre, an era, an actor or "
               "director, a mood, or a film you liked.",
}


def ask_reply(act: Act, genre_options: Sequence[str], prefix: str = "") -> Reply:
    template = ASK_TEMPLATES.get(act, ASK_TEMPLATES["ask_mood"])
    options = ""
    if act == "ask_genre" and genre_options:
        options = ": " + ", ".join(genre_options[:-1]) + f" or {genre_options[-1]}"
    text = template.format(options=options)
    return Reply(text=f"{prefix} {text}".strip())


def films(n: int) -> str:
    return f"{n:,} film" if n == 1 else f"{n:,} films"


def relax_reply(options: Sequence[tuple[str, int]], prefix: str = "") -> Reply:
    if not options:
        text = ("Nothing in the catalog matches all of that, and dropping any single "
                "constraint does not help. Say \"start over\" to begin a new search, or take "
                "something out.")
    else:
        best = options[0]
        more = "".join(f"; without '{c}': {n:,}" for c, n in options[1:3])
        text = (f"Nothing in the catalog matches all of that. Shall I relax '{best[0]}'? "
                f"That would give {films(best[1])}{more}.")
    return Reply(text=f"{prefix} {text}".strip())


def answer_reply(kind: str, item: Item | None, written: str | None) -> Reply:
    if item is None:
        return Reply(text=f"I couldn't find \"{written or 'that film'}\" in the catalog. "
                          "Could you check the title, or give its year?")
    label = item.label
    if kind == "director":
        who = ", ".join(p.name for p in item.directors)
        text = f"{label} was directed by {who}." if who else f"I don't know who directed {label}."
    elif kind == "cast":
        who = ", ".join(p.name for p in item.cast[:4])
        text = f"{label} stars {who}." if who else f"I don't have the cast of {label}."
    elif kind == "runtime":
        text = (f"{label} runs {item.runtime} minutes." if item.runtime
                else f"I don't have the runtime of {label}.")
    elif kind == "year":
        text = (f"{item.title} came out in {item.year}." if item.year
                else f"I don't know when {item.title} came out.")
    elif kind == "rating":
        if item.vote_count and item.vote_average is not None:
            text = (f"{label} is rated {item.vote_average:.1f}/10 on TMDB "
                    f"({item.vote_count:,} votes).")
        elif item.rating_count and item.rating_mean is not None:
            text = (f"{label} averages {item.rating_mean:.1f}/5 from {item.rating_count:,} "
                    "MovieLens ratings.")
        else:
            text = f"I have no ratings for {label}."
    else:
        overview = _trim(item.overview or "", 400)
        text = f"{label}: {overview}" if overview else f"I have no plot summary for {label}."
        if kind == "general" and item.directors:
            text += f" Directed by {item.directors[0].name}."
    return Reply(text=text)


def chitchat_reply(user_act: str, prefix: str = "") -> Reply:
    text = CHITCHAT.get(user_act, CHITCHAT["unclear"])
    return Reply(text=f"{prefix} {text}".strip())
