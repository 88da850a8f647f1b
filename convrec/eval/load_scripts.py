"""The load benchmark's simulated sessions: distinct constraints and a 10-turn script each.

Every session gets its own constraint set, drawn from a seed: a genre, a decade, a language,
a liked film, a genre it does not want, and the changes its later turns make (another
decade, another language, a second genre). No two sessions share a liked film or a
(genre, decade, language) triple, so any value that shows up in a session's ledger without
the session having said it can be traced to the session that did (cross-talk). Half the
sessions speak as a distinct MovieLens rater (`ml:<id>`), the others anonymously.

The script, turn by turn (the first `turns` of them are sent):

1. a(n) {genre} film from the {decade}s       6. actually make it the {decade2}s
2. no {excluded genre}                         7. in {language2} instead
3. in {language}                               8. I would also like {genre2} films
4. something like {liked film} ({year})        9. show me more
5. show me others                             10. what else?

`expected_ledger` is what each turn must leave in the ledger's hard constraints.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from convrec.catalog.db import Catalog
from convrec.catalog.records import title_year

MAX_TURNS = 10
GENRES = ("Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama",
          "Family", "Fantasy", "History", "Horror", "Music", "Musical", "Mystery", "Romance",
          "Science Fiction", "Thriller", "War", "Western")
# "no science fiction" is not read as an exclusion (a known gap of the rule understanding),
# so the excluded genre is drawn from the others
EXCLUDABLE = tuple(g for g in GENRES if g != "Science Fiction")
LANGUAGES = ("English", "French", "Spanish", "German", "Italian", "Japanese", "Hindi",
             "Korean", "Chinese", "Russian", "Swedish", "Danish", "Portuguese")
DECADES = (1950, 1960, 1970, 1980, 1990, 2000, 2010)
LIKED_POOL = 400  # the most rated films a liked film is drawn from
# words that would add a constraint of their own when a title is quoted
_TITLE_STOP = re.compile(
    r"\d|\b(" + "|".join(w.lower() for w in (*GENRES, *LANGUAGES, "no", "not", "without",
                                              "like", "sci", "fi", "scifi", "war", "english",
                                              "america", "american", "british", "minutes",
                                              "hour", "hours", "short", "long", "old", "new",
                                              "kids", "family", "christmas", "funny", "scary"))
    + r")\b", re.I)
FILLERS = ("show me others", "show me more", "what else?")


@dataclass(frozen=True)
class Constraints:
    """One session's constraints (its first turns) and the changes its later turns make."""

    genre: str
    decade: int
    language: str
    liked_id: int
    liked_title: str
    liked_year: int | None
    excluded: str
    decade2: int
    language2: str
    genre2: str

    def key(self) -> tuple[str, int, str]:
        return (self.genre, self.decade, self.language)


@dataclass
class SessionScript:
    index: int
    user_id: str  # '' for anonymous
    constraints: Constraints
    messages: list[str] = field(default_factory=list)
    expected: list[dict[str, Any]] = field(default_factory=list)
    """The ledger's hard constraints after each turn (see `ledger_view`)."""


def ledger_view(ledger: dict[str, Any]) -> dict[str, Any]:
    """The hard constraints the sessions set, from a TurnResult's ledger (JSON)."""

    def year(key: str) -> int | None:
        value = ledger.get(key)
        return int(value["value"]) if isinstance(value, dict) and "value" in value else None

    return {
        "genres_include": sorted(ledger.get("genres_include") or {}),
        "genres_exclude": sorted(ledger.get("genres_exclude") or {}),
        "year_from": year("year_from"), "year_to": year("year_to"),
        "languages": sorted(ledger.get("languages") or {}),
        "liked": sorted(int(k) for k in ledger.get("liked") or {}),
    }


def _script(c: Constraints, turns: int) -> tuple[list[str], list[dict[str, Any]]]:
    title = title_year(c.liked_title, c.liked_year)
    steps: list[tuple[str, dict[str, Any]]] = []
    state: dict[str, Any] = {"genres_include": [c.genre], "genres_exclude": [],
                             "year_from": c.decade, "year_to": c.decade + 9,
                             "languages": [], "liked": []}
    article = "an" if c.genre[0] in "AEIOU" else "a"
    steps.append((f"{article} {c.genre.lower()} film from the {c.decade}s", dict(state)))
    state["genres_exclude"] = [c.excluded]
    steps.append((f"no {c.excluded.lower()}", dict(state)))
    state["languages"] = [c.language]
    steps.append((f"in {c.language}", dict(state)))
    state["liked"] = [c.liked_id]
    steps.append((f"something like {title}", dict(state)))
    steps.append((FILLERS[0], dict(state)))
    state["year_from"], state["year_to"] = c.decade2, c.decade2 + 9
    steps.append((f"actually make it the {c.decade2}s", dict(state)))
    state["languages"] = [c.language2]
    steps.append((f"in {c.language2} instead", dict(state)))
    state["genres_include"] = sorted([c.genre, c.genre2])
    steps.append((f"I would also like {c.genre2.lower()} films", dict(state)))
    steps.append((FILLERS[1], dict(state)))
    steps.append((FILLERS[2], dict(state)))
    chosen = steps[:turns]
    return [m for m, _ in chosen], [{**s, "genres_include": sorted(s["genres_include"])}
                                    for _, s in chosen]


def liked_pool(catalog: Catalog, size: int = LIKED_POOL) -> list[tuple[int, str, int | None]]:
    """Well-known films (most rated first) whose titles add no constraint when quoted."""
    rows = catalog.query(
        "SELECT item_id, title, year FROM items WHERE rating_count > 0 "
        "ORDER BY rating_count DESC, item_id LIMIT ?", [size * 3])
    pool = [(int(r[0]), str(r[1]), r[2]) for r in rows if not _TITLE_STOP.search(str(r[1]))]
    return pool[:size]


def raters(catalog: Catalog, count: int) -> list[str]:
    """`count` MovieLens raters (`ml:<id>`), the most active first."""
    rows = catalog.query("SELECT user_id FROM ratings GROUP BY user_id "
                         "ORDER BY COUNT(*) DESC, user_id LIMIT ?", [count])
    return [f"ml:{r[0]}" for r in rows]


def make_sessions(catalog: Catalog, n: int, *, turns: int = MAX_TURNS,
                  seed: int = 0) -> list[SessionScript]:
    """`n` sessions with distinct constraint sets and their scripts, reproducibly from `seed`."""
    if not 1 <= turns <= MAX_TURNS:
        raise ValueError(f"turns must be between 1 and {MAX_TURNS}, got {turns}")
    rng = random.Random(seed)
    films = liked_pool(catalog)
    if len(films) < n:
        raise ValueError(f"the catalog has only {len(films)} films to like; ask for fewer "
                         "sessions")
    liked = rng.sample(films, n)
    users = raters(catalog, (n + 1) // 2)
    used: set[tuple[str, int, str]] = set()
    sessions = []
    for i in range(n):
        while True:
            genre = rng.choice(GENRES)
            decade = rng.choice(DECADES[:-1])
            language = rng.choice(LANGUAGES)
            if (genre, decade, language) not in used:
                used.add((genre, decade, language))
                break
        excluded = rng.choice([g for g in EXCLUDABLE if g != genre])
        genre2 = rng.choice([g for g in GENRES if g not in (genre, excluded)])
        decade2 = rng.choice([d for d in DECADES if d != decade])
        language2 = rng.choice([lang for lang in LANGUAGES if lang != language])
        item_id, title, year = liked[i]
        c = Constraints(genre=genre, decade=decade, language=language, liked_id=item_id,
                        liked_title=title, liked_year=year, excluded=excluded,
                        decade2=decade2, language2=language2, genre2=genre2)
        user = users[i // 2] if i % 2 == 1 and i // 2 < len(users) else ""
        messages, expected = _script(c, turns)
        sessions.append(SessionScript(index=i, user_id=user, constraints=c,
                                      messages=messages, expected=expected))
    return sessions
