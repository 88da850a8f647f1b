"""User profiles: a memory of what each user likes and dislikes, read off their own history.

A profile is a list of entries -- liked / disliked genres, people (directors and top-billed
actors), themes (TMDB keywords and MovieLens tags), eras (decades) and long films -- each
with a polarity, a confidence in [0, 1] and provenance: the user's own rating rows or review
sentences that support it. Profiles are extracted deterministically from the catalog by
`build_profiles` and kept in a writable SQLite store beside the indexes
(INDEX_DIR/profiles/profiles.sqlite); the catalog itself stays read-only.

Extraction (the same for MovieLens raters and critics)
------------------------------------------------------
Every rated film (a rater's latest rating of it) or every review (a critic's score in [0, 1],
or, where the critic gives none, the corpus-wide mean score of fresh resp. rotten reviews)
is one piece of evidence with a value v and a set of feature keys: the film's genres,
directors and top-billed actors, themes (its TMDB keywords and the tags the rater wrote on it
themselves), decade and "long films" (runtime > 140 minutes). Other people's MovieLens tags
describe films for matching but are not learnt from (see ItemKeys.tag_only). A review not
linked to a catalog film takes the features of its Rotten Tomatoes record instead (RT genres
mapped onto catalog genres, the director matched to a catalog person by name, the theatrical
year, the runtime). Critics also
get features from their own words: genre words ("thriller", "rom-com"), theme keywords
("heist", "serial killer") and full names of catalog people found in the review text.

For a user with N pieces of evidence, mean mu and spread s (their standard deviation, floored
at a tenth of the rating scale so a user who gives everything the same score has no inflated
effects), a feature seen on n pieces of evidence gets the standardised effect

    z = mean(v_i - mu) / s                  (over the n pieces carrying the feature)

and becomes an entry when n reaches the kind's minimum support (MIN_SUPPORT; 1 for a theme
the rater tagged themselves), |z| >= MIN_EFFECT and the confidence is >= MIN_CONFIDENCE:

    polarity   = like if z > 0 else dislike
    confidence = tanh(|z| / EFFECT_SCALE) * n / (n + EVIDENCE_PRIOR) * N / (N + USER_PRIOR)

The first factor is the strength of the effect, the second shrinks effects seen on few films
toward neutral, the third shrinks everything for users with little history (whose mean is
itself uncertain). Each factor is in [0, 1), so the confidence is too. Only the strongest
entries of each kind and polarity are kept (CAPS), each with its PROVENANCE_PER_ENTRY most
telling pieces of evidence, all on the entry's side of the user's mean: films the rater
tagged with the theme, or reviews whose text names the genre, person, theme, decade or
length (with the sentence that names it, else the review's first sentence), then linked
films before unlinked reviews, then the highest (lowest, for a dislike) rated, then the
best known.

Edits
-----
A person can delete an entry or flip its polarity. Edits live in their own table keyed by
the user and the entry key (kind + value, e.g. "person:4762" or "keyword:heist"), which does
not change between builds, so edits survive a rebuild and re-apply to the new entries. A
flip stores the polarity the person asked for, not a toggle, so it stays right even if a
rebuild changes the extracted polarity.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict

from convrec.catalog.db import TOP_CAST, Catalog
from convrec.catalog.normalize import norm_name, strip_accents
from convrec.errors import ConvrecError
from convrec.tools.base import ToolArgumentError, parse_user_ref
from convrec.tools.indexes import is_current, read_manifest, write_manifest

log = logging.getLogger(__name__)

PROFILES_VERSION = 1  # bump when the extraction rules change: forces a rebuild
STORE_SCHEMA = 1  # bump when the tables change (the edits table must then be migrated)
FOLDER = "profiles"
DB_NAME = "profiles.sqlite"

EntryKind = Literal["genre", "person", "keyword", "era", "runtime"]
Polarity = Literal["like", "dislike"]
ENTRY_KINDS: tuple[EntryKind, ...] = ("genre", "person", "keyword", "era", "runtime")

MIN_CRITIC_REVIEWS = 5  # critics with fewer reviews (with text) get no stored profile
LONG_FILM_MINUTES = 140
LONG_FILMS = "long films"

MIN_SUPPORT: dict[str, int] = {"genre": 3, "person": 2, "keyword": 3, "era": 3, "runtime": 3}
OWN_TAG_MIN_SUPPORT = 1
MIN_EFFECT = 0.25  # |z| in units of the user's spread
MIN_CONFIDENCE = 0.05
EFFECT_SCALE = 1.0
EVIDENCE_PRIOR = 3.0
USER_PRIOR = 10.0
SPREAD_FLOOR = 0.1  # share of the rating scale
PROVENANCE_PER_ENTRY = 3
CAPS: dict[tuple[str, str], int] = {
    ("genre", "like"): 4, ("genre", "dislike"): 4,
    ("person", "like"): 6, ("person", "dislike"): 4,
    ("keyword", "like"): 8, ("keyword", "dislike"): 4,
    ("era", "like"): 2, ("era", "dislike"): 2,
    ("runtime", "like"): 1, ("runtime", "dislike"): 1,
}

ML_SCALE = (0.5, 5.0)
CRITIC_SCALE = (0.0, 1.0)

# Keywords and tags that say nothing about what a film is about.
NON_THEMES = frozenset({
    "duringcreditsstinger", "aftercreditsstinger", "woman director", "independent film",
    "in netflix queue", "netflix queue", "bd-r", "dvd-video", "clv", "nudity (topless)",
})

# Rotten Tomatoes genres -> catalog genres (RT genres with no catalog counterpart are dropped).
RT_GENRES: dict[str, tuple[str, ...]] = {
    "Action and Adventure": ("Action", "Adventure"),
    "Animation": ("Animation",),
    "Anime and Manga": ("Animation",),
    "Comedy": ("Comedy",),
    "Documentary": ("Documentary",),
    "Drama": ("Drama",),
    "Horror": ("Horror",),
    "Kids and Family": ("Family",),
    "Musical and Performing Arts": ("Musical",),
    "Mystery and Suspense": ("Mystery", "Thriller"),
    "Romance": ("Romance",),
    "Science Fiction and Fantasy": ("Science Fiction", "Fantasy"),
    "Western": ("Western",),
}

# Words in a review that name a catalog genre.
GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "Action": ("action",),
    "Adventure": ("adventure", "adventures"),
    "Animation": ("animated", "animation", "cartoon", "cartoons"),
    "Comedy": ("comedy", "comedies", "comedic", "rom-com", "rom-coms", "romcom"),
    "Crime": ("crime", "gangster", "gangsters", "mobster", "mobsters"),
    "Documentary": ("documentary", "documentaries"),
    "Drama": ("drama", "dramas"),
    "Family": ("family film", "family movie", "kids' movie", "children's film"),
    "Fantasy": ("fantasy", "fantasies"),
    "Film-Noir": ("noir",),
    "History": ("historical", "period piece", "biopic"),
    "Horror": ("horror", "slasher", "slashers"),
    "Musical": ("musical", "musicals"),
    "Mystery": ("mystery", "mysteries", "whodunit"),
    "Romance": ("romance", "romantic", "rom-com", "rom-coms", "love story"),
    "Science Fiction": ("sci-fi", "science fiction", "science-fiction", "scifi"),
    "Thriller": ("thriller", "thrillers", "suspense"),
    "War": ("war film", "war movie", "war drama", "war epic", "combat"),
    "Western": ("western", "westerns"),
}
_GENRE_WORD_SET = frozenset(w for words in GENRE_WORDS.values() for w in words)

# Theme keywords that occur in reviews as ordinary film-review vocabulary; they are not used
# as themes found in review text (they still count as keywords of the films themselves).
_REVIEW_STOPWORDS = """
film films movie movies story time work performance love action heart american family kids
star true dark dialogue game power moving cinema men filmmaking lost light book actor past
art talent screenplay beauty night journey women home video rich career nature writer hero
woman hope soul spirit girl job running date flat identity vision park exercise artist
passion reality alone surprise theater writing house truth major single team fight wish
success boy dream friends child pop fall change city return voice missing deal king chance
pain camp class actress genius general promise television loss business capture silver tears
ring mother green desire games company talking safe song search key window affection blast
father control van trouble water dreams gift race fate bear law bite dangerous son travel
individual animal god office commercial hollywood summer cage brain earth midnight history
classic original world audience plot characters director young old human acting high year
part beautiful experience music adventure war fantasy documentary western mystery crime
romance comedy drama thriller horror animation musical suspense romantic sequel remake
execution tension energy journey intelligence success
"""
REVIEW_STOPWORDS = frozenset(_REVIEW_STOPWORDS.split()) | {
    "first time", "over the top", "set up", "pick up", "what if", "having fun", "human being"}
TEXT_THEME_MIN_ITEMS = 5  # a theme read from review text must tag at least this many films
TEXT_THEME_MAX_DF = 0.01  # ... and occur in at most this share of all reviews

_RUNTIME_WORDS = re.compile(
    r"\b(?:overlong|long|longer|length|lengthy|running time|runtime|minutes|hours?|epic|"
    r"bloated|sprawling|drags?|dragged|padded|interminable|overstays)\b", re.I)
_WORD_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_NAME_TOKEN_RE = re.compile(r"[^\W\d_][\w'.-]*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+")

ProgressHook = Callable[[str, int, int | None], None]  # (phase, done, total)


# ----------------------------------------------------------------------------- records


class Provenance(BaseModel):
    """One piece of the user's own history behind an entry: a rating row or a review."""

    model_config = ConfigDict(frozen=True)

    item_id: int | None = None  # None: a review of a film not linked to the catalog
    label: str | None = None  # 'Heat (1995)'
    rating: float | None = None  # MovieLens rating (0.5-5) or critic score in [0, 1]
    review_id: int | None = None
    sentence: str | None = None  # a sentence of the review, verbatim
    mentions: bool = False  # the sentence names the entry's genre, person, theme, era or length
    fresh: bool | None = None
    tag: str | None = None  # the rater's own tag on this film, as written


class ProfileEntry(BaseModel):
    """A liked or disliked genre, person, theme, era or film length, with its evidence."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    key: str  # stable across rebuilds: 'genre:Comedy', 'person:4762', 'keyword:heist'
    kind: EntryKind
    value: str  # display value: 'Comedy', 'Sidney Lumet', 'heist', '1990s', 'long films'
    person_id: int | None = None
    polarity: Polarity
    confidence: float
    support: int  # films / reviews carrying the feature
    mean: float | None = None  # the user's mean on them (rating or score scale)
    baseline: float | None = None  # the user's overall mean
    fresh_count: int | None = None  # critics: fresh reviews among the support
    scale: Literal["rating", "score"] = "rating"
    provenance: tuple[Provenance, ...] = ()
    flipped: bool = False  # the person flipped the extracted polarity
    deleted: bool = False  # the person deleted it (listed only on request)

    @property
    def sign(self) -> int:
        return 1 if self.polarity == "like" else -1

    @property
    def weight(self) -> float:
        """confidence * polarity: what a matching film gains (or loses)."""
        return self.sign * self.confidence


@dataclass(frozen=True)
class UserInfo:
    """What the store knows about a user whose profile was built."""

    user_id: str
    kind: str
    n_evidence: int  # rated films or reviews
    n_linked: int  # of those, linked to catalog films
    baseline: float | None
    spread: float | None
    n_entries: int


def canonical_user(user_id: str) -> str:
    """The store's spelling of a user id ('ml:007' -> 'ml:7'); malformed ids raise."""
    kind, key = parse_user_ref(user_id)
    return f"ml:{int(key)}" if kind == "ml" else f"critic:{key}"


def confidence(effect: float, n: int, n_user: int) -> float:
    """The confidence formula of the module docstring, in [0, 1)."""
    return (
        math.tanh(abs(effect) / EFFECT_SCALE)
        * n / (n + EVIDENCE_PRIOR)
        * n_user / (n_user + USER_PRIOR)
    )


def key_kind(key: str) -> EntryKind:
    return cast(EntryKind, key.partition(":")[0])


def norm_theme(text: str) -> str:
    return " ".join(str(text).replace("’", "'").lower().split())


def decade_label(year: int | None) -> str | None:
    return None if year is None or year <= 0 else f"{year // 10 * 10}s"


# ----------------------------------------------------------------------------- item features


@dataclass
class ItemKeys:
    """Entry keys of every catalog film, and the films of every key (read-only, cacheable).

    The one definition of what an entry matches, used by the extractor and the tool alike.
    """

    by_item: dict[int, frozenset[str]]
    by_key: dict[str, frozenset[int]]
    # Themes a film has only because some MovieLens user tagged it. They match candidates,
    # but profiles do not learn from them: other people's tags ('imdb top 250', 'quirky')
    # mostly say which films taggers liked, not what the films are about.
    tag_only: dict[int, frozenset[str]]

    def profile_keys(self, item_id: int) -> set[str]:
        """The keys a profile learns from a film: all but other people's tags."""
        return set(self.by_item.get(item_id, ())) - self.tag_only.get(item_id, frozenset())

    @classmethod
    def load(cls, catalog: Catalog) -> ItemKeys:
        keys: dict[int, set[str]] = defaultdict(set)
        for row in catalog.query(
            "SELECT ig.item_id, g.name FROM item_genres ig JOIN genres g USING (genre_id)"
        ):
            keys[row[0]].add(f"genre:{row[1]}")
        for row in catalog.query(
            "SELECT item_id, person_id FROM credits "
            "WHERE role = 'director' OR (role = 'actor' AND ord < ?)", [TOP_CAST],
        ):
            keys[row[0]].add(f"person:{row[1]}")
        tagged: dict[int, set[str]] = defaultdict(set)
        for row in catalog.query(
            "SELECT ik.item_id, k.name, 0 FROM item_keywords ik JOIN keywords k USING (keyword_id) "
            "UNION ALL SELECT item_id, tag, 1 FROM tags"
        ):
            theme = norm_theme(row[1])
            if theme and theme not in NON_THEMES:
                (tagged if row[2] else keys)[row[0]].add(f"keyword:{theme}")
        tag_only: dict[int, frozenset[str]] = {}
        for item_id, themes in tagged.items():
            tag_only[item_id] = frozenset(themes - keys.get(item_id, set()))
            keys[item_id] |= themes
        for row in catalog.query("SELECT item_id, year, runtime FROM items"):
            decade = decade_label(row[1])
            if decade:
                keys[row[0]].add(f"era:{decade}")
            if row[2] is not None and row[2] > LONG_FILM_MINUTES:
                keys[row[0]].add(f"runtime:{LONG_FILMS}")
        by_key: dict[str, set[int]] = defaultdict(set)
        for item_id, item_keys in keys.items():
            for key in item_keys:
                by_key[key].add(item_id)
        return cls(
            by_item={i: frozenset(k) for i, k in keys.items()},
            by_key={k: frozenset(i) for k, i in by_key.items()},
            tag_only={i: t for i, t in tag_only.items() if t},
        )


@dataclass
class _Evidence:
    """One rated film or one review."""

    value: float
    keys: set[str]
    item_id: int | None = None
    rating: float | None = None
    review_id: int | None = None
    text: str | None = None
    fresh: bool | None = None
    people: tuple[tuple[int, str], ...] = ()  # credited people, for surname matches in text
    tags: dict[str, str] = field(default_factory=dict)  # key -> the rater's own tag text


@dataclass
class _CatalogFacts:
    """Everything the extractor needs from the catalog, loaded once per build."""

    item_keys: ItemKeys
    labels: dict[int, str]
    popularity: dict[int, tuple[int, int]]
    names: dict[int, str]  # person id -> name
    credited: dict[int, tuple[tuple[int, str], ...]]  # item id -> people
    rt_keys: dict[int, set[str]]  # rt movie id -> keys of its RT record
    rt_people: dict[int, tuple[tuple[int, str], ...]]
    people_by_norm: dict[str, int]  # normalised full name -> person (for review text)
    review_themes: dict[int, frozenset[str]]  # review id -> themes its text names
    genre_patterns: dict[str, re.Pattern[str]]
    genre_words: re.Pattern[str]  # any genre word
    genre_of_word: dict[str, tuple[str, ...]]
    fresh_score: float
    rotten_score: float

    @classmethod
    def load(cls, catalog: Catalog, item_keys: ItemKeys | None = None) -> _CatalogFacts:
        item_keys = item_keys or ItemKeys.load(catalog)
        labels: dict[int, str] = {}
        popularity: dict[int, tuple[int, int]] = {}
        for row in catalog.query(
            "SELECT item_id, title, year, rating_count, vote_count FROM items"
        ):
            labels[row[0]] = f"{row[1]} ({row[2]})" if row[2] else row[1]
            popularity[row[0]] = (row[3] or 0, row[4] or 0)
        names: dict[int, str] = {}
        credited: dict[int, list[tuple[int, str]]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        directed: dict[tuple[str, int], int] = defaultdict(int)
        for row in catalog.query(
            "SELECT c.item_id, c.person_id, p.name, c.role, p.norm_name FROM credits c "
            "JOIN people p USING (person_id) "
            "WHERE c.role = 'director' OR (c.role = 'actor' AND c.ord < ?) "
            "ORDER BY c.item_id, c.role DESC, c.ord", [TOP_CAST],
        ):
            names[row[1]] = row[2]
            credited[row[0]].append((row[1], row[2]))
            counts[row[1]] += 1
            if row[3] == "director":
                directed[(row[4], row[1])] += 1
        directors: dict[str, int] = {}  # normalised name -> the director with most films
        for (norm, pid), _ in sorted(directed.items(), key=lambda kv: (-kv[1], kv[0][1])):
            directors.setdefault(norm, pid)
        people_by_norm: dict[str, int] = {}
        for pid, name in names.items():
            norm = norm_name(name)
            if len(name.split()) < 2 or not norm:
                continue
            other = people_by_norm.get(norm)
            if other is None or (counts[pid], -pid) > (counts[other], -other):
                people_by_norm[norm] = pid
        genres = {r[0] for r in catalog.query("SELECT name FROM genres")}
        genre_patterns = {
            genre: _phrase_pattern(words) for genre, words in GENRE_WORDS.items() if genre in genres
        }
        genre_of_word: dict[str, tuple[str, ...]] = defaultdict(tuple)
        for genre in genre_patterns:
            for word in GENRE_WORDS[genre]:
                genre_of_word[word] += (genre,)
        rt_keys: dict[int, set[str]] = {}
        rt_people: dict[int, tuple[tuple[int, str], ...]] = {}
        for row in catalog.query(
            "SELECT rt_movie_id, director, theater_date, runtime, genre FROM rt_movies"
        ):
            found: set[str] = set()
            for rt_genre in (row["genre"] or "").split("|"):
                found |= {f"genre:{g}" for g in RT_GENRES.get(rt_genre.strip(), ()) if g in genres}
            decade = decade_label(_year_of(row["theater_date"]))
            if decade:
                found.add(f"era:{decade}")
            if row["runtime"] is not None and row["runtime"] > LONG_FILM_MINUTES:
                found.add(f"runtime:{LONG_FILMS}")
            director = directors.get(norm_name(row["director"] or "")) if row["director"] else None
            if director is not None:
                found.add(f"person:{director}")
                rt_people[row["rt_movie_id"]] = ((director, names[director]),)
            rt_keys[row["rt_movie_id"]] = found
        scores = catalog.query(
            "SELECT fresh, avg(score) FROM reviews WHERE score IS NOT NULL AND fresh IS NOT NULL "
            "GROUP BY fresh"
        )
        by_fresh = {bool(r[0]): float(r[1]) for r in scores}
        return cls(
            item_keys=item_keys,
            labels=labels,
            popularity=popularity,
            names=names,
            credited={i: tuple(p) for i, p in credited.items()},
            rt_keys=rt_keys,
            rt_people=rt_people,
            people_by_norm=people_by_norm,
            review_themes=_review_themes(catalog, item_keys),
            genre_patterns=genre_patterns,
            genre_words=_phrase_pattern(w for g in genre_patterns for w in GENRE_WORDS[g]),
            genre_of_word=genre_of_word,
            fresh_score=by_fresh.get(True, 0.75),
            rotten_score=by_fresh.get(False, 0.45),
        )


def _year_of(date_text: str | None) -> int | None:
    m = re.search(r"\b(1[89]\d\d|20\d\d)\b", date_text or "")
    return int(m.group(1)) if m else None


def _fold(text: str) -> str:
    """Text for matching: curly apostrophes straightened, accents dropped (lengths may change,
    so sentences are always cut from the original text)."""
    text = text.replace("’", "'")
    return text if text.isascii() else strip_accents(text)


def _phrase_pattern(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)


def _vocab_hits(text: str, vocab: Collection[str]) -> set[str]:
    """The phrases of `vocab` (1 to 3 words, lower case) that occur in `text`."""
    words = _WORD_RE.findall(_fold(text).lower())
    hits = {w for w in words if w in vocab}
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            gram = " ".join(words[i:i + n])
            if gram in vocab:
                hits.add(gram)
    return hits


def _review_themes(catalog: Catalog, item_keys: ItemKeys) -> dict[int, frozenset[str]]:
    """review id -> the theme keywords its text names.

    Only themes worth noticing count: TMDB keywords that tag at least TEXT_THEME_MIN_ITEMS
    films, are not genre words or review stopwords, and occur in at most TEXT_THEME_MAX_DF
    of all reviews (so 'heist' and 'serial killer' qualify, 'film', 'story', 'love' do not).
    """
    vocab: set[str] = set()
    for row in catalog.query("SELECT DISTINCT name FROM keywords"):
        theme = norm_theme(row[0])
        n_items = len(item_keys.by_key.get(f"keyword:{theme}", ()))
        if (n_items >= TEXT_THEME_MIN_ITEMS and len(theme) >= 4 and theme not in NON_THEMES
                and theme not in REVIEW_STOPWORDS and theme not in _GENRE_WORD_SET):
            vocab.add(theme)
    df: dict[str, int] = defaultdict(int)
    hits: dict[int, set[str]] = {}
    n_reviews = 0
    for row in catalog.query("SELECT review_id, text FROM reviews"):
        n_reviews += 1
        found = _vocab_hits(row[1], vocab)
        for theme in found:
            df[theme] += 1
        if found:
            hits[row[0]] = found
    limit = max(3, int(TEXT_THEME_MAX_DF * n_reviews))
    return {
        rid: kept for rid, found in hits.items()
        if (kept := frozenset(t for t in found if df[t] <= limit))
    }


# ----------------------------------------------------------------------------- extraction


@dataclass
class UserProfile:
    """An extracted profile, before edits."""

    info: UserInfo
    entries: list[ProfileEntry]


def _review_text_keys(review_id: int, text: str, facts: _CatalogFacts) -> set[str]:
    """Keys a critic's own words give a review: genre words, theme keywords, full names."""
    folded = _fold(text)
    keys = {f"genre:{g}" for word in facts.genre_words.findall(folded)
            for g in facts.genre_of_word.get(word.lower(), ())}
    keys |= {f"keyword:{t}" for t in facts.review_themes.get(review_id, ())}
    tokens = _NAME_TOKEN_RE.findall(folded)
    capital = [t[0].isupper() for t in tokens]
    for n in (2, 3):
        for i in range(len(tokens) - n + 1):
            if not all(capital[i:i + n]):
                continue
            window = tokens[i:i + n]
            last = window[-1][:-2] if window[-1].endswith("'s") else window[-1]
            pid = facts.people_by_norm.get(norm_name(" ".join([*window[:-1], last])))
            if pid is not None:
                keys.add(f"person:{pid}")
    return keys


def _ml_evidence(catalog: Catalog, facts: _CatalogFacts) -> Iterator[tuple[int, list[_Evidence]]]:
    """(MovieLens user id, one piece of evidence per rated film: the latest rating)."""
    own_tags: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for row in catalog.query("SELECT user_id, item_id, tag FROM tags ORDER BY ts"):
        theme = norm_theme(row[2])
        if theme and theme not in NON_THEMES:
            own_tags[(row[0], row[1])].setdefault(f"keyword:{theme}", row[2].strip())
    users = [r[0] for r in catalog.query(
        "SELECT user_id FROM ratings UNION SELECT user_id FROM tags ORDER BY 1")]
    latest: dict[int, dict[int, float]] = defaultdict(dict)
    for row in catalog.query(
            "SELECT user_id, item_id, rating FROM ratings ORDER BY ts, ml_movie_id"):
        latest[row[0]][row[1]] = row[2]
    for user in users:
        evidence = []
        for item_id, rating in sorted(latest.get(user, {}).items()):
            tags = own_tags.get((user, item_id), {})
            keys = facts.item_keys.profile_keys(item_id) | set(tags)
            evidence.append(_Evidence(value=rating, rating=rating, keys=keys, item_id=item_id,
                                      tags=dict(tags)))
        yield user, evidence


def _critic_evidence(
    catalog: Catalog, facts: _CatalogFacts, critics: Collection[str] | None = None,
) -> Iterator[tuple[str, list[_Evidence]]]:
    """(critic, one piece of evidence per review with text), critics in name order."""
    where = "critic IS NOT NULL AND text <> ''"
    params: list[Any] = []
    if critics is not None:
        where += f" AND critic IN ({','.join('?' * len(critics))})"
        params = list(critics)
    rows = catalog.query(
        f"SELECT review_id, rt_movie_id, item_id, critic, text, score, fresh FROM reviews "
        f"WHERE {where} ORDER BY critic, review_id", params,
    )
    current: str | None = None
    evidence: list[_Evidence] = []
    for row in rows:
        if row["critic"] != current:
            if current is not None:
                yield current, evidence
            current, evidence = row["critic"], []
        fresh = None if row["fresh"] is None else bool(row["fresh"])
        if row["score"] is not None:
            value = float(row["score"])
        elif fresh is not None:
            value = facts.fresh_score if fresh else facts.rotten_score
        else:
            continue
        item_id = row["item_id"]
        if item_id is not None:
            keys = facts.item_keys.profile_keys(item_id)
            people = facts.credited.get(item_id, ())
        else:
            keys = set(facts.rt_keys.get(row["rt_movie_id"], ()))
            people = facts.rt_people.get(row["rt_movie_id"], ())
        keys |= _review_text_keys(row["review_id"], row["text"], facts)
        evidence.append(_Evidence(
            value=value, rating=row["score"], keys=keys, item_id=item_id,
            review_id=row["review_id"], text=row["text"], fresh=fresh, people=people,
        ))
    if current is not None:
        yield current, evidence


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_SPLIT.split(text.strip()) if s]


def _term_pattern(key: str, facts: _CatalogFacts, value: str) -> re.Pattern[str] | None:
    kind, _, rest = key.partition(":")
    if kind == "genre":
        return facts.genre_patterns.get(rest)
    if kind == "keyword":
        return _phrase_pattern([rest])
    if kind == "person":
        return re.compile(rf"(?<!\w){re.escape(strip_accents(value))}(?!\w)", re.I)
    if kind == "era":
        decade = int(rest[:4])
        return re.compile(rf"(?<!\w)(?:{decade}s|'{decade % 100:02d}s|{str(decade)[:3]}\d)\b")
    if kind == "runtime":
        return _RUNTIME_WORDS
    return None


def _mentioning_sentence(
    ev: _Evidence, pattern: re.Pattern[str] | None, person_id: int | None,
) -> tuple[str | None, bool]:
    """The first sentence of the review naming the entry's term, else its first sentence."""
    if not ev.text:
        return None, False
    sentences = _sentences(ev.text)
    surname = None
    if person_id is not None:
        name = next((n for p, n in ev.people if p == person_id), None)
        if name and len(name.split()) > 1 and len(name.split()[-1]) >= 3:
            surname = re.compile(rf"(?<!\w){re.escape(strip_accents(name.split()[-1]))}(?!\w)")
    for sentence in sentences:
        plain = _fold(sentence)
        if (pattern is not None and pattern.search(plain)) or (
                surname is not None and surname.search(plain)):
            return sentence, True
    return (sentences[0] if sentences else None), False


def _extract_profile(
    user_id: str, evidence: Sequence[_Evidence], facts: _CatalogFacts, scale: tuple[float, float],
) -> UserProfile:
    """The entries one user's evidence supports (see the module docstring for the rules)."""
    n_user = len(evidence)
    kind = user_id.partition(":")[0]
    linked = sum(e.item_id is not None for e in evidence)
    if n_user == 0:
        return UserProfile(UserInfo(user_id, kind, 0, 0, None, None, 0), [])
    values = [e.value for e in evidence]
    mu = statistics.fmean(values)
    spread = max(statistics.pstdev(values), SPREAD_FLOOR * (scale[1] - scale[0]))
    groups: dict[str, list[int]] = defaultdict(list)
    own_tagged: set[str] = set()
    for i, ev in enumerate(evidence):
        for key in ev.keys:
            groups[key].append(i)
        own_tagged.update(ev.tags)
    candidates: list[tuple[float, str, float, list[int]]] = []
    min_support = {k[0]: n for k, n in MIN_SUPPORT.items()}  # the kinds' initials differ
    for key, idx in groups.items():
        n = len(idx)
        if n < min_support[key[0]] and not (n >= OWN_TAG_MIN_SUPPORT and key in own_tagged):
            continue
        effect = sum(values[i] - mu for i in idx) / n / spread
        if abs(effect) < MIN_EFFECT:
            continue
        conf = confidence(effect, n, n_user)
        if conf < MIN_CONFIDENCE:
            continue
        candidates.append((conf, key, effect, idx))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    taken: dict[tuple[str, str], int] = defaultdict(int)
    entries: list[ProfileEntry] = []
    is_critic = kind == "critic"
    for conf, key, effect, idx in candidates:
        polarity: Polarity = "like" if effect > 0 else "dislike"
        slot = (key_kind(key), polarity)
        if taken[slot] >= CAPS[slot]:
            continue
        taken[slot] += 1
        entries.append(_make_entry(user_id, key, conf, effect, idx, evidence, facts, mu,
                                   polarity, is_critic))
    info = UserInfo(user_id, kind, n_user, linked, round(mu, 4), round(spread, 4), len(entries))
    return UserProfile(info, entries)


def _make_entry(
    user_id: str, key: str, conf: float, effect: float, idx: list[int],
    evidence: Sequence[_Evidence], facts: _CatalogFacts, mu: float, polarity: Polarity,
    is_critic: bool,
) -> ProfileEntry:
    kind = key_kind(key)
    rest = key.partition(":")[2]
    person_id = int(rest) if kind == "person" else None
    value = facts.names.get(person_id, rest) if person_id is not None else rest
    direction = -1 if polarity == "like" else 1
    pattern = _term_pattern(key, facts, value) if is_critic else None
    scored = []
    for i in idx:
        ev = evidence[i]
        if direction * (ev.value - mu) > -1e-9:
            continue  # only films / reviews on the entry's side of the user's mean support it
        sentence, mentions = (
            _mentioning_sentence(ev, pattern, person_id) if is_critic else (None, False))
        pop = facts.popularity.get(ev.item_id, (0, 0)) if ev.item_id is not None else (0, 0)
        rank = (key not in ev.tags, not mentions, ev.item_id is None, direction * ev.value,
                -pop[0], -pop[1], ev.item_id or 0, ev.review_id or 0)
        scored.append((rank, ev, sentence, mentions))
    scored.sort(key=lambda s: s[0])
    provenance = tuple(
        Provenance(
            item_id=ev.item_id,
            label=facts.labels.get(ev.item_id) if ev.item_id is not None else None,
            rating=ev.rating, review_id=ev.review_id, sentence=sentence, mentions=mentions,
            fresh=ev.fresh, tag=ev.tags.get(key),
        )
        for _, ev, sentence, mentions in scored[:PROVENANCE_PER_ENTRY]
    )
    values = [evidence[i].value for i in idx]
    return ProfileEntry(
        user_id=user_id, key=key, kind=kind, value=value, person_id=person_id,
        polarity=polarity, confidence=round(conf, 4), support=len(idx),
        mean=round(statistics.fmean(values), 4), baseline=round(mu, 4),
        fresh_count=sum(bool(evidence[i].fresh) for i in idx) if is_critic else None,
        scale="score" if is_critic else "rating", provenance=provenance,
    )


def extract_all(
    catalog: Catalog, *, progress: ProgressHook | None = None, item_keys: ItemKeys | None = None,
) -> Iterator[UserProfile]:
    """Profiles of every MovieLens rater and every critic with >= MIN_CRITIC_REVIEWS reviews."""
    facts = _CatalogFacts.load(catalog, item_keys)
    raters = list(_ml_evidence(catalog, facts))
    for done, (user, evidence) in enumerate(raters, 1):
        yield _extract_profile(f"ml:{user}", evidence, facts, ML_SCALE)
        if progress and (done % 50 == 0 or done == len(raters)):
            progress("MovieLens raters", done, len(raters))
    critics = [r[0] for r in catalog.query(
        "SELECT critic FROM reviews WHERE critic IS NOT NULL AND text <> '' "
        "GROUP BY critic HAVING count(*) >= ? ORDER BY critic", [MIN_CRITIC_REVIEWS])]
    done = 0
    for critic, evidence in _critic_evidence(catalog, facts):
        if len(evidence) < MIN_CRITIC_REVIEWS:
            continue
        yield _extract_profile(f"critic:{critic}", evidence, facts, CRITIC_SCALE)
        done += 1
        if progress and (done % 100 == 0 or done == len(critics)):
            progress("critics", done, len(critics))


# ----------------------------------------------------------------------------- store

_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('ml', 'critic')),
    n_evidence INTEGER NOT NULL,
    n_linked   INTEGER NOT NULL,
    baseline   REAL,
    spread     REAL,
    n_entries  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    user_id     TEXT NOT NULL,
    entry_key   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('genre', 'person', 'keyword', 'era', 'runtime')),
    value       TEXT NOT NULL,
    person_id   INTEGER,
    polarity    TEXT NOT NULL CHECK (polarity IN ('like', 'dislike')),
    confidence  REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    support     INTEGER NOT NULL,
    mean        REAL,
    baseline    REAL,
    fresh_count INTEGER,
    scale       TEXT NOT NULL CHECK (scale IN ('rating', 'score')),
    PRIMARY KEY (user_id, entry_key)
);
CREATE TABLE IF NOT EXISTS provenance (
    user_id   TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    pos       INTEGER NOT NULL,
    item_id   INTEGER,
    label     TEXT,
    rating    REAL,
    review_id INTEGER,
    sentence  TEXT,
    mentions  INTEGER NOT NULL DEFAULT 0,
    fresh     INTEGER,
    tag       TEXT,
    PRIMARY KEY (user_id, entry_key, pos)
);
-- Edits by the person, kept apart from the extracted rows so that rebuilds leave them alone.
CREATE TABLE IF NOT EXISTS edits (
    user_id   TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('delete', 'polarity')),
    polarity  TEXT CHECK (polarity IN ('like', 'dislike')),
    edited_at TEXT NOT NULL,
    PRIMARY KEY (user_id, entry_key)
);
"""


class ProfileStore:
    """The writable profile store. Safe to share between threads.

    Each thread gets its own connection; the database runs in WAL mode, so readers never
    wait for the (rare) writers and see either the old or the new profiles of a rebuild,
    never a mix. Writes are serialised by a lock and run in immediate transactions.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        conn = self._conn()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, STORE_SCHEMA):
            raise ConvrecError(
                f"the profile store at {self.path} has schema {version}, this convrec needs "
                f"{STORE_SCHEMA}; move it aside and run `convrec profiles build`"
            )
        if version == 0:
            with self._write_lock:
                conn.executescript(_DDL)
                conn.execute(f"PRAGMA user_version = {STORE_SCHEMA}")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    # --------------------------------------------------------------- reads

    def user_info(self, user_id: str) -> UserInfo | None:
        row = self._conn().execute(
            "SELECT * FROM users WHERE user_id = ?", [canonical_user(user_id)]).fetchone()
        return None if row is None else UserInfo(**dict(row))

    def users(self, kind: str | None = None) -> list[str]:
        sql = "SELECT user_id FROM users" + (" WHERE kind = ?" if kind else "") + " ORDER BY 1"
        return [r[0] for r in self._conn().execute(sql, [kind] if kind else [])]

    def top_users(self, kind: str, limit: int) -> list[UserInfo]:
        """The `kind` users ('ml' or 'critic') with the richest profiles, for a user picker."""
        rows = self._conn().execute(
            "SELECT * FROM users WHERE kind = ? ORDER BY n_entries DESC, n_evidence DESC, "
            "user_id LIMIT ?", [kind, limit]).fetchall()
        return [UserInfo(**dict(r)) for r in rows]

    def meta(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._conn().execute("SELECT key, value FROM meta")}

    def list_entries(self, user_id: str, *, include_deleted: bool = False) -> list[ProfileEntry]:
        """The user's entries with their edits applied, most confident first."""
        uid = canonical_user(user_id)
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the three reads
        try:
            rows = conn.execute(
                "SELECT * FROM entries WHERE user_id = ? ORDER BY confidence DESC, entry_key",
                [uid]).fetchall()
            prov: dict[str, list[Provenance]] = defaultdict(list)
            for r in conn.execute(
                "SELECT * FROM provenance WHERE user_id = ? ORDER BY entry_key, pos", [uid]
            ):
                prov[r["entry_key"]].append(Provenance(
                    item_id=r["item_id"], label=r["label"], rating=r["rating"],
                    review_id=r["review_id"], sentence=r["sentence"], mentions=bool(r["mentions"]),
                    fresh=None if r["fresh"] is None else bool(r["fresh"]), tag=r["tag"],
                ))
            edits = {r["entry_key"]: r for r in conn.execute(
                "SELECT * FROM edits WHERE user_id = ?", [uid])}
        finally:
            conn.execute("COMMIT")
        entries = []
        for r in rows:
            entry = ProfileEntry(
                user_id=uid, key=r["entry_key"], kind=r["kind"], value=r["value"],
                person_id=r["person_id"], polarity=r["polarity"], confidence=r["confidence"],
                support=r["support"], mean=r["mean"], baseline=r["baseline"],
                fresh_count=r["fresh_count"], scale=r["scale"],
                provenance=tuple(prov.get(r["entry_key"], ())),
            )
            entry = _apply_edit(entry, edits.get(r["entry_key"]))
            if include_deleted or not entry.deleted:
                entries.append(entry)
        return entries

    def edits(self, user_id: str) -> dict[str, tuple[str, str | None]]:
        """entry key -> (action, polarity) of the user's stored edits."""
        return {r[0]: (r[1], r[2]) for r in self._conn().execute(
            "SELECT entry_key, action, polarity FROM edits WHERE user_id = ?",
            [canonical_user(user_id)])}

    # --------------------------------------------------------------- edits

    def delete_entry(self, user_id: str, entry_key: str) -> ProfileEntry:
        """Hide an entry from the profile (it stays deleted across rebuilds)."""
        uid = canonical_user(user_id)

        def run(conn: sqlite3.Connection) -> ProfileEntry:
            entry = self._extracted(conn, uid, entry_key)
            conn.execute(
                "INSERT OR REPLACE INTO edits VALUES (?, ?, 'delete', NULL, ?)",
                [uid, entry.key, _now()])
            return entry.model_copy(update={"deleted": True})

        return cast(ProfileEntry, self._write(run))

    def flip_entry(self, user_id: str, entry_key: str) -> ProfileEntry:
        """Turn a like into a dislike or back; returns the entry as it now stands."""
        uid = canonical_user(user_id)

        def run(conn: sqlite3.Connection) -> ProfileEntry:
            entry = self._extracted(conn, uid, entry_key)
            edit = conn.execute("SELECT * FROM edits WHERE user_id = ? AND entry_key = ?",
                                [uid, entry.key]).fetchone()
            current = _apply_edit(entry, edit)
            if current.deleted:
                raise ToolArgumentError(
                    f"profile entry {entry.key!r} of {uid} is deleted; restore it before flipping")
            target: Polarity = "dislike" if current.polarity == "like" else "like"
            if target == entry.polarity:
                conn.execute("DELETE FROM edits WHERE user_id = ? AND entry_key = ?",
                             [uid, entry.key])
            else:
                conn.execute("INSERT OR REPLACE INTO edits VALUES (?, ?, 'polarity', ?, ?)",
                             [uid, entry.key, target, _now()])
            return current.model_copy(
                update={"polarity": target, "flipped": target != entry.polarity})

        return cast(ProfileEntry, self._write(run))

    def restore_entry(self, user_id: str, entry_key: str) -> ProfileEntry:
        """Drop every edit of an entry: back to what was extracted."""
        uid = canonical_user(user_id)

        def run(conn: sqlite3.Connection) -> ProfileEntry:
            entry = self._extracted(conn, uid, entry_key)
            conn.execute("DELETE FROM edits WHERE user_id = ? AND entry_key = ?", [uid, entry.key])
            return entry

        return cast(ProfileEntry, self._write(run))

    def _extracted(self, conn: sqlite3.Connection, uid: str, entry_key: str) -> ProfileEntry:
        key = str(entry_key).strip()
        row = conn.execute("SELECT * FROM entries WHERE user_id = ? AND entry_key = ?",
                           [uid, key]).fetchone()
        if row is None:
            keys = [r[0] for r in conn.execute(
                "SELECT entry_key FROM entries WHERE user_id = ? ORDER BY confidence DESC",
                [uid])]
            from rapidfuzz import process

            near = [m[0] for m in process.extract(key, keys, limit=3)] if keys else []
            raise ToolArgumentError(f"{uid} has no profile entry {key!r}",
                                    suggestions={"entry_key": near})
        return ProfileEntry(
            user_id=uid, key=key, kind=row["kind"], value=row["value"],
            person_id=row["person_id"], polarity=row["polarity"], confidence=row["confidence"],
            support=row["support"], mean=row["mean"], baseline=row["baseline"],
            fresh_count=row["fresh_count"], scale=row["scale"],
        )

    # --------------------------------------------------------------- rebuild

    def replace_profiles(self, profiles: Iterable[UserProfile], meta: dict[str, str]) -> dict[
            str, int]:
        """Swap in freshly extracted profiles in one transaction; edits are left alone."""

        def run(conn: sqlite3.Connection) -> dict[str, int]:
            counts = {"users": 0, "entries": 0, "provenance": 0, "empty_profiles": 0}
            for table in ("users", "entries", "provenance"):
                conn.execute(f"DELETE FROM {table}")
            for profile in profiles:
                i = profile.info
                conn.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)", [
                    i.user_id, i.kind, i.n_evidence, i.n_linked, i.baseline, i.spread,
                    len(profile.entries)])
                counts["users"] += 1
                counts["empty_profiles"] += not profile.entries
                conn.executemany(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(e.user_id, e.key, e.kind, e.value, e.person_id, e.polarity, e.confidence,
                      e.support, e.mean, e.baseline, e.fresh_count, e.scale)
                     for e in profile.entries])
                rows = [
                    (e.user_id, e.key, pos, p.item_id, p.label, p.rating, p.review_id, p.sentence,
                     int(p.mentions), None if p.fresh is None else int(p.fresh), p.tag)
                    for e in profile.entries for pos, p in enumerate(e.provenance)
                ]
                conn.executemany(
                    "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                counts["entries"] += len(profile.entries)
                counts["provenance"] += len(rows)
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))
            return counts

        return cast(dict[str, int], self._write(run))


def _apply_edit(entry: ProfileEntry, edit: sqlite3.Row | None) -> ProfileEntry:
    if edit is None:
        return entry
    if edit["action"] == "delete":
        return entry.model_copy(update={"deleted": True})
    target = edit["polarity"]
    return entry.model_copy(update={"polarity": target, "flipped": target != entry.polarity})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- build


def profiles_path(index_dir: Path) -> Path:
    return Path(index_dir) / FOLDER / DB_NAME


def build_profiles(
    catalog: Catalog, index_dir: Path, *, force: bool = False,
    progress: ProgressHook | None = None,
) -> dict[str, Any]:
    """Extract every profile into INDEX_DIR/profiles/profiles.sqlite (skipped when current).

    Returns a report: built (False when skipped), path, seconds and counts.
    """
    folder = Path(index_dir) / FOLDER
    path = folder / DB_NAME
    if not force and path.is_file() and is_current(folder, catalog, PROFILES_VERSION):
        manifest = read_manifest(folder) or {}
        return {"built": False, "path": str(path), **{
            k: v for k, v in manifest.items() if k not in {"catalog", "version"}}}
    started = time.perf_counter()
    if progress:
        progress("reading the catalog", 0, None)
    # Extract first, write after: edits made meanwhile wait for the short write, not the build.
    profiles = list(extract_all(catalog, progress=progress))
    if progress:
        progress("writing profiles", 0, None)
    store = ProfileStore(path)
    try:
        counts = store.replace_profiles(
            profiles, {"version": str(PROFILES_VERSION), "built_at": _now()})
    finally:
        store.close()
    seconds = time.perf_counter() - started
    counts["bytes"] = path.stat().st_size
    write_manifest(folder, catalog, PROFILES_VERSION, seconds, **counts)
    log.info("profiles: %s in %.1f s", counts, seconds)
    return {"built": True, "path": str(path), "seconds": round(seconds, 2), **counts}


def open_profiles(catalog: Catalog, index_dir: Path) -> ProfileStore:
    """The profile store, built first when it is missing or older than the catalog."""
    build_profiles(catalog, index_dir)
    return ProfileStore(profiles_path(index_dir))


def catalog_knows_user(catalog: Catalog, user_id: str) -> bool:
    """Whether the user has any history in the catalog (ratings, tags or reviews)."""
    kind, key = parse_user_ref(user_id)
    if kind == "ml":
        sql = ("SELECT 1 FROM ratings WHERE user_id = ? UNION ALL "
               "SELECT 1 FROM tags WHERE user_id = ? LIMIT 1")
        return bool(catalog.query(sql, [int(key), int(key)]))
    return bool(catalog.query("SELECT 1 FROM reviews WHERE critic = ? LIMIT 1", [key]))
