"""Respond: the reply text and the recommendation cards, built from the tools' evidence.

Facts come from the catalog and the tools; the LLM only phrases. For the embedded
model that means one short introductory sentence before a list whose lines are
written from evidence; a capable API model may write the whole reply. Either way
the text is checked: a reply that names a film that is not among the verified
results, or leaves one out, is replaced by the template reply.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field

from convrec.agent.ledger import Ledger
from convrec.agent.policy import Act
from convrec.agent.reply_names import named_films, names_people
from convrec.agent.understanding import Extraction
from convrec.catalog.records import Item
from convrec.prompts import load_prompt, load_prompt_data, render_prompt
from convrec.tools.base import ScoredItem
from convrec.tools.context import ToolContext
from convrec.tools.lookup import title_key

log = logging.getLogger(__name__)


class TokenSink(Protocol):
    """Where streamed reply text goes (the graph's stream writer)."""

    def token(self, text: str) -> None: ...

    def reset(self) -> None:
        """Forget what was streamed: the final reply replaces it."""


OVERVIEW_CHARS = 240
INTRO_TOKENS = 40


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
        return f"{self.title} ({self.year})" if self.year else self.title


class Reply(BaseModel):
    text: str
    cards: list[Card] = Field(default_factory=list)
    source: str = Field(default="template", description="template | llm | llm-intro")


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


# ----------------------------------------------------------------------------- grounding


def grounded(text: str, cards: Sequence[Card], ctx: ToolContext, *, must_name: bool) -> bool:
    """True when the text names no film beyond `cards` and the films their reasons cite
    (and, if must_name, every card)."""
    allowed = {title_key(c.title) for c in cards}
    allowed |= named_films(" ".join(c.reason for c in cards), ctx)
    allowed_words = {w for key in allowed for w in key.split()}
    named = named_films(text, ctx)
    stray = {k for k in named if k not in allowed and not set(k.split()) <= allowed_words}
    if stray:
        log.info("reply names films that were not verified: %s", sorted(stray)[:5])
        return False
    if must_name:
        low = text.casefold()
        return all(c.title.casefold() in low for c in cards)
    return True


# ----------------------------------------------------------------------------- replies


def list_lines(cards: Sequence[Card]) -> list[str]:
    return [f"{n}. **{c.title}**{f' ({c.year})' if c.year else ''} — {c.reason}"
            for n, c in enumerate(cards, start=1)]


def template_header(cards: Sequence[Card], ledger: Ledger, act_note: str | None) -> str:
    chips = ", ".join(ledger.describe()[:6])
    fit = f" ({chips})" if chips else ""  # chips read as a list, not after "for"
    n = len(cards)
    head = f"Here {'is a film' if n == 1 else f'are {n} films'}{fit}:"
    return f"{act_note} {head}" if act_note else head


def recommend_reply(
    cards: list[Card], ledger: Ledger, extraction: Extraction, ctx: ToolContext,
    llm: Any | None, out: TokenSink, *, prefix: str = "",
) -> Reply:
    lines = list_lines(cards)
    header = template_header(cards, ledger, prefix or None)
    if llm is not None and getattr(llm, "capable", False):
        text = _llm_full_reply(cards, ledger, extraction, llm)
        if text and grounded(text, cards, ctx, must_name=True):
            out.token(text)
            return Reply(text=text, cards=cards, source="llm")
    if llm is not None:
        intro = _llm_intro(ledger, extraction, llm, out, ctx, prefix)
        if intro is not None:
            body = "\n".join(lines)
            out.token("\n" + body)
            return Reply(text=f"{intro}\n{body}", cards=cards, source="llm-intro")
    return Reply(text=header + "\n" + "\n".join(lines), cards=cards)


_FORBIDDEN_IN_INTRO = re.compile(r"[\"“”*#\[\]<>]|https?:|\bsorry\b|\bI can't\b", re.I)


def intro_messages(want: str) -> list[dict[str, str]]:
    """The chat whose reply is the intro sentence: the rules, a few examples
    (prompts/intro_shots.json) and what the user wants, as chips."""
    messages = [{"role": "system", "content": load_prompt("intro_system")}]
    for shot in load_prompt_data("intro_shots"):
        messages += [{"role": "user", "content": render_prompt("intro_user", want=shot["want"])},
                     {"role": "assistant", "content": shot["intro"]}]
    messages.append({"role": "user", "content": render_prompt("intro_user", want=want)})
    return messages


def full_reply_messages(wants: str, facts: str) -> list[dict[str, str]]:
    """The chat whose reply is a whole recommendation, from the films' `facts` (one line each)."""
    return [{"role": "system", "content": load_prompt("reply_system")},
            {"role": "user", "content": render_prompt("reply_user", wants=wants, facts=facts)}]


def _llm_intro(ledger: Ledger, extraction: Extraction, llm: Any, out: TokenSink,
               ctx: ToolContext, prefix: str) -> str | None:
    """One streamed sentence; None (nothing emitted) if it fails or names a film."""
    messages = intro_messages(", ".join(ledger.describe()[:6]) or "anything good")
    pieces: list[str] = []
    emitted = False
    try:
        if prefix:
            out.token(prefix + " ")
            emitted = True
        for delta in llm.stream(messages, max_tokens=INTRO_TOKENS, stop=["\n"]):
            pieces.append(delta)
            out.token(delta)
            emitted = True
            if re.search(r"[.!?:]\s*$", "".join(pieces)) and len("".join(pieces)) > 30:
                break
    except Exception as exc:
        log.warning("intro generation failed: %s", exc)
        if emitted:
            out.reset()
        return None
    intro = " ".join("".join(pieces).split())
    if (len(intro.split()) < 3 or len(intro) > 160 or _FORBIDDEN_IN_INTRO.search(intro)
            or names_people(intro, ctx) or not grounded(intro, [], ctx, must_name=False)):
        out.reset()
        return None
    return f"{prefix} {intro}".strip() if prefix else intro


def _llm_full_reply(cards: list[Card], ledger: Ledger, extraction: Extraction, llm: Any
                    ) -> str | None:
    facts = "\n".join(f"- {c.label}: {c.reason}" for c in cards)
    messages = full_reply_messages(", ".join(ledger.describe()) or "a good film", facts)
    try:
        return llm.complete(messages, max_tokens=80 + 60 * len(cards)).strip() or None
    except Exception as exc:
        log.warning("reply generation failed: %s", exc)
        return None


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
