"""What a simulated user knows about their hidden target: its facts, read from the catalog.

Everything a simulated user says about the film comes from here, so its answers agree with
the catalog by construction (tests check each stated constraint against the target with the
same filter clauses the tools use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from convrec.catalog.db import Catalog
from convrec.tools.filters import LANGUAGE_NAMES

TOP_CAST = 3
MAX_THEMES = 4
# Theme words a person would use about a plot, looked for in the overview ("mood words").
THEMES = (
    "revenge", "friendship", "love", "family", "war", "murder", "heist", "space", "survival",
    "prison", "school", "magic", "detective", "robot", "aliens", "zombies", "vampires",
    "music", "dance", "sports", "dog", "christmas", "time travel", "high school",
    "small town", "road trip", "betrayal", "escape", "kidnapping", "conspiracy",
    "corruption", "undercover", "wedding", "monster", "ghost", "spy", "pirates", "dragon",
    "superhero", "cancer", "addiction", "drugs", "gangster", "mafia", "serial killer",
    "assassin", "boxing", "football", "baseball", "journalist", "lawyer", "politics",
    "slavery", "holocaust", "cowboys", "samurai", "martial arts", "treasure", "island",
    "ocean", "jungle", "desert", "apocalypse", "virus", "dinosaurs", "coming of age",
    "artificial intelligence", "romance", "marriage", "divorce",
    "father", "mother", "brothers", "sisters", "childhood", "college", "revolution",
)
# TMDB keywords about the production, not the story: nobody asks for a film by these.
META_KEYWORDS = {"aftercreditsstinger", "duringcreditsstinger", "woman director",
                 "independent film", "3d", "sequel", "remake", "based on novel", "imax",
                 "live action remake", "anime", "silent film", "short"}
# A mood adjective per genre, for "something funny" / "something scary".
GENRE_MOODS = {
    "Comedy": "funny", "Horror": "scary", "Romance": "romantic", "Thriller": "tense",
    "Family": "family-friendly", "Animation": "animated", "Action": "action-packed",
    "War": "gritty", "Mystery": "mysterious", "Fantasy": "magical", "Drama": "moving",
    "Adventure": "adventurous", "Science Fiction": "mind-bending", "Crime": "gritty",
    "Music": "musical", "Musical": "musical", "Western": "dusty", "History": "historical",
    "Documentary": "true-story", "Film-Noir": "noirish",
}


@dataclass(frozen=True)
class TargetFacts:
    item_id: int
    titles: tuple[str, ...]  # every known title: what the simulator must never say
    year: int | None
    genres: tuple[str, ...]  # rarest first: the most telling genre leads
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    language: str | None = None  # English name of the original language
    runtime: int | None = None
    moods: tuple[str, ...] = field(default=())

    @property
    def decade(self) -> int | None:
        return None if self.year is None else self.year // 10 * 10


@cache
def _genre_counts(catalog_path: str) -> dict[str, int]:
    catalog = Catalog(Path(catalog_path))
    return {r[0]: r[1] for r in catalog.query(
        "SELECT g.name, COUNT(*) FROM item_genres ig JOIN genres g USING (genre_id) GROUP BY 1")}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def target_facts(catalog: Catalog, item_id: int) -> TargetFacts:
    """The facts of one film (a ValueError when it is not in the catalog)."""
    item = catalog.item(item_id)
    if item is None:
        raise ValueError(f"film {item_id} is not in the catalog")
    titles = tuple(dict.fromkeys([item.title, *(r[0] for r in catalog.query(
        "SELECT title FROM item_titles WHERE item_id = ?", [item_id]))]))
    counts = _genre_counts(str(catalog.path))
    genres = tuple(sorted(item.genres, key=lambda g: (counts.get(g, 0), g)))
    title_words = set().union(*(_words(t) for t in titles))
    keywords = tuple(
        k for k in (r[0] for r in catalog.query(
            "SELECT k.name FROM item_keywords ik JOIN keywords k USING (keyword_id) "
            "WHERE ik.item_id = ? ORDER BY k.name", [item_id]))
        if len(k.split()) <= 3 and k not in META_KEYWORDS and not (_words(k) & title_words)
    )
    overview = (item.overview or "").lower()
    themes = tuple(t for t in THEMES
                   if re.search(rf"\b{re.escape(t)}\b", overview) and not (_words(t) & title_words)
                   )[:MAX_THEMES]
    language = LANGUAGE_NAMES.get(item.original_language or "")
    return TargetFacts(
        item_id=item_id, titles=titles, year=item.year, genres=genres,
        directors=tuple(p.name for p in item.directors),
        cast=tuple(p.name for p in item.cast[:TOP_CAST]),
        keywords=keywords, themes=themes, language=language, runtime=item.runtime,
        moods=tuple(dict.fromkeys(GENRE_MOODS[g] for g in genres if g in GENRE_MOODS)),
    )
