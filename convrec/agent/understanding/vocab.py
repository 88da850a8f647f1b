"""What the deterministic extractor recognises, read from the catalog once per process.

Genres (the words people use for them, "funny", "scary", "rom com", are in
`convrec.catalog.genre_words`), people
(full names, and the surnames of directors with several films: "a Tarantino
film"), titles (the lookup tool's title index), languages, and the words the
BM25 index knows (a wish is only kept when it has words the catalog can match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from convrec.catalog.normalize import person_key
from convrec.tools.bm25 import load_bm25
from convrec.tools.context import ToolContext
from convrec.tools.filters import LANGUAGE_ALIASES, LANGUAGE_NAMES, FilterVocab, get_vocab
from convrec.tools.lookup import TitleIndex, get_title_index

RESOURCE = "agent_vocab"

# Adjectives for nationality -> a language name the filter resolves.
NATIONALITY_LANGUAGES: dict[str, str] = {
    "french": "French", "german": "German", "italian": "Italian", "spanish": "Spanish",
    "japanese": "Japanese", "korean": "Korean", "chinese": "Chinese", "hindi": "Hindi",
    "bollywood": "Hindi", "russian": "Russian", "swedish": "Swedish", "danish": "Danish",
    "norwegian": "Norwegian", "portuguese": "Portuguese", "brazilian": "Portuguese",
    "mexican": "Spanish", "cantonese": "Cantonese", "mandarin": "Chinese",
    "turkish": "Turkish", "polish": "Polish", "dutch": "Dutch", "greek": "Greek",
    "thai": "Thai", "persian": "Persian", "iranian": "Persian", "hebrew": "Hebrew",
    "english": "English", "finnish": "Finnish", "czech": "Czech", "hungarian": "Hungarian",
    "arabic": "Arabic", "tamil": "Tamil", "telugu": "Telugu", "icelandic": "Icelandic",
}

MIN_DIRECTED_FOR_SURNAME = 4
MIN_STUDIO_FILMS = 3  # a studio named in chat has made at least this many catalog films
MIN_CREDITS_FOR_FIRST_NAME = 25  # "Keanu": the only famous Keanu, with this many credits
MIN_CREDITS_FOR_SURNAME = 8  # actors known by their surname alone ("a Pacino film")
_PARTICLES = {"de", "van", "von", "del", "da", "di", "le", "la", "du", "dos", "der", "mc"}


@dataclass(frozen=True)
class AgentVocab:
    filters: FilterVocab
    titles: TitleIndex
    people: dict[str, int]  # person_key -> the best-known person id with that name
    surnames: dict[str, int]  # well-known surname (lower case) -> person id
    first_names: dict[str, int]  # a first name only one famous person has -> person id
    directors: frozenset[int]  # people with director credits
    directed: dict[int, int]  # person id -> films directed
    languages: dict[str, str]  # lower-case language word -> a name the filter resolves
    studios: dict[str, int]  # studio key ('pixar', 'walt disney') -> films made
    max_year: int

    def is_person(self, written: str) -> bool:
        """Whether `written` ("Quentin Tarantino's" too) is the full name of a person."""
        return person_key(re.sub(r"'s$", "", written.strip())) in self.people

    def person_name(self, person_id: int) -> str:
        return self.filters.person_names[person_id]

    def credits(self, person_id: int) -> int:
        return self.filters.credit_counts.get(person_id, 0)

    def mainly_directs(self, person_id: int) -> bool:
        """'a Tarantino film' means his direction; 'a Tom Hanks film' means him acting."""
        n = self.directed.get(person_id, 0)
        return n >= 2 and n >= 0.3 * self.credits(person_id)


def get_agent_vocab(ctx: ToolContext) -> AgentVocab:
    return ctx.resources.get(RESOURCE, lambda: _load(ctx))


def known_words(ctx: ToolContext, text: str) -> list[str]:
    """The words of `text` that the BM25 index has terms for (stop words dropped)."""
    index = load_bm25(ctx)
    _, words = index.query_terms(text)
    return list(dict.fromkeys(words.values()))


def _load(ctx: ToolContext) -> AgentVocab:
    filters = get_vocab(ctx)
    people: dict[str, int] = {}
    for key, ids in filters.people.items():
        people[key] = max(ids, key=lambda i: filters.credit_counts.get(i, 0))
    directed = {
        r[0]: r[1] for r in ctx.catalog.query(
            "SELECT person_id, COUNT(*) FROM credits WHERE role = 'director' GROUP BY person_id"
        )
    }
    surnames: dict[str, list[tuple[int, int]]] = {}
    known = {p for p, n in directed.items() if n >= MIN_DIRECTED_FOR_SURNAME}
    known |= {p for p, n in filters.credit_counts.items() if n >= MIN_CREDITS_FOR_SURNAME}
    for person_id in known:
        parts = filters.person_names[person_id].split()
        if len(parts) < 2:
            continue
        surname = parts[-1]
        if len(parts) >= 3 and parts[-2].lower() in _PARTICLES:
            surname = " ".join(parts[-2:])  # "De Niro", "Van Damme"
        if len(surname) >= 4:
            weight = max(directed.get(person_id, 0) * 3, filters.credit_counts.get(person_id, 0))
            surnames.setdefault(surname.lower(), []).append((weight, person_id))
    unique_surnames = {}
    for surname, found in surnames.items():
        found.sort(reverse=True)
        if len(found) == 1 or found[0][0] >= 2 * found[1][0]:
            unique_surnames[surname] = found[0][1]
    first_names: dict[str, list[tuple[int, int]]] = {}
    for person_id, n in filters.credit_counts.items():
        parts = filters.person_names[person_id].split()
        if n >= MIN_CREDITS_FOR_SURNAME and len(parts) >= 2 and len(parts[0]) >= 4:
            first_names.setdefault(parts[0].lower(), []).append((n, person_id))
    # a first name alone is a person only when one famous person has it ("Keanu", "Denzel")
    unique_first = {name: found[0][1] for name, found in first_names.items() if len(found) == 1
                    and found[0][0] >= MIN_CREDITS_FOR_FIRST_NAME}
    languages = {name.lower(): name for name in LANGUAGE_NAMES.values()}
    languages.update({alias: alias.capitalize() for alias in LANGUAGE_ALIASES})
    languages.update(NATIONALITY_LANGUAGES)
    languages.pop("none", None)
    languages.pop("no language", None)
    max_year = max((f.year for f in filters.films.values() if f.year), default=2020)
    made: dict[int, int] = {}
    try:
        made = {r[0]: r[1] for r in ctx.catalog.query(
            "SELECT company_id, COUNT(*) FROM item_companies GROUP BY company_id")}
    except Exception:  # a catalog built before companies were ingested
        made = {}
    studios = {key: sum(made.get(c, 0) for c in ids) for key, ids in filters.studios.items()}
    return AgentVocab(
        filters=filters,
        titles=get_title_index(ctx),
        people=people,
        surnames=unique_surnames,
        first_names=unique_first,
        directors=frozenset(directed),
        directed=directed,
        languages=languages,
        studios={k: n for k, n in studios.items() if n >= MIN_STUDIO_FILMS},
        max_year=max_year,
    )
