"""A request's words as a `GoalPlan`: its parts, each with its own constraints, and its shape.

Rules grounded in the catalog, for the embedded default. A request is split where a list
of noun phrases begins again with a determiner ("a cartoon for my nephew and a war drama
for my dad", "something funny, something scary"), and a part is a sub-goal only when the
extractor grounds something in it (a genre, an era, a person, a keyword, a wish): "a funny
and scary film" stays one goal, "I liked Alien and a Clockwork Orange" too. A leading part
with a plural film noun ("two 80s films: a comedy and a thriller") is what every part
shares. A capable LLM may split the words instead (`llm_split`); its parts must use the
user's own words, and each is read by the same extractor, so both give the same `Goal`s.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel, Field

from convrec.agent.goals.cues import ShapeReading, read_shape
from convrec.agent.goals.split import Split, split_parts
from convrec.agent.goals.types import MAX_PLAN_FILMS, Goal, GoalPlan
from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.extractor import MAX_CHARS
from convrec.llm.types import Llm
from convrec.prompts import load_prompt, render_prompt

log = logging.getLogger(__name__)

OPTIONS_PER_GOAL = 3  # films per part when the user did not say how many
SINGLE_DEFAULT = 5
_ASKS = re.compile(
    r"^(?:also\s+|maybe\s+|then\s+|and\s+)?(?:a|an|one|some|something|somthing|another|anything"
    r"|whichever|whatever|any|\d+)\b|\b(?:films?|movies?|flicks?|ones?|stuff|story|stories"
    r"|shows?|cartoons?|documentar(?:y|ies)|thing)\b|\bfor\s+(?:me|us|him|her|them|my|our|the)\b"
    r"|\b(?:want|wants|like|likes|love|loves|adore|adores|prefer|prefers|enjoys?|into|about"
    r"|fancy|fancies|watch|watches)\b", re.I)
_JOINED = re.compile(r"\b(?:and|or|plus|then|while|whereas|but)\b|[,;+&]", re.I)
_PLURAL_FILMS = re.compile(r"\b(?:films|movies|flicks|picks|ones|features)\b", re.I)
_LIKE = re.compile(r"\b(?:like|similar\s+to|in\s+the\s+vein\s+of|along\s+the\s+lines\s+of)\b",
                   re.I)
_LEAD = re.compile(
    r"^(?:and|also|then|plus|or|maybe|(?:can|could)\s+you\s+|please\s+|i\s*(?:'d|would)\s+like"
    r"|i\s+want|i\s+need|we\s+want|we\s+need|give\s+me|get\s+me|find\s+me|show\s+me|recommend"
    r"(?:\s+me)?|suggest|how\s+about|looking\s+for|i'm\s+looking\s+for)\b[\s,]*",
    re.I,
)
_PRONOUNS = {"my": "your", "me": "you", "i": "you", "i'm": "you're", "we": "you", "our": "your",
             "us": "you", "mine": "yours", "myself": "yourself"}


def heading_of(text: str) -> str:
    """The part as a heading in the agent's voice: 'a cartoon for my nephew' ->
    'A cartoon for your nephew'."""
    words = text.strip(" ,.;:!?").split()
    while words and _LEAD.match(" ".join(words)):
        rest = _LEAD.sub("", " ".join(words), count=1).split()
        if rest == words:
            break
        words = rest
    flipped = [_PRONOUNS.get(w.lower(), w) for w in words]
    out = " ".join(flipped)
    return out[:1].upper() + out[1:] if out else "Your pick"


def _hard_key(update: LedgerUpdate) -> str:
    """The hard constraints of a part, as one comparable string ('' when it has none)."""
    return update.model_dump_json(include={
        "genres_include", "year_from", "year_to", "people_include", "languages",
        "studios_include", "keywords_include", "runtime_min", "runtime_max"},
        exclude_defaults=True).strip("{}")


def has_content(update: LedgerUpdate, text: str) -> bool:
    """Whether a part asks for something the catalog can ground."""
    hard = (update.genres_include or update.year_from or update.year_to or update.runtime_min
            or update.runtime_max or update.languages or update.people_include
            or update.keywords_include or update.studios_include or update.min_rating)
    liked = bool(update.liked_ids) and bool(_LIKE.search(text))
    # a wish alone is leftover words: a part only when the words ask for a film
    # ("something that makes us laugh", "kubrick for me"), not "my gran is visiting"
    wish = bool(update.wishes or update.soft) and bool(_ASKS.search(text))
    return bool(hard or liked or wish)


def decompose(message: str, extract: Any, *, turn: int = 0,
              llm: Llm | None = None) -> tuple[GoalPlan | None, str]:
    """(the plan, the words left for the ledger): no plan for a plain single request, nor
    for a message longer than the extractor reads (a story, not a plan; the extractor reads
    its start and says so)."""
    if len(message) > MAX_CHARS:
        return None, message
    said = message
    reading = read_shape(said)
    text = reading.without_cues(said) if reading.spans else said
    rules = split_parts(text, one_each=reading.one_each)
    # a capable model is asked only when the words may hold a list: one call, not every turn
    maybe_list = (len(rules.parts) > 1 or reading.shape.structured() or reading.one_each
                  or bool(_JOINED.search(text)))
    split = llm_split(said, llm) if llm is not None and maybe_list else None
    found = split if split is not None else rules
    if len(found.parts) < 2 and not reading.shape.structured() and not reading.plan_words:
        return None, message  # a plain request: no second reading of it
    shared, parts = found.shared, found.parts
    readings = _merge_modifiers(_inherit([(p, extract(p)) for p in parts]), extract,
                                separate=reading.one_each or (reading.shape.count or 0) > 1)
    goals_words = [(p, u) for p, u in readings if has_content(u, p)]
    if len(goals_words) >= 3 and not shared and _PLURAL_FILMS.search(goals_words[0][0]):
        shared = goals_words[0][0]  # "two 80s films, a comedy and a thriller"
        goals_words = goals_words[1:]
    distinct_updates = {u.model_dump_json() for _, u in goals_words}
    compound = len(goals_words) >= 2 and len(distinct_updates) >= 2
    if compound and found.by_wanter and not (reading.one_each or (reading.shape.count or 0) > 1):
        # "she likes clever plots, I like an ensemble": two tastes for one film, unless they
        # ask for a film each ("one for me and one for her", "one each", "two films")
        compound = False
    if compound and not found.certain:
        # commas alone may restate one want ("a thriller, something tense"): a list only
        # when its parts ask for different hard things ("a comedy, a horror")
        hard = {_hard_key(u) for _, u in goals_words}
        compound = len(hard) >= 2 and all(_hard_key(u) for _, u in goals_words)
    if not compound and not reading.shape.structured() and not reading.plan_words:
        return None, message
    if not compound:
        return _single(reading, text, extract, turn), text
    leftovers = [p for p, u in readings if (p, u) not in goals_words and p != shared]
    shared_text = " ".join([shared, *leftovers]).strip()
    goals = [Goal(index=n, text=p, heading=heading_of(p), update=u, turn=turn)
             for n, (p, u) in enumerate(goals_words)]
    _allocate(goals, reading)
    plan = GoalPlan(goals=goals, shape=reading.shape, source="llm" if split else "rules",
                    shared=extract(shared_text) if shared_text else LedgerUpdate(), turn=turn)
    return plan, shared_text


_ANOTHER = re.compile(r"^(?:and\s+|then\s+|also\s+)?(?:another|one\s+more|the\s+other|a\s+second"
                      r"|(?:a|an|the)\s+(?:[a-z-]+\s+){0,2}one)\b", re.I)
_KIND_FIELDS = ("genres_include", "genre_mode", "keywords_include", "people_include", "languages",
                "studios_include")


def _inherit(readings: list[tuple[str, LedgerUpdate]]) -> list[tuple[str, LedgerUpdate]]:
    """'one sci-fi from the 80s and another from the 2010s': a part that says "another"
    and names no kind of film of its own is the kind the part before it named."""
    out: list[tuple[str, LedgerUpdate]] = []
    for text, update in readings:
        own_kind = any(getattr(update, f) for f in _KIND_FIELDS if f != "genre_mode")
        if out and _ANOTHER.match(text) and not own_kind:
            before = out[-1][1]
            update = update.model_copy(update={f: getattr(before, f) for f in _KIND_FIELDS})
            if not update.wishes:
                update.wishes = list(before.wishes)
        out.append((text, update))
    return out


_OWN_FILM = re.compile(r"^(?:and\s+|also\s+|then\s+)?(?:another|one|1|a\s+second|the\s+other)\b"
                       r"|\bfor\s+(?:me|us|him|her|them|my|our|the)\b", re.I)


def _merge_modifiers(readings: list[tuple[str, LedgerUpdate]], extract: Any, *,
                     separate: bool) -> list[tuple[str, LedgerUpdate]]:
    """'a fantasy movie, something newer from the 2000s': a part that only narrows (an era,
    a length, a rating) and names no kind of film refines the part before it, unless the
    words ask for films apart ("another ...", "one ... and one ...", "for my dad", a count)."""
    out: list[tuple[str, LedgerUpdate]] = []
    for text, update in readings:
        kind = any(getattr(update, f) for f in _KIND_FIELDS if f != "genre_mode") or bool(
            update.wishes or update.liked_ids)
        if out and not kind and not separate and not _OWN_FILM.search(text):
            merged = f"{out[-1][0]}, {text}"
            out[-1] = (merged, extract(merged))
            continue
        out.append((text, update))
    return out


def _single(reading: ShapeReading, text: str, extract: Any, turn: int) -> GoalPlan:
    shape = reading.shape
    update = extract(text) if text else LedgerUpdate()
    slots = shape.count or (3 if shape.per else SINGLE_DEFAULT)
    if shape.count is None and shape.distinct == "decade" and update.year_from and update.year_to:
        # "one comedy from each decade, 60s through to the 2010s": one per decade of the span
        slots = update.year_to // 10 - update.year_from // 10 + 1
    goal = Goal(index=0, text=text or "films", heading=heading_of(text) if text else "Your plan",
                update=update, slots=max(1, min(slots, MAX_PLAN_FILMS)), turn=turn)
    return GoalPlan(goals=[goal], shape=shape, turn=turn)


def _allocate(goals: list[Goal], reading: ShapeReading) -> None:
    """How many films each part gets: the count said, shared out; one each for a shaped plan;
    otherwise a few options each."""
    shape = reading.shape
    n = len(goals)
    if shape.count and shape.count >= n:
        total = min(shape.count, MAX_PLAN_FILMS)
        for i, goal in enumerate(goals):
            goal.slots = total // n + (1 if i < total % n else 0)
        return
    singles = all(re.search(r"\b(?:one|1|a\s+single)\s+(?!of\b|for\b|each\b|more\b)", g.text, re.I)
                  for g in goals)  # "one Tom Hanks film and one Meryl Streep film"
    one = shape.structured() or reading.plan_words or reading.one_each or singles
    each = 1 if one else OPTIONS_PER_GOAL
    each = max(1, min(each, MAX_PLAN_FILMS // n))
    for goal in goals:
        goal.slots = each


# ----------------------------------------------------------------------------- a capable LLM


class PartsChoice(BaseModel):
    """How a capable model splits a request: the user's own words, part by part."""

    shared: str = Field(default="", description="words that apply to every part, verbatim")
    parts: list[str] = Field(default_factory=list,
                             description="each separately wanted film or kind of film, verbatim")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def llm_split(message: str, llm: Llm) -> Split | None:
    """A capable model's split, kept only when every part is made of the user's words."""
    if not getattr(llm, "capable", False):
        return None
    messages = [{"role": "system", "content": load_prompt("goals_system")},
                {"role": "user", "content": render_prompt("goals_user", message=message)}]
    try:
        choice = llm.structured(messages, PartsChoice, max_tokens=200)
    except Exception as exc:  # any backend failure: the rules decide
        log.warning("goal split by the LLM failed (%s); using the rules", exc)
        return None
    said = _words(message)
    parts = [p for p in choice.parts if p.strip()]
    if len(parts) < 2 or any(not _words(p) <= said for p in [*parts, choice.shared]):
        return None  # a paraphrase could smuggle in wants the user never said
    return Split(choice.shared, parts, True)
