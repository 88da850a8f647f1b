"""Title, name and genre normalisation shared by the catalog builder and the linkers.

The title rules follow shared/data/tools/link_redial_movies.py so that links
computed here agree with the derived link files shipped with the data:
NFKD with accents dropped, MovieLens' trailing article ("Matrix, The") moved to
the front, alternative titles in trailing parentheses dropped, '&' -> 'and',
everything but [a-z0-9] removed.
"""

from __future__ import annotations

import re
import unicodedata

_YEAR_RE = re.compile(r"^(.*?)\s*\((\d{4})\)\s*$")
_ARTICLE_RE = re.compile(r"^(.*), (the|a|an|les|la|le|l'|il|el|der|die|das)$", re.I)
_AKA_RE = re.compile(r"\s*\((?:a\.k\.a\.|aka)[^)]*\)", re.I)
_TRAILING_PAREN_RE = re.compile(r"^(.*\S)\s*\(([^()]*)\)$")


def strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def split_year(name: str) -> tuple[str, int | None]:
    """'Heat (1995)' -> ('Heat', 1995); a name without a trailing year keeps None."""
    m = _YEAR_RE.match(str(name))
    if m:
        return m.group(1).strip(), int(m.group(2))
    return str(name).strip(), None


def _move_article(title: str) -> str:
    m = _ARTICLE_RE.match(title)
    if not m:
        return title
    article = m.group(2)
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{m.group(1)}"


def norm_title(title: str) -> str:
    """The matching key of a title (year already split off)."""
    t = strip_accents(str(title)).strip()
    t = _AKA_RE.sub("", t)
    while True:
        m = _TRAILING_PAREN_RE.match(t)
        if not m:
            break
        t = m.group(1)
    t = _move_article(t)
    t = t.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]", "", t)


def parse_movielens_title(raw: str) -> tuple[str, int | None, list[str]]:
    """Split a MovieLens title into (display title, year, alternative titles).

    'City of Lost Children, The (Cité des enfants perdus, La) (1995)' ->
    ('The City of Lost Children', 1995, ['La Cité des enfants perdus']).
    """
    title, year = split_year(raw)
    aliases: list[str] = []
    while True:
        m = _TRAILING_PAREN_RE.match(title)
        if not m:
            break
        title, alt = m.group(1).strip(), m.group(2).strip()
        alt = re.sub(r"^(a\.k\.a\.|aka)\s+", "", alt, flags=re.I).strip()
        if alt:
            aliases.insert(0, _move_article(alt))
    return _move_article(title), year, aliases


def norm_name(name: str) -> str:
    """The matching key of a person's name."""
    return re.sub(r"[^a-z0-9]", "", strip_accents(str(name)).lower())


# MovieLens and TMDB genre names mapped onto one vocabulary. None = not a genre.
_GENRE_MAP: dict[str, str | None] = {
    "sci-fi": "Science Fiction",
    "science fiction": "Science Fiction",
    "children": "Family",
    "children's": "Family",
    "family": "Family",
    "film-noir": "Film-Noir",
    "imax": None,
    "(no genres listed)": None,
    "tv movie": "TV Movie",
}


def canonical_genre(name: str) -> str | None:
    """One genre vocabulary across sources: 'Sci-Fi' and 'Science Fiction' are one genre."""
    key = str(name).strip().lower()
    if not key:
        return None
    if key in _GENRE_MAP:
        return _GENRE_MAP[key]
    return " ".join(part.capitalize() for part in key.split())


_LETTER_GRADES = {
    "A+": 1.0, "A": 0.95, "A-": 0.9, "B+": 0.85, "B": 0.8, "B-": 0.75,
    "C+": 0.7, "C": 0.65, "C-": 0.6, "D+": 0.55, "D": 0.5, "D-": 0.45,
    "E": 0.3, "F+": 0.3, "F": 0.2, "F-": 0.1,
}
_FRACTION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def parse_review_score(raw: str | None) -> float | None:
    """A critic's score as written ('3/5', '8.5/10', 'B+') mapped to [0, 1]; None if unreadable."""
    if not raw:
        return None
    text = str(raw).strip().upper()
    if text in _LETTER_GRADES:
        return _LETTER_GRADES[text]
    m = _FRACTION_RE.match(text)
    if m:
        num, den = float(m.group(1)), float(m.group(2))
        if den > 0 and num <= den:
            return round(num / den, 4)
    return None
