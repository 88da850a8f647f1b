"""The one home of text normalisation: every key function that folds text for matching
(titles, names, vocabulary terms, themes, chat phrases, words), plus the catalog's title,
genre and review-score parsers.

Catalog is the lowest layer, so tools, agent and eval all import their keys from here; a new
way of folding text for a comparison belongs here, beside the ones it might duplicate.

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
    """NFKD with combining marks dropped ('Amélie' -> 'Amelie'); the base of every key here."""
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
    """The matching key of a title (year already split off): the catalog's and the linkers'."""
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
    """The matching key of a person's name: lower case, only [a-z0-9] kept (catalog, linkers)."""
    return re.sub(r"[^a-z0-9]", "", strip_accents(str(name)).lower())


def person_key(name: str) -> str:
    """norm_name, or the casefolded name for names in scripts norm_name drops entirely
    (filters' people vocabulary, the agent's people and ledger, the extraction benchmark)."""
    return norm_name(name) or name.casefold().strip()


def vocab_key(text: str) -> str:
    """Matching key of a genre, keyword or tag: case, accents and punctuation (hyphens too)
    ignored (filters' vocabularies, the agent's genres and grounding, extraction scoring)."""
    return re.sub(r"[\W_]+", " ", strip_accents(text).casefold()).strip()


# Words of company names that name no studio on their own ("Pictures", "Animation").
_COMPANY_FILLER = frozenset({
    "pictures", "picture", "studios", "studio", "animation", "entertainment", "films", "film",
    "productions", "production", "company", "corporation", "corp", "inc", "ltd", "llc", "co",
    "group", "media", "international", "distribution", "releasing", "feature", "motion",
    "classics", "the", "and", "of", "cinema", "television", "channel", "home", "video", "world",
    "new", "united", "features", "presents", "america", "american", "partners",
})


def studio_keys(name: str) -> list[str]:
    """Keys a company answers to in the filters' studio vocabulary: its whole name and each
    run of its words that starts with a distinctive word ('Pixar Animation Studios' ->
    'pixar animation studios', 'pixar animation', 'pixar'; 'Walt Disney Pictures' -> ...,
    'walt disney', 'disney')."""
    words = vocab_key(name).split()
    keys = {" ".join(words)}
    for start in range(len(words)):
        if words[start] in _COMPANY_FILLER or len(words[start]) < 3:
            continue
        for end in range(start + 1, min(len(words), start + 3) + 1):
            keys.add(" ".join(words[start:end]))
    return sorted(k for k in keys if k)


_LOOKUP_TRAILING_ARTICLE = re.compile(r"^(.*\S),\s*(the|a|an)$", re.I)
_LOOKUP_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


def title_key(title: str) -> str:
    """The lookup's match key: norm_title without a leading (or MovieLens-style trailing)
    article; titles in scripts norm_title drops entirely keep their casefolded text (title
    lookup, the agent's title spotting and reply names, the INSPIRED benchmark)."""
    text = strip_accents(str(title)).strip()
    moved = _LOOKUP_TRAILING_ARTICLE.match(text)
    if moved:
        text = moved.group(1)
    text = _LOOKUP_LEADING_ARTICLE.sub("", text)
    return norm_title(text) or norm_title(title) or " ".join(str(title).casefold().split())


def norm_theme(text: str) -> str:
    """A profile theme's key: curly apostrophes straightened, lower case, whitespace collapsed
    (profile lexicon, features and extraction)."""
    return " ".join(str(text).replace("’", "'").lower().split())


def match_fold(text: str) -> str:
    """Review text for matching: curly apostrophes straightened, accents dropped (lengths may
    change, so sentences are always cut from the original text; profile facts and extraction)."""
    text = text.replace("’", "'")
    return text if text.isascii() else strip_accents(text)


def phrase_key(text: str) -> str:
    """A message or title compared as whole words: lower case, accents dropped, '&' -> 'and',
    punctuation to spaces, whitespace collapsed (the eval's leak audit)."""
    text = strip_accents(text).lower()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


POSSESSIVE = re.compile(r"['’]s?$")


def word_key(word: str) -> str:
    """One word's key: lower case, possessive dropped, only word characters kept (the claim
    checker's names and grounds)."""
    return re.sub(r"[^\w]", "", POSSESSIVE.sub("", word.lower().replace("’", "'")))


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
