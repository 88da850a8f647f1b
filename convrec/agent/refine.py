"""An LLM reading of the user's turn, added to the deterministic extraction.

Only for capable backends (an API model, or a local model configured above the
135M default). The LLM returns names, never ids: every genre, person, title and
language it gives is resolved against the catalog's vocabularies, and what does
not resolve is dropped. The deterministic reading wins where the two disagree.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding import Extraction, get_extractor
from convrec.agent.understanding.vocab import get_agent_vocab
from convrec.catalog.normalize import person_key
from convrec.llm.types import Llm
from convrec.prompts import load_prompt
from convrec.tools.base import ToolArgumentError
from convrec.tools.context import ToolContext
from convrec.tools.filters import PersonRef, resolve_genre, resolve_language

log = logging.getLogger(__name__)

_SKIP_ACTS = ("empty", "greeting", "thanks", "bye", "accept", "question", "more")


class LlmReading(BaseModel):
    """What the user's message says they want (leave out what it does not say)."""

    genres: list[str] = Field(default_factory=list, description="Genres they want")
    not_genres: list[str] = Field(default_factory=list, description="Genres they refuse")
    people: list[str] = Field(default_factory=list, description="Actors or directors they want")
    not_people: list[str] = Field(default_factory=list, description="People they refuse")
    liked_titles: list[str] = Field(default_factory=list, description="Films they liked")
    disliked_titles: list[str] = Field(default_factory=list, description="Films they disliked")
    seen_titles: list[str] = Field(default_factory=list, description="Films they have seen")
    year_from: int | None = Field(default=None, ge=1870, le=2100)
    year_to: int | None = Field(default=None, ge=1870, le=2100)
    runtime_max: int | None = Field(default=None, ge=20, le=600, description="Minutes")
    languages: list[str] = Field(default_factory=list, description="Original languages")
    mood: str | None = Field(default=None, description="Mood, themes or plot, in a few words")


# LlmReading field -> the LedgerUpdate field its resolved values go to (`resolve`); the
# constraint fields' source is FilterArgs (see convrec.agent.ledger_fields).
READING_FIELDS: dict[str, str] = {
    "genres": "genres_include", "not_genres": "genres_exclude",
    "people": "people_include", "not_people": "people_exclude",
    "liked_titles": "liked_ids", "disliked_titles": "disliked_ids", "seen_titles": "seen_ids",
    "year_from": "year_from", "year_to": "year_to", "runtime_max": "runtime_max",
    "languages": "languages", "mood": "wishes",
}


def reading_messages(text: str) -> list[dict[str, str]]:
    """The chat a capable model answers with an `LlmReading` of the user's `text`."""
    return [{"role": "system", "content": load_prompt("reading_system")},
            {"role": "user", "content": text[:1000]}]


def refine(extraction: Extraction, llm: Llm | None, ctx: ToolContext
           ) -> tuple[LedgerUpdate, str | None]:
    """The extraction's update, plus what a capable LLM adds. Never raises."""
    update = extraction.update
    if llm is None or not getattr(llm, "capable", False) or extraction.user_act in _SKIP_ACTS:
        return update, None
    messages = reading_messages(extraction.text)
    try:
        reading = llm.structured(messages, LlmReading, max_tokens=160)
    except Exception as exc:
        log.info("LLM reading skipped: %s", exc)
        return update, f"LLM reading unavailable ({type(exc).__name__})"
    return update.merged(_without_conflicts(resolve(reading, ctx), update)), None


def _without_conflicts(extra: LedgerUpdate, base: LedgerUpdate) -> LedgerUpdate:
    """Drop from the LLM's reading whatever contradicts the deterministic one."""
    keys = {person_key(p.name) for p in (*base.people_include, *base.people_exclude)}
    films = {*base.liked_ids, *base.disliked_ids, *base.seen_ids}
    genres = {*base.genres_include, *base.genres_exclude}
    return extra.model_copy(update={
        "genres_include": [g for g in extra.genres_include if g not in genres],
        "genres_exclude": [g for g in extra.genres_exclude if g not in genres],
        "people_include": [p for p in extra.people_include if person_key(p.name) not in keys],
        "people_exclude": [p for p in extra.people_exclude if person_key(p.name) not in keys],
        "liked_ids": [i for i in extra.liked_ids if i not in films],
        "disliked_ids": [i for i in extra.disliked_ids if i not in films],
        "seen_ids": [i for i in extra.seen_ids if i not in films],
        "year_from": None if base.year_from or base.year_to else extra.year_from,
        "year_to": None if base.year_from or base.year_to else extra.year_to,
        "runtime_max": None if base.runtime_max or base.runtime_min else extra.runtime_max,
        "languages": [] if base.languages else extra.languages,
    })


def resolve(reading: LlmReading, ctx: ToolContext) -> LedgerUpdate:
    """The reading's names as catalog values; anything unknown is dropped."""
    vocab = get_agent_vocab(ctx)
    extractor = get_extractor(ctx)

    def genres(names: list[str]) -> list[str]:
        out = []
        for name in names[:6]:
            try:
                out.append(resolve_genre(name, vocab.filters, "genres"))
            except ToolArgumentError:
                continue
        return out

    def people(names: list[str]) -> list[PersonRef]:
        found = []
        for name in names[:6]:
            pid = vocab.people.get(person_key(name))
            if pid is not None:
                found.append(PersonRef.model_validate({"name": vocab.person_name(pid)}))
        return found

    def titles(names: list[str]) -> list[int]:
        ids = []
        for name in names[:6]:
            matches = extractor.match_title(name, loose=True)
            if matches:
                ids.append(matches[0])
        return ids

    languages = []
    for name in reading.languages[:3]:
        try:
            resolve_language(name, vocab.filters)
            languages.append(name)
        except ToolArgumentError:
            continue
    year_from, year_to = reading.year_from, reading.year_to
    if year_from is not None and year_to is not None and year_from > year_to:
        year_from = year_to = None
    resolved: dict[str, object] = {
        "genres": genres(reading.genres),
        "not_genres": genres(reading.not_genres),
        "people": people(reading.people),
        "not_people": people(reading.not_people),
        "liked_titles": titles(reading.liked_titles),
        "disliked_titles": titles(reading.disliked_titles),
        "seen_titles": titles(reading.seen_titles),
        "year_from": year_from,
        "year_to": year_to,
        "runtime_max": reading.runtime_max,
        "languages": languages,
        "mood": [" ".join(reading.mood.split())[:120]] if reading.mood else [],
    }
    return LedgerUpdate.model_validate(
        {READING_FIELDS[name]: value for name, value in resolved.items()})
